"""Reads of the complaint aggregate. Edges load a complaint for a viewer only through ``access_*``."""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Row,
    Select,
    Text,
    TypeDecorator,
    and_,
    bindparam,
    cast,
    exists,
    not_,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import NullType, TypeEngine
from typing_extensions import override

from kesu.accounts import permissions
from kesu.accounts.queries import DepartmentEntry, HandlerEntry, department_list, handler_list
from kesu.complaints import lifecycle, search
from kesu.complaints.errors import ComplaintNotFound
from kesu.complaints.events import EVENT_LABELS, EventKind
from kesu.complaints.lifecycle import STATUS_LABELS, Status
from kesu.complaints.models import Complaint, Evidence, TimelineEvent
from kesu.complaints.schemas import (
    ComplaintPublic,
    ComplaintRead,
    ComplaintSummary,
    EvidenceRead,
    TimelineEventRead,
)
from kesu.core.actors import SYSTEM, Actor, ActorKind
from kesu.core.errors import InvalidInput, PermissionDenied
from kesu.core.i18n import Language, label
from kesu.core.text_limits import normalise_phone
from kesu.customers.models import Customer
from kesu.db.base import UTCDateTime
from kesu.sla.calendar import ClockType, deadline
from kesu.sla.models import SlaClock
from kesu.sla.service import ClockState, shown_calendar

MAX_PAGE = 200


def access_complaint(session: Session, viewer: Actor, complaint_id: int) -> Complaint:
    """The complaint if ``viewer`` may see it; customers see only their own and get "not found"
    for anyone else's, so a guessed id reveals nothing."""
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise ComplaintNotFound()
    if viewer.kind is ActorKind.CUSTOMER:
        if complaint.customer_id != viewer.id:
            raise ComplaintNotFound()
        return complaint
    if viewer.kind is ActorKind.USER and not permissions.allows(
        viewer.role, permissions.Permission.VIEW_COMPLAINTS
    ):
        raise PermissionDenied()
    return complaint


def customer_actor(complaint: Complaint) -> Actor:
    """The complainant of ``complaint`` acting on it (portal tracking, appeal, withdrawal)."""
    return Actor(
        kind=ActorKind.CUSTOMER,
        id=complaint.customer_id,
        role="customer",
        name=complaint.complainant_name,
    )


def access_by_tracking_number(session: Session, *, tracking_number: str, contact: str) -> Complaint:
    """The complaint whose tracking number *and* phone or e-mail both match, else not found.

    This is how a complainant without an account checks progress; a wrong contact looks the same
    as a wrong number so the lookup cannot be used to confirm that a case exists.
    """
    complaint = session.scalar(
        select(Complaint).where(Complaint.tracking_number == tracking_number.strip().upper())
    )
    if complaint is None or not _contact_matches(complaint, contact):
        raise ComplaintNotFound()
    return complaint


def _contact_matches(complaint: Complaint, contact: str) -> bool:
    contact = contact.strip()
    if "@" in contact:
        return complaint.contact_email is not None and hmac.compare_digest(
            complaint.contact_email, contact.lower()
        )
    try:
        phone = normalise_phone(contact)
    except InvalidInput:
        return False
    return complaint.contact_phone is not None and hmac.compare_digest(
        complaint.contact_phone, phone
    )


def _timeline_query(complaint: Complaint, *, public_only: bool) -> Select[Any]:
    # Plain rows of the columns shown: a timeline is read on every view of a complaint.
    query = select(*_TIMELINE_COLUMNS).where(TimelineEvent.complaint_id == complaint.id)
    if public_only:
        query = query.where(TimelineEvent.is_public.is_(True))
    return query.order_by(TimelineEvent.id)


def _timeline(
    session: Session, complaint: Complaint, *, public_only: bool, language: Language
) -> list[TimelineEventRead]:
    events = session.execute(_timeline_query(complaint, public_only=public_only))
    return _timeline_reads(events, complaint, public_only=public_only, language=language)


