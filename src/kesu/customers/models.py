"""Customer profiles (客户档案): one row per person, matched by phone or e-mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from kesu.db.base import Base, IdPk


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[IdPk]
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    """Digits only, without country prefix (see ``kesu.core.text_limits.normalise_phone``)."""
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    """Lower-cased."""
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Warning and status tags (``vip``, ``frequent``, …) shown to front-line staff."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
