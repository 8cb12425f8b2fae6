"""The contact log (沟通记录): every call, SMS, e-mail, visit and chat with the customer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kesu.db.base import Base, BigId, IdPk


class ContactRecord(Base):
    __tablename__ = "contact_record"
    __table_args__ = (Index("ix_contact_record_complaint", "complaint_id", "contacted_at"),)

    id: Mapped[IdPk]
    complaint_id: Mapped[int] = mapped_column(BigId, ForeignKey("complaint.id"))
    channel: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8))
    """``outbound`` (we contacted the customer) or ``inbound``."""
    summary: Mapped[str] = mapped_column(Text)
    contacted_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(40))
    recorded_by_name: Mapped[str] = mapped_column(String(120))
