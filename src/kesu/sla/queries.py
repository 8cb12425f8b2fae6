"""Reads of SLA clocks (a complaint's countdowns), the policies and the organisation's own days."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.core.errors import NotFound
from kesu.core.i18n import Language, label
from kesu.sla.calendar import ClockType, elapsed
from kesu.sla.models import CalendarDay, SlaClock, SlaPolicy
from kesu.sla.schemas import CalendarDayWrite, ClockRead, PolicyRead
from kesu.sla.service import CLOCK_LABELS, ClockState, shown_calendar


def clocks_of(
    session: Session, complaint_id: int, *, now: datetime, language: Language
) -> list[ClockRead]:
    calendar = shown_calendar(session)
    reads = []
    for clock in session.scalars(
        select(SlaClock).where(SlaClock.complaint_id == complaint_id).order_by(SlaClock.id)
    ):
        remaining: int | None = None
        if clock.state == ClockState.PAUSED:
            remaining = clock.remaining_seconds
        elif clock.state == ClockState.RUNNING:
            if now <= clock.due_at:
                remaining = int(
                    elapsed(
                        now, clock.due_at, calendar, ClockType(clock.clock_type)
                    ).total_seconds()
                )
            else:
                remaining = -int(
                    elapsed(
                        clock.due_at, now, calendar, ClockType(clock.clock_type)
                    ).total_seconds()
                )
        reads.append(
            ClockRead(
                kind=clock.kind,
                label=label(CLOCK_LABELS, clock.kind, language),
                policy_name=clock.policy_name,
                clock_type=clock.clock_type,
                started_at=clock.started_at,
                due_at=clock.due_at,
                state=clock.state,
                breached=clock.breached_at is not None,
                breached_at=clock.breached_at,
                met_at=clock.met_at,
                remaining_seconds=remaining,
            )
        )
    return reads


def policies(session: Session) -> list[PolicyRead]:
    return [
        PolicyRead.model_validate(p)
        for p in session.scalars(select(SlaPolicy).order_by(SlaPolicy.id))
    ]


def policy(session: Session, policy_id: int) -> PolicyRead:
    row = session.get(SlaPolicy, policy_id)
    if row is None:
        raise NotFound()
    return PolicyRead.model_validate(row)


def calendar_days(session: Session) -> list[CalendarDayWrite]:
    """The organisation's own working and closed days, earliest first."""
    return [
        CalendarDayWrite(day=row.day, is_working=row.is_working, note=row.note)
        for row in session.scalars(select(CalendarDay).order_by(CalendarDay.day))
    ]
