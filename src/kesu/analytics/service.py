"""Keeping the rollup in step with the complaints: mark the days that changed, recompute them.

Every change to a complaint that the dashboard counts writes a timeline event in the same
transaction (registration, import, triage correction, assignment, status change, missed deadline,
escalation, follow-up answer). So the refresh follows the timeline, not the complaint table:

1. ``mark_changes`` reads the events above the watermark, finds the receipt days of their
   complaints and records those days in ``rollup_dirty_day``; then it moves the watermark.
2. ``drain`` recomputes dirty days, newest first: for each day, one read of that day's complaints
   (with their clocks, escalations and visits), added up in Python, and the day's rollup rows
   replaced. A day is small (a million complaints over two years is ~1,400 a day), so the cost
   of a refresh follows the number of changed days, not the size of the table. Only rows that
   differ are written, and their differences are added to the month rows.

Both steps lock the ``rollup_state`` row, so refreshes never interleave: a change committed while
a day is being recomputed marks that day again, and the next drain picks it up.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    Delete,
    RowMapping,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from kesu.analytics.measures import Measures
from kesu.analytics.models import (
    ALL_CATEGORIES,
    ALL_DEPARTMENTS,
    NO_CATEGORY,
    NO_DEPARTMENT,
    STATE_ID,
    ComplaintDayCount,
    ComplaintDayStat,
    ComplaintMonthCount,
    ComplaintMonthStat,
    RollupDirtyDay,
    RollupState,
)
from kesu.analytics.regions import province_of
from kesu.complaints.lifecycle import Status
from kesu.complaints.models import Complaint, TimelineEvent
from kesu.db.engine import transaction
from kesu.db.rows import insert_plain_rows
from kesu.escalation.models import EscalationRecord
from kesu.followup.models import FollowUpVisit
from kesu.sla.models import SlaClock

CHINA = timezone(timedelta(hours=8), "CST")
"""Days are China Standard Time days: a complaint at 23:30 Beijing time belongs to that day."""
REPEAT_WINDOW = timedelta(days=90)
"""A complaint is a repeat when the same customer complained within this time before."""
RESOLVED_STATUSES = frozenset({Status.RESOLVED, Status.FOLLOW_UP, Status.CLOSED, Status.ARCHIVED})

FULL_SCAN_BACKLOG = 100_000
"""More new events than this (a bulk import, a first refresh): mark every day instead of
mapping each event to its complaint's day."""
GAP_WINDOW = 10_000
"""Event ids checked for gaps below the newest when every day is marked anyway."""
GAP_PATIENCE = timedelta(minutes=2)
"""How long a missing event id is waited for before it is taken as a rolled-back transaction."""
DAYS_PER_TRANSACTION = 7
"""Days recomputed per transaction: short enough that SQLite's writers barely wait."""
_ID_CHUNK = 5_000
# Core inserts of plain rows: the ORM's bulk path would add per-row bookkeeping for nothing.
_STAT_TABLE = cast(Table, ComplaintDayStat.__table__)
_COUNT_TABLE = cast(Table, ComplaintDayCount.__table__)
_MONTH_STAT_TABLE = cast(Table, ComplaintMonthStat.__table__)
_MONTH_COUNT_TABLE = cast(Table, ComplaintMonthCount.__table__)


