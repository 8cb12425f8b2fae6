"""Follow-up visits (回访): satisfaction after resolution, by staff or by the customer's own link."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kesu.db.base import Base, BigId, IdPk


class FollowUpVisit(Base):
    __tablename__ = "follow_up_visit"

    id: Mapped[IdPk]
    complaint_id: Mapped[int] = mapped_column(BigId, ForeignKey("complaint.id"), index=True)
    scheduled_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    csat: Mapped[int | None]
    """Satisfaction 1–5."""
    nps: Mapped[int | None]
    """Likelihood to recommend 0–10."""
    comment: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(16))
    """``call``, ``sms``, ``visit``, … or ``portal`` when the customer answered the link."""
    recorded_by: Mapped[str | None] = mapped_column(String(40))


class SummaryEvaluation(Base):
    """The summary evaluation (总结评价) written when a complaint is closed."""

    __tablename__ = "summary_evaluation"

    id: Mapped[IdPk]
    complaint_id: Mapped[int] = mapped_column(BigId, ForeignKey("complaint.id"), unique=True)
    lessons: Mapped[str] = mapped_column(Text)
    root_cause_class: Mapped[str] = mapped_column(String(16))
    """``product``, ``process``, ``people``, ``communication``, ``supplier``, ``customer`` or ``other``."""
    evaluated_by: Mapped[str] = mapped_column(String(40))
    evaluated_at: Mapped[datetime]


class ImprovementAction(Base):
    """An improvement action (改进措施) assigned to a department, tracked to done."""

    __tablename__ = "improvement_action"

    id: Mapped[IdPk]
    complaint_id: Mapped[int] = mapped_column(BigId, ForeignKey("complaint.id"), index=True)
    department_id: Mapped[int] = mapped_column(BigId, ForeignKey("department.id"))
    description: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime]
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    done_note: Mapped[str | None] = mapped_column(Text)
    reminders: Mapped[int] = mapped_column(default=0)