def _timeline_reads(
    events: Iterable[_TimelineRow], complaint: Complaint, *, public_only: bool, language: Language
) -> list[TimelineEventRead]:
    customer_ref = f"{ActorKind.CUSTOMER.value}:{complaint.customer_id}"

    def shown_name(event: _TimelineRow) -> str:
        # The customer sees that the centre acted, not which member of staff did it.
        if public_only and event.actor != customer_ref:
            return "客服中心" if language is Language.ZH else "Complaint centre"
        if event.actor == SYSTEM.ref:
            # Stored under its Chinese name like any actor, but it is the software, not a person.
            return "系统" if language is Language.ZH else "System"
        name: str = event.actor_name
        return name

    return [
        TimelineEventRead(
            at=event.at,
            kind=event.kind,
            label=label(EVENT_LABELS, event.kind, language),
            actor_name=shown_name(event),
            from_status=event.from_status,
            to_status=event.to_status,
            note=event.note,
            detail=_detail(event),
        )
        for event in events
    ]


_TIMELINE_COLUMNS = (
    TimelineEvent.at,
    TimelineEvent.kind,
    TimelineEvent.actor,
    TimelineEvent.actor_name,
    TimelineEvent.from_status,
    TimelineEvent.to_status,
    TimelineEvent.note,
    TimelineEvent.data,
)
_TimelineRow = Row[datetime, str, str, str, str | None, str | None, str | None, dict[str, Any]]


def _detail(event: _TimelineRow) -> str | None:
    if event.kind in {EventKind.ASSIGNED, EventKind.REASSIGNED}:
        names = [event.data.get("department_name"), event.data.get("assignee_name")]
        return " / ".join(str(name) for name in names if name) or None
    if event.kind == EventKind.EVIDENCE_ADDED:
        return "、".join(str(name) for name in event.data.get("filenames", [])) or None
    return None


def public_view(session: Session, complaint: Complaint, language: Language) -> ComplaintPublic:
    timeline = _timeline(session, complaint, public_only=True, language=language)
    return ComplaintPublic(
        tracking_number=complaint.tracking_number,
        status=complaint.status,
        status_label=label(STATUS_LABELS, complaint.status, language),
        received_at=complaint.received_at,
        updated_at=complaint.updated_at,
        target=complaint.target,
        demands=list(complaint.demands),
        timeline=timeline,
    )


def staff_view(session: Session, complaint: Complaint, language: Language) -> ComplaintRead:
    # The timeline's statement also says whether the complaint has any evidence: most have none,
    # and then the evidence list needs no statement of its own.
    events = session.execute(
        _timeline_query(complaint, public_only=False).add_columns(
            exists().where(Evidence.complaint_id == complaint.id).label("has_evidence")
        )
    ).all()
    evidence = (
        session.execute(
            select(
                Evidence.id,
                Evidence.filename,
                Evidence.content_type,
                Evidence.size_bytes,
                Evidence.sha256,
            )
            .where(Evidence.complaint_id == complaint.id)
            .order_by(Evidence.id)
        ).all()
        if not events or events[0].has_evidence
        else []
    )
    return ComplaintRead(
        id=complaint.id,
        tracking_number=complaint.tracking_number,
        status=complaint.status,
        status_label=label(STATUS_LABELS, complaint.status, language),
        version=complaint.version,
        customer_id=complaint.customer_id,
        complainant_name=complaint.complainant_name,
        contact_phone=complaint.contact_phone,
        contact_email=complaint.contact_email,
        channel=complaint.channel,
        region=complaint.region,
        target_type=complaint.target_type,
        target=complaint.target,
        product_line=complaint.product_line,
        order_number=complaint.order_number,
        description=complaint.description,
        demands=list(complaint.demands),
        occurred_at=complaint.occurred_at,
        received_at=complaint.received_at,
        updated_at=complaint.updated_at,
        category=complaint.category,
        priority=complaint.priority,
        department_id=complaint.department_id,
        department_name=_department_name(session, complaint.department_id),
        assignee_id=complaint.assignee_id,
        allowed_actions=[a.value for a in lifecycle.allowed_actions(Status(complaint.status))],
        evidence=[
            EvidenceRead(
                id=row.id,
                filename=row.filename,
                content_type=row.content_type,
                size_bytes=row.size_bytes,
                sha256=row.sha256,
            )
            for row in evidence
        ],
        timeline=_timeline_reads(events, complaint, public_only=False, language=language),
    )


