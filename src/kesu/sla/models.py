"""SLA policies (时限), the clocks running on each complaint, and the organisation's calendar days."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kesu.db.base import Base, BigId, IdPk


class SlaPolicy(Base):
    """Promised times for complaints matching category / priority / customer tag (None = any).

    The most specific active policy wins; without one, ``kesu.sla.service.DEFAULT_TERMS`` apply.
    """

    __tablename__ = "sla_policy"

    id: Mapped[IdPk]
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str | None] = mapped_column(String(32))
    priority: Mapped[str | None] = mapped_column(String(4))
    customer_tag: Mapped[str | None] = mapped_column(String(32))
    first_response_minutes: Mapped[int]
    resolution_minutes: Mapped[int]
    first_response_clock_type: Mapped[str] = mapped_column(String(16))
    """``calendar`` (every minute: "within 24 hours") or ``working`` (business calendar)."""
    clock_type: Mapped[str] = mapped_column(String(16))
    """Of the resolution clock: ``working`` or ``calendar``."""
    warn_before_minutes: Mapped[int]
    compensation_voucher: Mapped[str | None] = mapped_column(String(120))
    """Offered to the customer when this policy's promise is broken, e.g. "20 元代金券"."""
    is_active: Mapped[bool] = mapped_column(default=True)


class SlaClock(Base):
    __tablename__ = "sla_clock"
    __table_args__ = (
        UniqueConstraint("complaint_id", "kind"),
        Index("ix_sla_clock_breached", "breached_at"),
    )

    id: Mapped[IdPk]
    complaint_id: Mapped[int] = mapped_column(BigId, ForeignKey("complaint.id"))
    kind: Mapped[str] = mapped_column(String(24))
    """``first_response`` or ``resolution``."""
    policy_name: Mapped[str] = mapped_column(String(120))
    clock_type: Mapped[str] = mapped_column(String(16))
    warn_before_minutes: Mapped[int]
    compensation_voucher: Mapped[str | None] = mapped_column(String(120))
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))
    """``running``, ``paused`` (waiting for the customer) or ``stopped`` (met, or case ended)."""
    remaining_seconds: Mapped[int | None]
    """While paused: the time of the clock's kind that was left."""
    paused_at: Mapped[datetime | None]
    warned_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]
    met_at: Mapped[datetime | None]


class CalendarDay(Base):
    """An organisation's own working day (True) or closed day (False), over the national schedule."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    is_working: Mapped[bool]
    note: Mapped[str | None] = mapped_column(String(200))
