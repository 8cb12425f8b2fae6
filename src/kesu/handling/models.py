"""The contact log (沟通记录): every call, SMS, e-mail, visit and chat with the customer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
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
    __table_args__ = (
        Index("ix_remedy_proposal_complaint", "complaint_id", "id"),
        # Settlement guidance reads the newest approved remedies.
        Index("ix_remedy_proposal_status_id", "status", "id"),
    )

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


class CauseCode(Base):
    """The cause catalogue (原因目录) an organisation keeps for root causes."""

    __tablename__ = "cause_code"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    is_active: Mapped[bool] = mapped_column(default=True)


class Investigation(Base):
    """The investigation record (调查记录) of one complaint, kept up to date as facts come in."""

    __tablename__ = "investigation"

    id: Mapped[IdPk]
    complaint_id: Mapped[int] = mapped_column(BigId, ForeignKey("complaint.id"), unique=True)
    cause_code: Mapped[str | None] = mapped_column(String(40), ForeignKey("cause_code.code"))
    findings: Mapped[str] = mapped_column(Text)
    responsible_department_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("department.id")
    )
    responsible_person: Mapped[str | None] = mapped_column(String(120))
    appraisal_requested: Mapped[bool] = mapped_column(default=False)
    """An appraisal (鉴定) by a third party was asked for."""
    appraisal_party: Mapped[str | None] = mapped_column(String(200))
    appraisal_cost_bearer: Mapped[str | None] = mapped_column(String(16))
    """``company``, ``customer``, ``respondent`` or ``shared``."""
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(40))


class AccountabilityRecord(Base):
    """Responsibility (责任追究) of a member of staff or a department for what went wrong."""

    __tablename__ = "accountability_record"
    __table_args__ = (Index("ix_accountability_record_complaint", "complaint_id", "id"),)

    id: Mapped[IdPk]
    complaint_id: Mapped[int] = mapped_column(BigId, ForeignKey("complaint.id"))
    subject_kind: Mapped[str] = mapped_column(String(16))
    """``staff`` or ``department``."""
    subject_id: Mapped[int | None] = mapped_column(BigId)
    subject_name: Mapped[str] = mapped_column(String(120))
    finding: Mapped[str] = mapped_column(Text)
    penalty: Mapped[str | None] = mapped_column(String(200))
    loss_share_percent: Mapped[int | None]
    source: Mapped[str] = mapped_column(String(16))
    """``manual`` or ``sla_breach`` (proposed by the system when a deadline was missed)."""
    status: Mapped[str] = mapped_column(String(16))
    """``proposed``, ``confirmed`` or ``dismissed``."""
    proposed_at: Mapped[datetime]
    proposed_by: Mapped[str] = mapped_column(String(40))
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(40))


class ReplyTemplateText(Base):
    """An organisation's own wording of a reply template (答复模板) for one category and situation.

    Without a row, the built-in wording of ``kesu.handling.replies`` applies.
    """

    __tablename__ = "reply_template"
    __table_args__ = (UniqueConstraint("category", "situation"),)

    id: Mapped[IdPk]
    category: Mapped[str] = mapped_column(String(32))
    situation: Mapped[str] = mapped_column(String(24))
    """``first_response``, ``findings``, ``remedy`` or ``closing``."""
    text: Mapped[str] = mapped_column(Text)
    """With placeholders such as ``{name}`` and ``{tracking_number}``, filled from the case."""
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(40))
