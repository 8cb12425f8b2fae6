"""Every move of a complaint between escalation levels, up (升级) or back down (发还)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kesu.db.base import Base, BigId, IdPk


class EscalationRecord(Base):
    __tablename__ = "escalation_record"
    __table_args__ = (Index("ix_escalation_record_complaint", "complaint_id", "id"),)

    id: Mapped[IdPk]
    complaint_id: Mapped[int] = mapped_column(BigId, ForeignKey("complaint.id"))
    from_level: Mapped[int]
    to_level: Mapped[int]
    trigger: Mapped[str] = mapped_column(String(16))
    """``manual``, ``breach``, ``threat``, ``vip`` or ``send_back``."""
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
