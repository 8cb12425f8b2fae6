"""The zh-CN / English switch: a cookie remembered for a year, then back to the same page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse

from kesu.core.i18n import Language
from kesu.web.pages.guards import safe_next
from kesu.web.translation import LANGUAGE_COOKIE

router = APIRouter(include_in_schema=False)
ONE_YEAR = 365 * 24 * 3600


@router.get("/language/{language}")
def switch_language(
    language: Language, next_path: Annotated[str, Query(alias="next", max_length=2000)] = "/"
) -> RedirectResponse:
    response = RedirectResponse(safe_next(next_path, default="/"), status_code=303)
    response.set_cookie(
        LANGUAGE_COOKIE, language.value, max_age=ONE_YEAR, samesite="lax", httponly=True
    )
    return response
