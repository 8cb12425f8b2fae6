"""Commands on SLA clocks: start at intake, pause while waiting for the customer, stop when met.

Each running clock has two timers in the job table: a reminder ``warn_before_minutes`` ahead of
the deadline and the deadline itself. A timer carries the deadline it was set for; when a pause
moves the deadline, the old timers find a different deadline on the clock and do nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.accounts import permissions
from kesu.audit import service as audit
from kesu.core.actors import Actor
from kesu.core.errors import Bilingual, InvalidInput, NotFound
from kesu.core.text_limits import clean_text
from kesu.customers.service import KNOWN_TAGS
from kesu.db import outbox
from kesu.db.cache import SharedRead, TransactionRead
from kesu.db.engine import transaction
from kesu.sla.calendar import BusinessCalendar, ClockType, deadline, elapsed
from kesu.sla.models import CalendarDay, SlaClock, SlaPolicy
from kesu.sla.schemas import CalendarDayWrite, PolicyCreate
from kesu.text.classify import CATEGORIES

WARN_JOB = "sla.warn"
DUE_JOB = "sla.due"


class ClockKind(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


CLOCK_LABELS = {
    ClockKind.FIRST_RESPONSE: ("首次响应", "First response"),
    ClockKind.RESOLUTION: ("处理完成", "Resolution"),
}


@dataclass(frozen=True)
class Terms:
    name: str
    first_response: timedelta
    resolution: timedelta
    clock_type: ClockType
    """Of the resolution clock."""
    warn_before: timedelta
    compensation_voucher: str | None = None
    first_response_clock: ClockType = ClockType.CALENDAR
    """A person waiting for an answer counts every hour (SPEC §1: "within 24 h")."""


# SPEC §1: a first response within 24 hours. Resolution by priority, in working time.
_DAY = timedelta(hours=9)  # one working day of 09:00–18:00
DEFAULT_TERMS = {
    "P1": Terms("默认 P1", timedelta(hours=2), 1 * _DAY, ClockType.WORKING, timedelta(hours=1)),
    "P2": Terms("默认 P2", timedelta(hours=8), 3 * _DAY, ClockType.WORKING, timedelta(hours=2)),
    "P3": Terms("默认 P3", timedelta(hours=24), 5 * _DAY, ClockType.WORKING, timedelta(hours=4)),
    "P4": Terms("默认 P4", timedelta(hours=24), 10 * _DAY, ClockType.WORKING, timedelta(hours=4)),
}


def _load_calendar(session: Session) -> BusinessCalendar:
    days = session.execute(select(CalendarDay.day, CalendarDay.is_working)).all()
    return BusinessCalendar(overrides=MappingProxyType(dict(days)))


business_calendar = TransactionRead(_load_calendar, CalendarDay)
"""The national schedule with this organisation's own days on top, as of the caller's
transaction (read once in it: the inbox registers several complaints in one)."""


shown_calendar = SharedRead(_load_calendar, CalendarDay)
"""``business_calendar`` for pages that show deadlines: a per-process copy (kesu.db.cache), at
most a few seconds behind another process's change. Commands that arm or move a deadline read
the calendar itself."""


def _load_active_policies(session: Session) -> tuple[SlaPolicy, ...]:
    return tuple(session.scalars(select(SlaPolicy).where(SlaPolicy.is_active.is_(True))))


_active_policies = TransactionRead(_load_active_policies, SlaPolicy)


def select_terms(
    session: Session, *, category: str | None, priority: str | None, tags: list[str]
) -> Terms:
    """The most specific active policy that matches, else the default for the priority."""
    candidates = [
        policy
        for policy in _active_policies(session)
        if policy.category in {None, category}
        and policy.priority in {None, priority}
        and (policy.customer_tag is None or policy.customer_tag in tags)
    ]
    if not candidates:
        return DEFAULT_TERMS.get(priority or "P4", DEFAULT_TERMS["P4"])
    best = max(
        candidates,
        key=lambda p: (
            p.customer_tag is not None,
            p.category is not None,
            p.priority is not None,
            -p.id,
        ),
    )
    return Terms(
        name=best.name,
        first_response=timedelta(minutes=best.first_response_minutes),
        resolution=timedelta(minutes=best.resolution_minutes),
        clock_type=ClockType(best.clock_type),
        warn_before=timedelta(minutes=best.warn_before_minutes),
        compensation_voucher=best.compensation_voucher,
        first_response_clock=ClockType(best.first_response_clock_type),
    )


def _arm(session: Session, clock: SlaClock, now: datetime, *, new_clock: bool = False) -> None:
    stamp = clock.due_at.isoformat()
    warn_at = max(clock.due_at - timedelta(minutes=clock.warn_before_minutes), now)
    payload = {"clock_id": clock.id, "due_at": stamp}
    outbox.enqueue(
        session,
        WARN_JOB,
        payload,
        now=now,
        run_at=warn_at,
        dedupe_key=f"{WARN_JOB}:{clock.id}:{stamp}",
        key_is_new=new_clock,
    )
    outbox.enqueue(
        session,
        DUE_JOB,
        payload,
        now=now,
        run_at=clock.due_at,
        dedupe_key=f"{DUE_JOB}:{clock.id}:{stamp}",
        key_is_new=new_clock,
    )


def start_clocks(
    session: Session,
    *,
    complaint_id: int,
    terms: Terms,
    now: datetime,
    calendar: BusinessCalendar | None = None,
) -> list[SlaClock]:
    """Start the first-response and resolution clocks of a new complaint, with their timers.

    The clocks are flushed with the caller's other rows; their timers follow in the next flush.
    ``calendar`` lets a caller read the business calendar before it starts writing.
    """
    calendar = calendar or business_calendar(session)
    clocks = []
    for kind, duration, clock_type in (
        (ClockKind.FIRST_RESPONSE, terms.first_response, terms.first_response_clock),
        (ClockKind.RESOLUTION, terms.resolution, terms.clock_type),
    ):
        clock = SlaClock(
            complaint_id=complaint_id,
            kind=kind,
            policy_name=terms.name,
            clock_type=clock_type,
            warn_before_minutes=int(terms.warn_before.total_seconds() // 60),
            compensation_voucher=terms.compensation_voucher,
            started_at=now,
            due_at=deadline(now, duration, calendar, clock_type),
            state=ClockState.RUNNING,
        )
        session.add(clock)
        clocks.append(clock)

    def arm_new_clocks() -> None:
        for clock in clocks:
            _arm(session, clock, now, new_clock=True)

    outbox.when_flushed(session, arm_new_clocks)
    return clocks


def _clocks(session: Session, complaint_id: int, *states: ClockState) -> list[SlaClock]:
    return list(
        session.scalars(
            select(SlaClock)
            .where(SlaClock.complaint_id == complaint_id, SlaClock.state.in_(states))
            .order_by(SlaClock.id)
            .with_for_update()
        )
    )


def pause_clocks(session: Session, *, complaint_id: int, now: datetime) -> None:
    """Waiting for the customer: keep what is left of each running clock."""
    calendar = business_calendar(session)
    for clock in _clocks(session, complaint_id, ClockState.RUNNING):
        left = elapsed(now, clock.due_at, calendar, ClockType(clock.clock_type))
        clock.state = ClockState.PAUSED
        clock.paused_at = now
        clock.remaining_seconds = int(left.total_seconds())


def resume_clocks(session: Session, *, complaint_id: int, now: datetime) -> None:
    """The customer replied: the clocks go on from what was left, with new timers."""
    calendar = business_calendar(session)
    for clock in _clocks(session, complaint_id, ClockState.PAUSED):
        left = timedelta(seconds=clock.remaining_seconds or 0)
        clock.due_at = deadline(now, left, calendar, ClockType(clock.clock_type))
        clock.state = ClockState.RUNNING
        clock.paused_at = None
        clock.remaining_seconds = None
        session.flush()
        _arm(session, clock, now)


def stop_clocks(
    session: Session, *, complaint_id: int, kinds: tuple[ClockKind, ...], now: datetime
) -> None:
    """The promise is kept (or the case ended): record when, and let the timers lapse."""
    for clock in _clocks(session, complaint_id, ClockState.RUNNING, ClockState.PAUSED):
        if clock.kind in kinds:
            clock.state = ClockState.STOPPED
            clock.met_at = now


def claim_timer(
    session: Session, *, clock_id: int, due_at: str, now: datetime, warning: bool
) -> SlaClock | None:
    """Mark a clock warned or breached once; None if the timer is stale or already handled.

    Locks the clock row, so with several workers exactly one records the breach.
    """
    clock = session.scalar(select(SlaClock).where(SlaClock.id == clock_id).with_for_update())
    if clock is None or clock.state != ClockState.RUNNING or clock.due_at.isoformat() != due_at:
        return None
    if warning:
        if clock.warned_at is not None:
            return None
        clock.warned_at = now
        return clock
    if clock.breached_at is not None or now < clock.due_at:
        return None
    clock.breached_at = now
    return clock


def create_policy(
    session: Session, draft: PolicyCreate, *, actor: Actor, now: datetime
) -> SlaPolicy:
    """Add an SLA policy (administrators); it applies to complaints registered from now on."""
    with transaction(session):
        permissions.require(actor.role, permissions.Permission.MANAGE_SETTINGS)
        policy = SlaPolicy(**_checked_policy(draft), is_active=True)
        session.add(policy)
        session.flush()
        audit.record(
            session,
            at=now,
            actor=actor.ref,
            action="sla.policy_created",
            subject_type="sla_policy",
            subject_id=policy.id,
            data=draft.model_dump(mode="json"),
        )
        return policy


def set_calendar_day(
    session: Session, change: CalendarDayWrite, *, actor: Actor, now: datetime
) -> CalendarDay:
    """Declare one of the organisation's own working or closed days over the national schedule."""
    with transaction(session):
        permissions.require(actor.role, permissions.Permission.MANAGE_SETTINGS)
        day = session.get(CalendarDay, change.day)
        if day is None:
            day = CalendarDay(day=change.day, is_working=change.is_working, note=change.note)
            session.add(day)
        else:
            day.is_working, day.note = change.is_working, change.note
        audit.record(
            session,
            at=now,
            actor=actor.ref,
            action="sla.calendar_day_set",
            subject_type="calendar_day",
            subject_id=change.day.isoformat(),
            data=change.model_dump(mode="json"),
        )
        return day