def china_day(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants where a China day starts and where the next one starts."""
    start = datetime(day.year, day.month, day.day, tzinfo=CHINA)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


@dataclass(frozen=True)
class MarkResult:
    events: int
    """New timeline events read (0 when every day was marked)."""
    days: int
    """Days newly marked dirty."""
    settled_event_id: int


@dataclass(frozen=True)
class RefreshResult:
    mark: MarkResult
    days: tuple[date, ...]
    """The days recomputed, in the order they were."""
    remaining: int
    """Dirty days left for a later run (a budget was given and spent)."""


def _locked_state(session: Session) -> RollupState:
    state = session.scalar(select(RollupState).where(RollupState.id == STATE_ID).with_for_update())
    if state is None:
        state = RollupState(id=STATE_ID, settled_event_id=0)
        session.add(state)
        session.flush()
    return state


def settle(
    ids: Sequence[int], settled: int, gap: tuple[int, datetime] | None, now: datetime
) -> tuple[int, tuple[int, datetime] | None]:
    """The new watermark over the event ids read (ascending, all above ``settled``), and the gap
    it stops at, if any.

    On PostgreSQL an id is taken when a row is inserted, not when it commits: a missing id may
    be a transaction still in flight, whose event must not be passed over. The watermark stops
    below the first missing id until it appears or has been missing for ``GAP_PATIENCE``
    (a rolled-back transaction never fills its id). SQLite has one writer and reuses the ids of
    rolled-back rows, so it never shows a gap.
    """
    expected = settled + 1
    for event_id in ids:
        if event_id > expected:
            waited_long_enough = (
                gap is not None and gap[0] == expected and now - gap[1] >= GAP_PATIENCE
            )
            if not waited_long_enough:
                seen = gap[1] if gap is not None and gap[0] == expected else now
                return expected - 1, (expected, seen)
            gap = None
        expected = event_id + 1
    return expected - 1, None


def _mark(session: Session, days: Iterable[date], now: datetime) -> int:
    wanted = sorted(set(days))
    if not wanted:
        return 0
    already: set[date] = set()
    for start in range(0, len(wanted), _ID_CHUNK):
        chunk = wanted[start : start + _ID_CHUNK]
        already.update(
            session.scalars(select(RollupDirtyDay.day).where(RollupDirtyDay.day.in_(chunk)))
        )
    new = [{"day": day, "marked_at": now} for day in wanted if day not in already]
    if new:
        session.execute(insert(RollupDirtyDay), new)
    return len(new)


def _receipt_days(session: Session, complaint_ids: Iterable[int]) -> set[date]:
    ids = sorted(set(complaint_ids))
    days: set[date] = set()
    for start in range(0, len(ids), _ID_CHUNK):
        chunk = ids[start : start + _ID_CHUNK]
        days.update(
            china_day(received)
            for received in session.scalars(
                select(Complaint.received_at).where(Complaint.id.in_(chunk)).distinct()
            )
        )
    return days


def _every_day(session: Session) -> set[date]:
    """Each day from the first complaint to the last, and each day the rollup still holds."""
    first = session.scalar(select(func.min(Complaint.received_at)))
    last = session.scalar(select(func.max(Complaint.received_at)))
    days: set[date] = set(session.scalars(select(ComplaintDayStat.day).distinct()))
    if first is not None and last is not None:
        day, end = china_day(first), china_day(last)
        while day <= end:
            days.add(day)
            day += timedelta(days=1)
    return days


def mark_changes(session: Session, *, now: datetime, everything: bool = False) -> MarkResult:
    """Mark the receipt days of complaints changed since the last call (or every day)."""
    with transaction(session):
        state = _locked_state(session)
        high = session.scalar(select(func.max(TimelineEvent.id))) or 0
        settled = state.settled_event_id
        gap = (
            (state.gap_event_id, state.gap_seen_at)
            if state.gap_event_id is not None and state.gap_seen_at is not None
            else None
        )
        events = 0
        if everything or high - settled > FULL_SCAN_BACKLOG:
            marked = _mark(session, _every_day(session), now)
            # Every day is dirty: only ids recent enough to be in flight still need watching.
            # A full refresh also starts the watermark afresh (the timeline may have been
            # restored from a backup with fewer events).
            settled = max(high - GAP_WINDOW, 0 if everything else settled, 0)
            ids = list(
                session.scalars(
                    select(TimelineEvent.id)
                    .where(TimelineEvent.id > settled, TimelineEvent.id <= high)
                    .order_by(TimelineEvent.id)
                )
            )
        else:
            rows = session.execute(
                select(TimelineEvent.id, TimelineEvent.complaint_id)
                .where(TimelineEvent.id > settled, TimelineEvent.id <= high)
                .order_by(TimelineEvent.id)
            ).all()
            events = len(rows)
            ids = [event_id for event_id, _complaint_id in rows]
            complaints = (complaint_id for _event_id, complaint_id in rows)
            marked = _mark(session, _receipt_days(session, complaints), now)
        state.settled_event_id, new_gap = settle(ids, settled, gap, now)
        state.gap_event_id, state.gap_seen_at = new_gap if new_gap is not None else (None, None)
        return MarkResult(events=events, days=marked, settled_event_id=state.settled_event_id)


@dataclass
class _DayRollup:
    """One day's rollup being added up: measures and dimension counts per department and
    category; ``levels`` adds the three coarser levels once the day is counted."""

    stats: defaultdict[tuple[int, str], Measures]
    counts: defaultdict[tuple[str, int, str, str], int]

    @classmethod
    def empty(cls) -> _DayRollup:
        return cls(stats=defaultdict(Measures), counts=defaultdict(int))

    @staticmethod
    def key(department_id: int | None, category: str | None) -> tuple[int, str]:
        return (NO_DEPARTMENT if department_id is None else department_id, category or NO_CATEGORY)

    def levels(self) -> _DayRollup:
        """Per department, per category and overall, beside per department and category."""
        rolled = _DayRollup.empty()
        for (department, category), measures in self.stats.items():
            for key in _levels(department, category):
                rolled.stats[key].add(measures)
        for (dimension, department, category, value), n in self.counts.items():
            for key in _levels(department, category):
                rolled.counts[(dimension, *key, value)] += n
        return rolled


def _levels(department: int, category: str) -> tuple[tuple[int, str], ...]:
    return (
        (department, category),
        (department, ALL_CATEGORIES),
        (ALL_DEPARTMENTS, category),
        (ALL_DEPARTMENTS, ALL_CATEGORIES),
    )


def _minutes(later: datetime, earlier: datetime) -> int:
    return max(round((later - earlier).total_seconds() / 60), 0)


def _complaint_measures(row: RowMapping) -> Measures:
    """What one complaint adds to its day (``row`` from ``_facts``)."""
    status = row["status"]
    received: datetime = row["received_at"]
    resolved = status in RESOLVED_STATUSES
    previous: datetime | None = row["previous_at"]
    measures = Measures(
        complaints=1,
        resolved=int(resolved),
        escalated=int(row["escalation_level"] > 0 or row["escalated_up"] is not None),
        reopened=int(status == Status.REOPENED or row["reopened"] is not None),
        repeated=int(previous is not None and received - previous <= REPEAT_WINDOW),
    )
    fr_met: datetime | None = row["fr_met_at"]
    fr_breached = row["fr_breached_at"] is not None
    if fr_met is not None or fr_breached:
        measures.first_response_decided = 1
        measures.first_response_breached = int(fr_breached)
    if fr_met is not None:
        measures.first_response_timed = 1
        measures.first_response_minutes = _minutes(fr_met, row["fr_started_at"])
    rs_met: datetime | None = row["rs_met_at"]
    rs_breached = row["rs_breached_at"] is not None
    # A clock stopped because the case was withdrawn or rejected kept no promise and broke none.
    if rs_breached or (resolved and rs_met is not None):
        measures.resolution_decided = 1
        measures.resolution_breached = int(rs_breached)
    if resolved and rs_met is not None:
        measures.resolution_timed = 1
        measures.resolution_minutes = _minutes(rs_met, received)
    return measures


@cache
def _facts_statement() -> Select[*tuple[Any, ...]]:
    """A day's complaints with what the rollup counts of them, built once: composing this
    statement costs more than running it on a small day."""
    first = aliased(SlaClock)
    resolution = aliased(SlaClock)
    earlier = aliased(Complaint)
    return (
        select(
            Complaint.department_id,
            Complaint.category,
            Complaint.channel,
            Complaint.region,
            Complaint.status,
            Complaint.escalation_level,
            Complaint.received_at,
            first.started_at.label("fr_started_at"),
            first.met_at.label("fr_met_at"),
            first.breached_at.label("fr_breached_at"),
            resolution.met_at.label("rs_met_at"),
            resolution.breached_at.label("rs_breached_at"),
            # "The first such row, if any" rather than EXISTS: PostgreSQL may answer an EXISTS
            # by hashing every matching row of the table, which grows with the timeline;
            # a LIMIT is looked up per complaint through the (complaint_id, id) indexes.
            select(EscalationRecord.id)
            .where(
                EscalationRecord.complaint_id == Complaint.id,
                EscalationRecord.to_level > EscalationRecord.from_level,
            )
            .limit(1)
            .scalar_subquery()
            .label("escalated_up"),
            select(TimelineEvent.id)
            .where(
                TimelineEvent.complaint_id == Complaint.id,
                TimelineEvent.to_status == Status.REOPENED.value,
            )
            .limit(1)
            .scalar_subquery()
            .label("reopened"),
            select(func.max(earlier.received_at))
            .where(
                earlier.customer_id == Complaint.customer_id,
                earlier.received_at < Complaint.received_at,
            )
            .scalar_subquery()
            .label("previous_at"),
        )
        .outerjoin(first, and_(first.complaint_id == Complaint.id, first.kind == "first_response"))
        .outerjoin(
            resolution,
            and_(resolution.complaint_id == Complaint.id, resolution.kind == "resolution"),
        )
        .where(
            Complaint.received_at >= bindparam("start"), Complaint.received_at < bindparam("end")
        )
    )


@cache
def _visits_statement() -> Select[int | None, str | None, int | None, int | None]:
    """The answered follow-up visits of a day's complaints, built once."""
    return (
        select(Complaint.department_id, Complaint.category, FollowUpVisit.csat, FollowUpVisit.nps)
        .join(Complaint, Complaint.id == FollowUpVisit.complaint_id)
        .where(
            Complaint.received_at >= bindparam("start"),
            Complaint.received_at < bindparam("end"),
            FollowUpVisit.done_at.is_not(None),
        )
    )


def _facts(session: Session, start: datetime, end: datetime) -> Sequence[RowMapping]:
    # Through the connection: plain rows, without the ORM's per-row bookkeeping.
    return (
        session.connection()
        .execute(_facts_statement(), {"start": start, "end": end})
        .mappings()
        .all()
    )


def _add_up(session: Session, day: date) -> _DayRollup:
    start, end = day_bounds(day)
    rollup = _DayRollup.empty()
    for row in _facts(session, start, end):
        measures = _complaint_measures(row)
        values = {
            "channel": row["channel"],
            "province": province_of(row["region"]),
            "status": row["status"],
        }
        key = _DayRollup.key(row["department_id"], row["category"])
        rollup.stats[key].add(measures)
        for dimension, value in values.items():
            rollup.counts[(dimension, *key, value)] += 1
    visits = session.connection().execute(_visits_statement(), {"start": start, "end": end}).all()
    for department_id, category, csat, nps in visits:
        answer = Measures()
        if csat is not None:
            answer.csat_sum, answer.csat_count = csat, 1
        if nps is not None:
            answer.nps_count = 1
            answer.nps_promoters, answer.nps_detractors = int(nps >= 9), int(nps <= 6)
        rollup.stats[_DayRollup.key(department_id, category)].add(answer)
    return rollup.levels()


Rows = dict[tuple[object, ...], dict[str, int]]
"""Rollup rows of one day or month: key columns (without the day) → the other columns."""
STAT_KEYS = ("department_id", "category")
COUNT_KEYS = ("department_id", "category", "dimension", "value")


def _values(table: Table, keys: tuple[str, ...]) -> list[str]:
    """The columns of a rollup table beside its key and its day: the counted values."""
    return [column.name for column in table.columns if column.name not in {*keys, "day"}]


@cache
def _read_statement(table: Table, keys: tuple[str, ...]) -> Select[*tuple[Any, ...]]:
    return select(*(table.c[name] for name in (*keys, *_values(table, keys)))).where(
        table.c.day == bindparam("day")
    )


def _read(session: Session, table: Table, day: date, keys: tuple[str, ...]) -> Rows:
    columns = _values(table, keys)
    return {
        tuple(row[: len(keys)]): dict(zip(columns, row[len(keys) :], strict=True))
        for row in session.connection().execute(_read_statement(table, keys), {"day": day})
    }


@cache
def _write_statements(table: Table, keys: tuple[str, ...]) -> tuple[Delete, Update]:
    """The DELETE and UPDATE of one rollup row by its key, built once per table."""
    matches = and_(*(table.c[name] == bindparam(f"k_{name}") for name in (*keys, "day")))
    values: dict[str, Any] = {name: bindparam(name) for name in _values(table, keys)}
    return delete(table).where(matches), update(table).where(matches).values(values)


def _write(
    session: Session, table: Table, day: date, keys: tuple[str, ...], old: Rows, rows: Rows
) -> Rows:
    """Turn ``day``'s rows of ``table`` from ``old`` into ``rows``, writing only the rows that
    differ (a day changed by one complaint changes a few rows of thousands); returns the change,
    key → column → difference."""
    connection = session.connection()
    deleting, updating = _write_statements(table, keys)

    def located(key: tuple[object, ...]) -> dict[str, object]:
        return {f"k_{name}": part for name, part in zip((*keys, "day"), (*key, day), strict=True)}

    change: Rows = {}
    gone = [key for key in old if key not in rows]
    if gone:
        connection.execute(deleting, [located(key) for key in gone])
        change.update({key: {name: -n for name, n in old[key].items()} for key in gone})
    changed = [key for key, values in rows.items() if key in old and old[key] != values]
    if changed:
        connection.execute(updating, [{**located(key), **rows[key]} for key in changed])
        change.update(
            {key: {name: n - old[key][name] for name, n in rows[key].items()} for key in changed}
        )
    new = [key for key in rows if key not in old]
    if new:
        insert_plain_rows(
            connection,
            table,
            [{**dict(zip(keys, key, strict=True)), "day": day, **rows[key]} for key in new],
        )
        change.update({key: dict(rows[key]) for key in new})
    return change


def recompute_day(session: Session, day: date) -> tuple[Rows, Rows]:
    """Bring the rollup rows of ``day`` in line with a fresh count (in the caller's
    transaction); returns what changed in the measures and in the counts."""
    rollup = _add_up(session, day)
    stats: Rows = {key: measures.as_dict() for key, measures in rollup.stats.items()}
    counts: Rows = {}
    for (dimension, department, category, value), n in rollup.counts.items():
        key = (department, category, dimension, value[:40])
        counts[key] = {"complaints": counts.get(key, {}).get("complaints", 0) + n}
    return (
        _write(
            session, _STAT_TABLE, day, STAT_KEYS, _read(session, _STAT_TABLE, day, STAT_KEYS), stats
        ),
        _write(
            session,
            _COUNT_TABLE,
            day,
            COUNT_KEYS,
            _read(session, _COUNT_TABLE, day, COUNT_KEYS),
            counts,
        ),
    )


def _month_of(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _add_change(total: Rows, change: Rows) -> None:
    for key, differences in change.items():
        into = total.setdefault(key, dict.fromkeys(differences, 0))
        for name, difference in differences.items():
            into[name] += difference


def _apply_to_month(
    session: Session, table: Table, month: date, keys: tuple[str, ...], change: Rows
) -> None:
    """Add the change of some of a month's days to the month's rows: the month rows stay the sum
    of the day rows without adding up the whole month again."""
    old = _read(session, table, month, keys)
    rows = {key: dict(values) for key, values in old.items()}
    _add_change(rows, change)
    # A key whose complaints all went elsewhere has nothing left to count.
    kept = {key: values for key, values in rows.items() if values["complaints"]}
    _write(session, table, month, keys, old, kept)


def recompute_month(session: Session, month: date) -> None:
    """Bring the month rows of ``month`` in line with the sum of its day rows, added up in SQL
    (after a full refresh, whatever the month rows held before)."""
    end = _next_month(month)
    for day_table, month_table, keys in (
        (_STAT_TABLE, _MONTH_STAT_TABLE, STAT_KEYS),
        (_COUNT_TABLE, _MONTH_COUNT_TABLE, COUNT_KEYS),
    ):
        sums = _values(day_table, keys)
        grouping = [day_table.c[name] for name in keys]
        totals = session.connection().execute(
            select(*grouping, *(func.sum(day_table.c[name]) for name in sums))
            .where(day_table.c.day >= month, day_table.c.day < end)
            .group_by(*grouping)
        )
        rows = {
            tuple(row[: len(keys)]): {
                name: int(value) for name, value in zip(sums, row[len(keys) :], strict=True)
            }
            for row in totals
        }
        _write(session, month_table, month, keys, _read(session, month_table, month, keys), rows)


def drain(session: Session, *, now: datetime, limit: int) -> tuple[list[date], int]:
    """Recompute up to ``limit`` dirty days, newest first (the ones dashboards show by default),
    and carry their changes into their months; returns the days and the number still dirty."""
    with transaction(session):
        state = _locked_state(session)
        days = list(
            session.scalars(
                select(RollupDirtyDay.day).order_by(RollupDirtyDay.day.desc()).limit(limit)
            )
        )
        months: dict[date, tuple[Rows, Rows]] = {}
        for day in days:
            stats, counts = recompute_day(session, day)
            month_stats, month_counts = months.setdefault(_month_of(day), ({}, {}))
            _add_change(month_stats, stats)
            _add_change(month_counts, counts)
        for month, (stats, counts) in sorted(months.items()):
            _apply_to_month(session, _MONTH_STAT_TABLE, month, STAT_KEYS, stats)
            _apply_to_month(session, _MONTH_COUNT_TABLE, month, COUNT_KEYS, counts)
        if days:
            session.execute(delete(RollupDirtyDay).where(RollupDirtyDay.day.in_(days)))
        remaining = session.scalar(select(func.count()).select_from(RollupDirtyDay)) or 0
        if remaining == 0:
            state.refreshed_at = now
        return days, remaining


def refresh(
    session: Session,
    *,
    now: datetime,
    full: bool = False,
    budget: int | None = None,
    seconds: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RefreshResult:
    """Mark what changed (``full``: every day, then every month from its days), then recompute
    dirty days in short transactions, at most ``budget`` of them (None: all), and with
    ``seconds`` a day at a time, no more once that long has passed; ``progress`` hears (days
    done, days left).

    Inside a caller's transaction (the worker's) everything joins that one transaction, which is
    why the job passes a budget.
    """
    started = time.monotonic()
    marked = mark_changes(session, now=now, everything=full)
    done: list[date] = []
    remaining = 0
    while budget is None or len(done) < budget:
        if seconds is not None and done and time.monotonic() - started >= seconds:
            break
        step = 1 if seconds is not None else DAYS_PER_TRANSACTION
        if budget is not None:
            step = min(step, budget - len(done))
        days, remaining = drain(session, now=now, limit=step)
        done.extend(days)
        if progress is not None:
            progress(len(done), remaining)
        if not days or remaining == 0:
            break
    if full and remaining == 0:
        # The months follow their days by differences; a full refresh also adds them up afresh.
        months = sorted(
            {_month_of(day) for day in session.scalars(select(ComplaintDayStat.day).distinct())}
            | set(session.scalars(select(ComplaintMonthStat.day).distinct()))
        )
        for month in months:
            with transaction(session):
                _locked_state(session)
                recompute_month(session, month)
    return RefreshResult(mark=marked, days=tuple(done), remaining=remaining)