def _department_name(session: Session, department_id: int | None) -> str | None:
    if department_id is None:
        return None
    return next((d.name for d in departments(session) if d.id == department_id), None)


def departments(session: Session) -> Sequence[DepartmentEntry]:
    """Every department, by code (the per-process list of ``kesu.accounts.queries``)."""
    return department_list(session)


class SlaState(StrEnum):
    """Where a complaint's live deadlines stand now; a complaint whose clocks all stopped has none.

    One state per complaint, the most pressing first: overdue, paused, due soon, on track.
    """

    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    """Due within the policy's reminder window, or within ``DUE_SOON_WORKING_TIME``."""
    OVERDUE = "overdue"
    """A running clock past its deadline, or a live clock that already missed one."""
    PAUSED = "paused"
    """Waiting for the customer."""


SLA_STATE_LABELS = {
    SlaState.ON_TRACK: ("正常", "On track"),
    SlaState.DUE_SOON: ("即将超时", "Due soon"),
    SlaState.OVERDUE: ("已超时", "Overdue"),
    SlaState.PAUSED: ("已暂停", "Paused"),
}
DUE_SOON_WORKING_TIME = timedelta(hours=4)
"""Half a working day: a deadline this close needs someone today, even on a calendar clock
(Friday evening, due Saturday night, nobody works in between)."""
_LIVE = (ClockState.RUNNING.value, ClockState.PAUSED.value)


class _MinutesBefore(FunctionElement[datetime]):
    """``moment`` less ``minutes`` (an integer column), in each database's own date arithmetic."""

    type = UTCDateTime()
    inherit_cache = True
    name = "minutes_before"


@compiles(_MinutesBefore)
def _minutes_before(element: _MinutesBefore, compiler: SQLCompiler, **kw: Any) -> str:
    moment, minutes = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({moment} - {minutes} * INTERVAL '1 minute')"


@compiles(_MinutesBefore, "sqlite")
def _minutes_before_sqlite(element: _MinutesBefore, compiler: SQLCompiler, **kw: Any) -> str:
    moment, minutes = (compiler.process(clause, **kw) for clause in element.clauses)
    # datetime() drops the fraction of a second; stored times compare as text, so a reminder
    # window opens at most one second early.
    return f"datetime({moment}, '-' || {minutes} || ' minutes')"


def due_soon_before(session: Session, now: datetime) -> datetime:
    """Deadlines up to this moment are due soon: ``DUE_SOON_WORKING_TIME`` of working time ahead."""
    return deadline(now, DUE_SOON_WORKING_TIME, shown_calendar(session), ClockType.WORKING)


