"""An administrator, signed in to the pages and holding an API token."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kesu.accounts import service as accounts
from kesu.accounts.models import Role, TokenKind
from kesu.bootstrap import Kesu
from kesu.web.deps import SESSION_COOKIE, csrf_token
from tests.factories import PASSWORD, Persona, Personas

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@pytest.fixture
def admin(kesu: Kesu, session: Session, personas: Personas) -> Persona:
    """王静, the installation's only administrator (the personas are the rest of the staff)."""
    user = accounts.create_user(
        session,
        username="wangjing",
        display_name="王静",
        role=Role.ADMIN,
        password=PASSWORD,
        clock=kesu.clock,
    )
    token = accounts.issue_token(
        session, user=user, kind=TokenKind.API, label="test", clock=kesu.clock
    )
    return Persona(user=user, token=token)


def sign_in(client: TestClient, username: str) -> None:
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "next": "/agent"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def session_csrf(client: TestClient, kesu: Kesu) -> str:
    """The CSRF token of the client's page session, as any page of it would carry."""
    return csrf_token(kesu, client.cookies.get(SESSION_COOKIE) or "")


def csrf_of(client: TestClient, path: str = "/agent/admin/causes") -> str:
    page = client.get(path)
    found = CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


@pytest.fixture
def as_admin(client: TestClient, admin: Persona) -> TestClient:
    sign_in(client, admin.user.username)
    return client
