"""Jinja2 environment shared by every page: autoescaping on, labels and formats as filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from kesu.accounts.permissions import ROLE_LABELS
from kesu.complaints.events import EVENT_LABELS
from kesu.complaints.lifecycle import ACTION_LABELS, STATUS_LABELS
from kesu.complaints.models import CHANNEL_LABELS, DEMAND_LABELS, TARGET_LABELS
from kesu.core.i18n import DEFAULT_LANGUAGE, Labels, label
from kesu.core.text_limits import mask_phone
from kesu.handling.replies import PLACEHOLDER_LABELS, SITUATION_LABELS
from kesu.handling.schemas import CONTACT_CHANNEL_LABELS, DIRECTION_LABELS, REMEDY_LABELS
from kesu.text.analysis import PRIORITY_LABELS
from kesu.text.classify import CATEGORY_LABELS
from kesu.web.errors import request_language
from kesu.web.translation import translate

TEMPLATES_DIR = Path(__file__).parent.parent / "templates"
# Pages show Beijing time: the people using them are in China; storage stays UTC.
DISPLAY_TZ = timezone(timedelta(hours=8), "CST")

templates = Jinja2Templates(directory=TEMPLATES_DIR)
env = templates.env
env.autoescape = True
# Templates ship inside the package and change only with it: no stat() of each file per render.
env.auto_reload = False


@pass_context
def _gettext(context: Context, message: str) -> str:
    return translate(message, context.get("language", DEFAULT_LANGUAGE))


@pass_context
def _ngettext(context: Context, singular: str, _plural: str, _count: int) -> str:
    # Chinese has no plural forms; the English catalogue keys both by the Chinese phrase.
    return _gettext(context, singular)


# newstyle: `_("已逾期 %(days)s 天", days=n)` escapes the values and formats after translating.
env.add_extension("jinja2.ext.i18n")
env.install_gettext_callables(gettext=_gettext, ngettext=_ngettext, newstyle=True)  # type: ignore[attr-defined]


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if value is None else value.astimezone(DISPLAY_TZ).strftime(fmt)


env.filters["local"] = local_time
env.filters["mask_phone"] = lambda value: mask_phone(value) if value else ""
_TABLES: dict[str, Labels] = {
    "status": STATUS_LABELS,
    "action": ACTION_LABELS,
    "channel": CHANNEL_LABELS,
    "demand": DEMAND_LABELS,
    "target": TARGET_LABELS,
    "event": EVENT_LABELS,
    "category": CATEGORY_LABELS,
    "priority": PRIORITY_LABELS,
    "contact_channel": CONTACT_CHANNEL_LABELS,
    "direction": DIRECTION_LABELS,
    "remedy": REMEDY_LABELS,
    "role": ROLE_LABELS,
    "situation": SITUATION_LABELS,
    "placeholder": PLACEHOLDER_LABELS,
}


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    language = request_language(request)

    def lbl(table: str, code: str) -> str:
        return label(_TABLES[table], code, language)

    shown = {"lbl": lbl, "language": language, "tables": _TABLES, **context}
    shown["_"] = _page_gettext(shown["language"])
    return templates.TemplateResponse(request, name, shown, status_code=status_code)


def _page_gettext(language: Any) -> Callable[..., Markup]:
    """``_()`` for one page: what the newstyle gettext installed above does with autoescaping on
    (translate, mark safe, then format with the values escaped), bound to the page's language.

    The extension's own ``_`` goes through three context calls for each phrase, and a complaint
    page shows about 160 of them.
    """

    def gettext(message: str, /, **variables: Any) -> Markup:
        # The phrases are the templates' own text, trusted as jinja2.ext trusts them; the values
        # formatted into them are escaped by Markup's %.
        return Markup(translate(message, language)) % variables  # noqa: S704

    return gettext