def _checked_policy(draft: PolicyCreate) -> dict[str, object]:
    # A policy naming a category or tag no complaint can have would silently never apply.
    if draft.category is not None and draft.category not in CATEGORIES:
        raise InvalidInput(
            reason=Bilingual(
                f"未知的投诉类别 {draft.category}", f"unknown category {draft.category}"
            )
        )
    if draft.customer_tag is not None and draft.customer_tag not in KNOWN_TAGS:
        raise InvalidInput(
            reason=Bilingual(
                f"未知的客户标签 {draft.customer_tag}", f"unknown customer tag {draft.customer_tag}"
            )
        )
    values = draft.model_dump()
    values["name"] = clean_text(draft.name, field=Bilingual("策略名称", "name"), max_length=120)
    return values


def update_policy(
    session: Session,
    policy_id: int,
    draft: PolicyCreate,
    *,
    is_active: bool,
    actor: Actor,
    now: datetime,
) -> SlaPolicy:
    """Change a policy (administrators); clocks already running keep the terms they started with."""
    with transaction(session):
        permissions.require(actor.role, permissions.Permission.MANAGE_SETTINGS)
        policy = session.get(SlaPolicy, policy_id)
        if policy is None:
            raise NotFound()
        values = {**_checked_policy(draft), "is_active": is_active}
        before = {field: getattr(policy, field) for field in values}
        if before == values:
            return policy
        for field, value in values.items():
            setattr(policy, field, value)
        audit.record(
            session,
            at=now,
            actor=actor.ref,
            action="sla.policy_updated",
            subject_type="sla_policy",
            subject_id=policy.id,
            data={"before": before, "after": values},
        )
        return policy


