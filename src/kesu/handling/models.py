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


class RemedyProposal(Base):
    """A remedy offered to the customer (处理方案); money is kept in fen (1/100 yuan)."""

    __tablename__ = "remedy_proposal"
    __table_args__ = (Index("ix_remedy_proposal_complaint", "complaint_id", "id"),)

    id: Mapped[IdPk]
    complaint_id: Mapped[int] = mapped_column(BigId, ForeignKey("complaint.id"))
    kind: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int | None]
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    """``proposed``, ``awaiting_approval``, ``approved`` or ``rejected``."""
    proposed_by: Mapped[str] = mapped_column(String(40))
    proposed_by_name: Mapped[str] = mapped_column(String(120))
    proposed_by_role: Mapped[str] = mapped_column(String(20))
    proposed_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(40))
    decided_by_name: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None]
    decision_comment: Mapped[str | None] = mapped_column(Text)
