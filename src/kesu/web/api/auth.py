"""Token issue for integrations and scripts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from kesu.accounts import service as accounts
from kesu.accounts.models import TokenKind
from kesu.web.deps import DbSession, KesuApp


class TokenRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"username": "zhangmin", "password": "demo-password", "label": "crm"}]
        },
    )

    username: Annotated[str, Field(min_length=1, max_length=60)]
    password: Annotated[str, Field(min_length=1, max_length=200)]
    label: Annotated[str, Field(max_length=120)] = "api"


class TokenResponse(BaseModel):
    token: str
    """Send as `Authorization: Bearer <token>`; shown once, stored only as a hash."""
    username: str
    role: str


router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", responses={401: {"description": "`invalid_credentials`"}})
def issue_token(body: TokenRequest, session: DbSession, kesu: KesuApp) -> TokenResponse:
    """Exchange a staff username and password for a long-lived API token."""
    user = accounts.check_credentials(session, username=body.username, password=body.password)
    token = accounts.issue_token(
        session, user=user, kind=TokenKind.API, label=body.label, clock=kesu.clock
    )
    return TokenResponse(token=token, username=user.username, role=user.role)