def remove_calendar_day(session: Session, day: date, *, actor: Actor, now: datetime) -> None:
    """Drop one of the organisation's own days: the national schedule applies to it again."""
    with transaction(session):
        permissions.require(actor.role, permissions.Permission.MANAGE_SETTINGS)
        row = session.get(CalendarDay, day)
        if row is None:
            raise NotFound()
        data = {"day": day.isoformat(), "is_working": row.is_working, "note": row.note}
        session.delete(row)
        audit.record(
            session,
            at=now,
            actor=actor.ref,
            action="sla.calendar_day_removed",
            subject_type="calendar_day",
            subject_id=day.isoformat(),
            data=data,
        )


def tighten_clocks(session: Session, *, complaint_id: int, factor: float, now: datetime) -> None:
    """Shorten what is left of the running resolution clock (a complaint sent back down gets
    less time, not more), with new timers."""
    calendar = business_calendar(session)
    for clock in _clocks(session, complaint_id, ClockState.RUNNING):
        if clock.kind != ClockKind.RESOLUTION or clock.due_at <= now:
            continue
        clock_type = ClockType(clock.clock_type)
        left = elapsed(now, clock.due_at, calendar, clock_type)
        clock.due_at = deadline(now, left * factor, calendar, clock_type)
        session.flush()
        _arm(session, clock, now)


def restart_resolution(session: Session, *, complaint_id: int, terms: Terms, now: datetime) -> None:
    """A reopened complaint gets a fresh resolution promise (the missed one stays on its timeline)."""
    clock = session.scalar(
        select(SlaClock)
        .where(SlaClock.complaint_id == complaint_id, SlaClock.kind == ClockKind.RESOLUTION)
        .with_for_update()
    )
    if clock is None:
        return
    clock.policy_name = terms.name
    clock.clock_type = terms.clock_type
    clock.started_at = now
    clock.due_at = deadline(now, terms.resolution, business_calendar(session), terms.clock_type)
    clock.state = ClockState.RUNNING
    clock.remaining_seconds = clock.paused_at = clock.warned_at = clock.breached_at = (
        clock.met_at
    ) = None
    session.flush()
    _arm(session, clock, now)
