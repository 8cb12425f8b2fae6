"""Every message kesu sends, kept as a record of what the customer was told and when."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kesu.db.base import Base, IdPk


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    INTERNAL = "internal"
    """To staff (a department or a person): reminders and urging (催办)."""


class NotificationStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[IdPk]
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    """What the message is about, e.g. ``complaint.acknowledged``."""
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
