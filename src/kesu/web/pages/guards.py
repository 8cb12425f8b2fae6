"""What every staff page handler shares: the sign-in redirect and the CSRF token of the session."""

from __future__ import annotations

import hmac
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse

from kesu.core.errors import PermissionDenied
from kesu.web.deps import SESSION_COOKIE, KesuApp, csrf_token


def to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


def csrf_for(request: Request, kesu: KesuApp) -> str:
    return csrf_token(kesu, request.cookies.get(SESSION_COOKIE, ""))


def check_csrf(request: Request, kesu: KesuApp, posted: str) -> None:
    if not hmac.compare_digest(csrf_for(request, kesu), posted):
        raise PermissionDenied()


def safe_next(target: str, default: str = "/agent") -> str:
    # Only paths on this site: a crafted link must not bounce the reader elsewhere.
    return target if target.startswith("/") and not target.startswith("//") else default
