"""Staff accounts, roles, departments and the tokens behind API access and page sessions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kesu.db.base import Base, BigId, IdPk


class Role(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    HANDLER = "handler"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    ADMIN = "admin"


class TokenKind(StrEnum):
    API = "api"
    """Long-lived bearer token for integrations."""
    SESSION = "session"
    """Page login, held in an HttpOnly cookie."""


class Department(Base):
    __tablename__ = "department"

    id: Mapped[IdPk]
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("department.id"))
    region: Mapped[str | None] = mapped_column(String(120))
    """Consumer-association mode: the area a unit covers, e.g. "浙江省杭州市西湖区" (county unit)."""


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[IdPk]
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("department.id"))
    password_hash: Mapped[str] = mapped_column(String(200))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Complaint categories the person is trained for (routing "by skill")."""
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class AccessToken(Base):
    """Only the SHA-256 of a token is stored; the token itself is shown once."""

    __tablename__ = "access_token"

    id: Mapped[IdPk]
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
