"""What route handlers receive, as Annotated aliases: the container, a session, the viewer."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from kesu.accounts import service as accounts
from kesu.accounts.models import User
from kesu.bootstrap import Kesu
from kesu.core.actors import Actor, ActorKind
from kesu.core.errors import NotAuthenticated
from kesu.core.i18n import Language
from kesu.web.errors import request_language

SESSION_COOKIE = "kesu_session"


# The dependencies below that do no I/O are ``async def``: FastAPI runs a plain ``def``
# dependency in its thread pool, and each such hop costs about as much as a small endpoint.
async def get_kesu(request: Request) -> Kesu:
    return kesu_of(request)


def kesu_of(request: Request) -> Kesu:
    kesu = request.app.state.kesu
    if not isinstance(kesu, Kesu):
        raise TypeError("create the app with kesu.web.app.create_app")
    return kesu


KesuApp = Annotated[Kesu, Depends(get_kesu)]


async def get_session(kesu: KesuApp) -> AsyncIterator[Session]:
    # A new session holds no connection; the handler's thread uses it. Closing one that still
    # holds a connection (an open read) rolls back on the database, so that goes to a thread.
    session = kesu.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


DbSession = Annotated[Session, Depends(get_session)]


async def _language(request: Request) -> Language:
    return request_language(request)


RequestLanguage = Annotated[Language, Depends(_language)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def actor_of(user: User) -> Actor:
    return Actor(kind=ActorKind.USER, id=user.id, role=user.role, name=user.display_name)


async def optional_user(request: Request, session: DbSession, kesu: KesuApp) -> User | None:
    """The signed-in staff member (bearer token or page session cookie), or None."""
    if not has_token(request):
        return None
    return await run_in_threadpool(_user_of, request, session, kesu)


def _token(request: Request) -> str | None:
    return _bearer(request) or request.cookies.get(SESSION_COOKIE)


def has_token(request: Request) -> bool:
    return _token(request) is not None


def _user_of(request: Request, session: Session, kesu: Kesu) -> User | None:
    token = _token(request)
    if token is None:
        return None
    return accounts.authenticate(session, token=token, clock=kesu.clock)


def staff_of(request: Request, kesu: Kesu) -> User | None:
    """``optional_user`` for a handler without dependencies, in a session of its own (call it
    in a thread: it reads the database)."""
    with kesu.sessions() as session:
        return _user_of(request, session, kesu)


async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise NotAuthenticated()
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(current_user)]


def csrf_token(kesu: Kesu, session_token: str) -> str:
    """Bound to the page session: a form posted from another site cannot know it."""
    key = kesu.settings.secret_key.encode()
    return hmac.new(key, f"csrf:{session_token}".encode(), hashlib.sha256).hexdigest()
