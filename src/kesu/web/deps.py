"""What route handlers receive, as Annotated aliases: the container, a session, the viewer."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from kesu.accounts import service as accounts
from kesu.accounts.models import User
from kesu.bootstrap import Kesu
from kesu.core.actors import Actor, ActorKind
from kesu.core.errors import NotAuthenticated
from kesu.core.i18n import Language
from kesu.web.errors import request_language

SESSION_COOKIE = "kesu_session"


def get_kesu(request: Request) -> Kesu:
    kesu = request.app.state.kesu
    if not isinstance(kesu, Kesu):
        raise TypeError("create the app with kesu.web.app.create_app")
    return kesu


KesuApp = Annotated[Kesu, Depends(get_kesu)]


def get_session(kesu: KesuApp) -> Iterator[Session]:
    with kesu.sessions() as session:
        yield session


DbSession = Annotated[Session, Depends(get_session)]
RequestLanguage = Annotated[Language, Depends(request_language)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def actor_of(user: User) -> Actor:
    return Actor(kind=ActorKind.USER, id=user.id, role=user.role, name=user.display_name)


def optional_user(request: Request, session: DbSession, kesu: KesuApp) -> User | None:
    """The signed-in staff member (bearer token or page session cookie), or None."""
    token = _bearer(request) or request.cookies.get(SESSION_COOKIE)
    if token is None:
        return None
    return accounts.authenticate(session, token=token, clock=kesu.clock)


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise NotAuthenticated()
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(current_user)]


def csrf_token(kesu: Kesu, session_token: str) -> str:
    """Bound to the page session: a form posted from another site cannot know it."""
    key = kesu.settings.secret_key.encode()
    return hmac.new(key, f"csrf:{session_token}".encode(), hashlib.sha256).hexdigest()