def _has_clock(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    # sla_clock is unique on (complaint_id, kind): each test is an index lookup per complaint.
    return exists().where(SlaClock.complaint_id == Complaint.id, *conditions)


def _sla_condition(
    states: Iterable[SlaState], *, now: datetime, soon: datetime
) -> ColumnElement[bool]:
    running = SlaClock.state == ClockState.RUNNING.value
    overdue = _has_clock(
        or_(
            and_(running, SlaClock.due_at <= now),
            and_(SlaClock.state.in_(_LIVE), SlaClock.breached_at.is_not(None)),
        )
    )
    paused = _has_clock(SlaClock.state == ClockState.PAUSED.value)
    due_soon = _has_clock(
        running,
        or_(
            SlaClock.due_at <= soon,
            _MinutesBefore(SlaClock.due_at, SlaClock.warn_before_minutes) <= now,
        ),
    )
    by_state = {
        SlaState.OVERDUE: overdue,
        SlaState.PAUSED: and_(paused, not_(overdue)),
        SlaState.DUE_SOON: and_(due_soon, not_(overdue), not_(paused)),
        SlaState.ON_TRACK: and_(_has_clock(running), not_(overdue), not_(paused), not_(due_soon)),
    }
    return or_(*(by_state[state] for state in dict.fromkeys(states)))


_JudgedClock = Row[int, str, datetime, datetime | None, int]
# The clock columns a state is judged by (plain rows: a queue page reads a hundred clocks).
_JUDGED_COLUMNS = (
    SlaClock.complaint_id,
    SlaClock.state,
    SlaClock.due_at,
    SlaClock.breached_at,
    SlaClock.warn_before_minutes,
)


def _state_of(clocks: Sequence[_JudgedClock], *, now: datetime, soon: datetime) -> SlaState | None:
    """The same judgement as ``_sla_condition``, for clocks already loaded (in one pass: a queue
    page judges fifty complaints)."""
    running = paused = due_soon = False
    for clock in clocks:
        if clock.state == ClockState.RUNNING:
            if clock.due_at <= now or clock.breached_at is not None:
                return SlaState.OVERDUE
            running = True
            due_soon = due_soon or (
                clock.due_at <= soon
                or clock.due_at - timedelta(minutes=clock.warn_before_minutes) <= now
            )
        elif clock.state == ClockState.PAUSED:
            if clock.breached_at is not None:
                return SlaState.OVERDUE
            paused = True
    if paused:
        return SlaState.PAUSED
    if due_soon:
        return SlaState.DUE_SOON
    return SlaState.ON_TRACK if running else None


class _AmongIds(FunctionElement[Any]):
    """``column`` is one of a list of ids, the list bound as one parameter.

    ``column IN (…)`` binds each id on its own: the statement is re-rendered for every list,
    and past fifty parameters psycopg parses it again each time too. One parameter keeps the
    statement's text the same whatever the ids.
    """

    # Not Boolean: SQLite has no boolean type, and SQLAlchemy would compare a Boolean element
    # with 1 ("… IN (…) = 1"), which no index serves (a scan of every clock at a million).
    type = NullType()
    inherit_cache = True
    name = "among_ids"


class _IdList(TypeDecorator[list[int]]):
    """A list of ids as one value: a BIGINT[] on PostgreSQL, JSON text for SQLite's json_each."""

    impl = Text
    cache_ok = True

    @override
    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(BigInteger()))
        return dialect.type_descriptor(Text())

    @override
    def process_bind_param(self, value: list[int] | None, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return json.dumps(value)


def _among_ids(column: QueryableAttribute[int], ids: Sequence[int]) -> ColumnElement[bool]:
    return _AmongIds(column, bindparam(None, list(ids), type_=_IdList()))


@compiles(_AmongIds)
def _among_ids_postgresql(element: _AmongIds, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"{column} = ANY({ids})"


@compiles(_AmongIds, "sqlite")
def _among_ids_sqlite(element: _AmongIds, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = (compiler.process(clause, **kw) for clause in element.clauses)
    # Both parts are compiled clauses (a column name and a parameter's placeholder), never values.
    return f"{column} IN (SELECT value FROM json_each({ids}))"  # noqa: S608


def sla_states(
    session: Session, complaint_ids: Sequence[int], *, now: datetime
) -> dict[int, SlaState]:
    """The SLA state of each listed complaint that has a live clock, in one read of the clocks."""
    if not complaint_ids:
        return {}
    by_complaint: dict[int, list[_JudgedClock]] = {}
    for clock in session.execute(
        select(*_JUDGED_COLUMNS).where(
            _among_ids(SlaClock.complaint_id, complaint_ids), SlaClock.state.in_(_LIVE)
        )
    ):
        by_complaint.setdefault(clock.complaint_id, []).append(clock)
    soon = due_soon_before(session, now)
    states = {
        complaint_id: _state_of(clocks, now=now, soon=soon)
        for complaint_id, clocks in by_complaint.items()
    }
    return {complaint_id: state for complaint_id, state in states.items() if state is not None}


def handlers(session: Session) -> Sequence[HandlerEntry]:
    """Active staff who may be given complaints to handle, by department and name."""
    return handler_list(session)


@dataclass(frozen=True)
class ComplaintFilter:
    statuses: Sequence[Status] = ()
    categories: Sequence[str] = ()
    priorities: Sequence[str] = ()
    department_id: int | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    """Only complaints nobody has been given yet."""
    breached: bool = False
    """Only complaints with a missed deadline (a breached SLA clock), met late or not."""
    sla_states: Sequence[SlaState] = ()
    """Only complaints whose live deadlines are in one of these states at ``now``."""
    customer_tags: Sequence[str] = ()
    """Only complaints from a customer with any of these tags (``vip``, ``frequent``, …)."""
    now: datetime | None = None
    """The moment SLA states are judged at; required with ``sla_states``."""
    search: str = ""
    """Only complaints whose description or subject contains every word of this text."""
    before_id: int | None = None
    """Keyset pagination: only complaints with a smaller id (newest first)."""
    limit: int = 50


def _tagged_customers(tags: Sequence[str]) -> ColumnElement[bool]:
    # Tags are a short JSON list of known codes on each profile; matching the quoted code in its
    # text reads the same on SQLite and PostgreSQL (no JSON operators in common).
    return Complaint.customer_id.in_(
        select(Customer.id).where(
            or_(*(cast(Customer.tags, Text).contains(f'"{tag}"', autoescape=True) for tag in tags))
        )
    )


# What a list shows, read as plain rows: loading whole complaints (descriptions up to thousands of
# characters, a dozen more columns) into the identity map cost more than the query itself.
_SUMMARY_COLUMNS = (
    Complaint.id,
    Complaint.tracking_number,
    Complaint.status,
    Complaint.complainant_name,
    Complaint.channel,
    Complaint.target,
    Complaint.category,
    Complaint.priority,
    Complaint.received_at,
    Complaint.version,
)


def list_complaints(
    session: Session, viewer: Actor, query: ComplaintFilter, language: Language
) -> list[ComplaintSummary]:
    """Newest first, for staff who may view complaints."""
    return [
        ComplaintSummary(
            id=row.id,
            tracking_number=row.tracking_number,
            status=row.status,
            status_label=label(STATUS_LABELS, row.status, language),
            complainant_name=row.complainant_name,
            channel=row.channel,
            target=row.target,
            category=row.category,
            priority=row.priority,
            received_at=row.received_at,
            version=row.version,
        )
        for row in summary_rows(session, viewer, query)
    ]


def summary_rows(session: Session, viewer: Actor, query: ComplaintFilter) -> list[Row[Any]]:
    """``list_complaints`` as plain rows of the summary columns, for a page that shows them in
    its own form (the staff queue) without a model per row."""
    if viewer.kind is not ActorKind.USER or not permissions.allows(
        viewer.role, permissions.Permission.VIEW_COMPLAINTS
    ):
        raise PermissionDenied()
    page = min(max(query.limit, 1), MAX_PAGE)
    statement = select(*_SUMMARY_COLUMNS).order_by(Complaint.id.desc()).limit(page)
    if query.statuses:
        statement = statement.where(Complaint.status.in_([s.value for s in query.statuses]))
    if query.categories:
        statement = statement.where(Complaint.category.in_(list(query.categories)))
    if query.priorities:
        statement = statement.where(Complaint.priority.in_(list(query.priorities)))
    if query.department_id is not None:
        statement = statement.where(Complaint.department_id == query.department_id)
    if query.assignee_id is not None:
        statement = statement.where(Complaint.assignee_id == query.assignee_id)
    if query.unassigned:
        statement = statement.where(Complaint.assignee_id.is_(None))
    if query.breached:
        statement = statement.where(
            exists().where(SlaClock.complaint_id == Complaint.id, SlaClock.breached_at.is_not(None))
        )
    if query.sla_states:
        if query.now is None:
            raise ValueError("judging SLA states needs the time now")
        statement = statement.where(
            _sla_condition(
                query.sla_states, now=query.now, soon=due_soon_before(session, query.now)
            )
        )
    if query.customer_tags:
        statement = statement.where(_tagged_customers(query.customer_tags))
    if query.search:
        # Statements over ever older complaints until the page is full (see newest_matching).
        rows: list[Row[Any]] = []
        for part in search.newest_matching(
            session, statement, query.search, before_id=query.before_id
        ):
            rows.extend(session.execute(part.limit(page - len(rows))))
            if len(rows) >= page:
                break
    else:
        if query.before_id is not None:
            statement = statement.where(Complaint.id < query.before_id)
        rows = list(session.execute(statement))
    return rows
