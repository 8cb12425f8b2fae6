"""Idempotency records of intake: one row per client-supplied key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kesu.db.base import Base, BigId, IdPk


class IntakeRequest(Base):
    """A retried submission with the same key returns this complaint instead of a new one."""

    __tablename__ = "intake_request"

    id: Mapped[IdPk]
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the canonical draft: the same key with a different body is refused."""
    complaint_id: Mapped[int] = mapped_column(BigId, ForeignKey("complaint.id"))
    created_at: Mapped[datetime]
