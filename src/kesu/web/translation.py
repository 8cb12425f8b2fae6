"""Page text in zh-CN and English.

Pages are written in Chinese, the first language of the people using them; every piece of page
text is wrapped in ``_()`` in templates and ``translate()`` in handlers, and its English lives in
``locale/en/*.toml`` keyed by the Chinese. Catalogues are split by area (portal, agent, admin) so
each area's text is reviewed with its pages; one phrase translated two ways is refused at load.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from kesu.core.i18n import Language

CATALOGUE_DIR = Path(__file__).parent / "locale" / "en"
LANGUAGE_COOKIE = "lang"


@cache
def english() -> dict[str, str]:
    """Chinese phrase → English, merged from every catalogue file."""
    merged: dict[str, str] = {}
    for path in sorted(CATALOGUE_DIR.glob("*.toml")):
        with path.open("rb") as handle:
            entries = tomllib.load(handle)
        for chinese, text in entries.items():
            if not isinstance(text, str):
                raise ValueError(f"{path.name}: the English of {chinese!r} must be a string")
            if merged.get(chinese, text) != text:
                raise ValueError(f"{path.name}: {chinese!r} is translated two different ways")
            merged[chinese] = text
    return merged


def translate(text: str, language: Language) -> str:
    """``text`` in ``language``; a phrase without English shows in Chinese rather than blank."""
    if language is Language.ZH:
        return text
    return english().get(text, text)


def N_(text: str) -> str:  # noqa: N802 - the gettext name every extractor knows
    """Mark Chinese page text kept in a table for ``translate`` later, so its test finds it."""
    return text
