"""The dashboard (统计分析), read from the rollup alone: a period's totals, breakdowns and trend,
beside the previous period of the same length.

Each question reads one slice of the rollup through its primary key (department, category, day):
the overall rows when nothing is filtered, a department's rows for a department, and so on. The
whole months of a period come from the month rows and only the days around them from the day
rows, so even three years and the three before them are a few hundred rows per slice, whatever
the number of complaints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, SQLColumnExpression, func, literal, select, union_all
from sqlalchemy.orm import Session

from kesu.accounts import permissions
from kesu.accounts.errors import DepartmentNotFound
from kesu.accounts.models import Department, Role, User
from kesu.analytics.errors import PeriodReversed, PeriodTooLong
from kesu.analytics.measures import MEASURE_NAMES, Measures
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
    CountTable,
    RollupDirtyDay,
    RollupState,
    StatTable,
)
from kesu.analytics.regions import province_label
from kesu.analytics.schemas import (
    AnalyticsSummary,
    BreakdownRow,
    Bucket,
    ChangeKind,
    GroupRow,
    Kpi,
    Period,
    SeriesPoint,
    Totals,
)
from kesu.analytics.service import china_day
from kesu.complaints.lifecycle import STATUS_LABELS
from kesu.complaints.models import CHANNEL_LABELS
from kesu.core.actors import Actor, ActorKind
from kesu.core.errors import PermissionDenied
from kesu.core.i18n import Language, label
from kesu.text.classify import CATEGORIES, CATEGORY_LABELS
from kesu.triage.errors import UnknownCategory

DEFAULT_DAYS = 30
MAX_YEARS = 3
DAILY_UP_TO = 62
"""Longer periods are charted by week."""
DEPARTMENT_SCOPED_ROLES = frozenset({Role.HANDLER})
"""Handlers work for one responsible department and see its figures (and its units' below it);
agents, supervisors, analysts and administrators work across the organisation."""
UNCATEGORISED_KEY = "uncategorised"
UNASSIGNED_KEY = "none"
_OTHER_LABELS = {
    UNCATEGORISED_KEY: ("未分类", "Uncategorised"),
    UNASSIGNED_KEY: ("未派单", "Not assigned"),
}
KPI_LABELS = {
    "complaints": ("投诉量", "Complaints"),
    "sla_compliance": ("时限达成率", "SLA compliance"),
    "first_response_hours": ("平均首次响应（小时）", "Average first response (hours)"),
    "resolution_hours": ("平均办结用时（小时）", "Average resolution time (hours)"),
    "csat_average": ("满意度（1–5）", "CSAT (1–5)"),
    "nps": ("净推荐值", "NPS"),
    "escalation_rate": ("升级率", "Escalation rate"),
    "reopen_rate": ("重新处理率", "Reopen rate"),
    "repeat_rate": ("重复投诉率", "Repeat rate"),
}
# key → (change kind, higher is better)
_KPIS: dict[str, tuple[ChangeKind, bool]] = {
    "complaints": (ChangeKind.PERCENT, False),
    "sla_compliance": (ChangeKind.POINTS, True),
    "first_response_hours": (ChangeKind.PERCENT, False),
    "resolution_hours": (ChangeKind.PERCENT, False),
    "csat_average": (ChangeKind.DIFFERENCE, True),
    "nps": (ChangeKind.DIFFERENCE, True),
    "escalation_rate": (ChangeKind.POINTS, False),
    "reopen_rate": (ChangeKind.POINTS, False),
    "repeat_rate": (ChangeKind.POINTS, False),
}


@dataclass(frozen=True)
class Filters:
    """What a viewer asked for, checked: the period and the rollup slice to read."""

    start: date
    end: date
    department_id: int | None
    category: str | None
    scope: frozenset[int] | None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous_start(self) -> date:
        return self.start - timedelta(days=self.days)

    @property
    def previous_end(self) -> date:
        return self.start - timedelta(days=1)

    @property
    def department_keys(self) -> list[int]:
        """Rollup rows to add up for the whole slice."""
        if self.department_id is not None:
            return [self.department_id]
        if self.scope is not None:
            return sorted(self.scope)
        return [ALL_DEPARTMENTS]

    @property
    def category_key(self) -> str:
        return self.category or ALL_CATEGORIES

    @property
    def bucket(self) -> Bucket:
        return Bucket.DAY if self.days <= DAILY_UP_TO else Bucket.WEEK


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def department_scope(session: Session, viewer: Actor) -> frozenset[int] | None:
    """The departments whose figures ``viewer`` may see; ``None``: all of them."""
    if viewer.kind is ActorKind.CUSTOMER:
        raise PermissionDenied()
    if viewer.kind is ActorKind.SYSTEM:
        return None
    permissions.require(viewer.role, permissions.Permission.VIEW_COMPLAINTS)
    if viewer.role not in DEPARTMENT_SCOPED_ROLES:
        return None
    user = session.get(User, viewer.id) if viewer.id is not None else None
    if user is None or user.department_id is None:
        return frozenset()
    children: dict[int | None, list[int]] = {}
    for department_id, parent_id in session.execute(select(Department.id, Department.parent_id)):
        children.setdefault(parent_id, []).append(department_id)
    scope = {user.department_id}
    frontier = [user.department_id]
    while frontier:
        below = [child for parent in frontier for child in children.get(parent, ())]
        frontier = [child for child in below if child not in scope]
        scope.update(frontier)
    return frozenset(scope)


def check_filters(
    session: Session,
    viewer: Actor,
    *,
    start: date | None,
    end: date | None,
    department_id: int | None,
    category: str | None,
    today: date,
) -> Filters:
    """The period (default: the 30 days up to ``today``) and slice, or a refusal."""
    scope = department_scope(session, viewer)
    if end is None:
        end = today if start is None else max(today, start)
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise PeriodReversed(start=start.isoformat(), end=end.isoformat())
    if end >= _add_years(start, MAX_YEARS):
        raise PeriodTooLong(years=MAX_YEARS, start=start.isoformat(), end=end.isoformat())
    if category is not None and category not in CATEGORIES:
        raise UnknownCategory(category=category)
    if department_id is not None:
        if department_id != NO_DEPARTMENT and session.get(Department, department_id) is None:
            raise DepartmentNotFound()
        if scope is not None and department_id not in scope:
            raise PermissionDenied()
    return Filters(
        start=start, end=end, department_id=department_id, category=category, scope=scope
    )


def freshness(session: Session) -> tuple[datetime | None, int]:
    """When the rollup was last complete, and how many receipt days wait to be recounted."""
    refreshed = session.scalar(select(RollupState.refreshed_at).where(RollupState.id == STATE_ID))
    dirty = session.scalar(select(func.count()).select_from(RollupDirtyDay)) or 0
    return refreshed, dirty


def _change(current: float | None, previous: float | None, kind: ChangeKind) -> float | None:
    if current is None or previous is None:
        return None
    if kind is ChangeKind.PERCENT:
        return (current - previous) * 100 / previous if previous else None
    if kind is ChangeKind.POINTS:
        return (current - previous) * 100
    return current - previous


def totals(measures: Measures) -> Totals:
    return Totals(
        complaints=measures.complaints,
        resolved=measures.resolved,
        resolution_rate=measures.resolution_rate,
        escalated=measures.escalated,
        escalation_rate=measures.escalation_rate,
        reopened=measures.reopened,
        reopen_rate=measures.reopen_rate,
        repeated=measures.repeated,
        repeat_rate=measures.repeat_rate,
        first_response_hours=measures.first_response_hours,
        resolution_hours=measures.resolution_hours,
        first_response_compliance=measures.first_response_compliance,
        resolution_compliance=measures.resolution_compliance,
        sla_compliance=measures.sla_compliance,
        sla_breaches=measures.sla_breaches,
        csat_average=measures.csat_average,
        csat_responses=measures.csat_count,
        nps=measures.nps,
        nps_responses=measures.nps_count,
    )


def _kpis(current: Totals, previous: Totals, language: Language) -> list[Kpi]:
    now, before = current.model_dump(), previous.model_dump()
    return [
        Kpi(
            key=key,
            label=label(KPI_LABELS, key, language),
            value=now[key],
            previous=before[key],
            change=_change(now[key], before[key], kind),
            change_kind=kind,
            higher_is_better=higher_is_better,
        )
        for key, (kind, higher_is_better) in _KPIS.items()
    ]


def _buckets(filters: Filters) -> list[tuple[date, date]]:
    spans = []
    start = filters.start
    while start <= filters.end:
        end = start if filters.bucket is Bucket.DAY else start + timedelta(days=6 - start.weekday())
        end = min(end, filters.end)
        spans.append((start, end))
        start = end + timedelta(days=1)
    return spans


@dataclass(frozen=True)
class _Piece:
    """A run of days read from one grain of the rollup, for the period or the previous one."""

    monthly: bool
    start: date
    end: date
    """Inclusive; for a monthly piece, the first day of its last month."""
    in_period: int
    """1: the period asked for; 0: the previous period."""


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _pieces(filters: Filters) -> list[_Piece]:
    """Each period as whole months from the month tables and the days around them."""
    pieces = []
    for start, end, flag in (
        (filters.start, filters.end, 1),
        (filters.previous_start, filters.previous_end, 0),
    ):
        first = start if start.day == 1 else _next_month(start)
        months = []
        while _next_month(first) - timedelta(days=1) <= end:
            months.append(first)
            first = _next_month(first)
        if not months:
            pieces.append(_Piece(monthly=False, start=start, end=end, in_period=flag))
            continue
        if start < months[0]:
            head_end = months[0] - timedelta(days=1)
            pieces.append(_Piece(monthly=False, start=start, end=head_end, in_period=flag))
        pieces.append(_Piece(monthly=True, start=months[0], end=months[-1], in_period=flag))
        tail_start = _next_month(months[-1])
        if tail_start <= end:
            pieces.append(_Piece(monthly=False, start=tail_start, end=end, in_period=flag))
    return pieces


def _measure_rows(
    session: Session,
    filters: Filters,
    key: Callable[[StatTable], SQLColumnExpression[int] | SQLColumnExpression[str]] | None,
    where: Callable[[StatTable], list[ColumnElement[bool]]],
) -> dict[tuple[int, str], Measures]:
    """Measures per (in period, key) over every piece: one statement, a UNION ALL of slices."""
    branches = []
    for piece in _pieces(filters):
        table: StatTable = ComplaintMonthStat if piece.monthly else ComplaintDayStat
        keyed = [key(table).label("key")] if key is not None else [literal("").label("key")]
        branches.append(
            select(
                literal(piece.in_period).label("in_period"),
                *keyed,
                *(getattr(table, name) for name in MEASURE_NAMES),
            ).where(*where(table), table.day >= piece.start, table.day <= piece.end)
        )
    rows = union_all(*branches).subquery()
    found = session.execute(
        select(
            rows.c.in_period,
            rows.c.key,
            *(func.sum(rows.c[name]).label(name) for name in MEASURE_NAMES),
        ).group_by(rows.c.in_period, rows.c.key)
    ).mappings()
    return {(int(row["in_period"]), str(row["key"])): Measures.of(dict(row)) for row in found}


def _totals(session: Session, filters: Filters) -> tuple[Measures, Measures]:
    """The slice's measures in the period and in the previous period."""
    found = _measure_rows(
        session,
        filters,
        None,
        lambda table: [
            table.department_id.in_(filters.department_keys),
            table.category == filters.category_key,
        ],
    )
    return found.get((1, ""), Measures()), found.get((0, ""), Measures())


def _series(session: Session, filters: Filters) -> list[SeriesPoint]:
    rows = session.execute(
        select(
            ComplaintDayStat.day,
            func.sum(ComplaintDayStat.complaints),
            func.sum(ComplaintDayStat.resolved),
            func.sum(ComplaintDayStat.escalated),
        )
        .where(
            ComplaintDayStat.department_id.in_(filters.department_keys),
            ComplaintDayStat.category == filters.category_key,
            ComplaintDayStat.day >= filters.start,
            ComplaintDayStat.day <= filters.end,
        )
        .group_by(ComplaintDayStat.day)
    ).all()
    by_day = {
        day: (complaints or 0, resolved or 0, escalated or 0)
        for day, complaints, resolved, escalated in rows
    }
    series = []
    for start, end in _buckets(filters):
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        counts = [by_day.get(day, (0, 0, 0)) for day in days]
        series.append(
            SeriesPoint(
                start=start,
                end=end,
                complaints=sum(c[0] for c in counts),
                resolved=sum(c[1] for c in counts),
                escalated=sum(c[2] for c in counts),
            )
        )
    return series


def _breakdown_row(key: str, name: str, current: int, previous: int, total: int) -> BreakdownRow:
    return BreakdownRow(
        key=key,
        label=name,
        complaints=current,
        previous_complaints=previous,
        share=current / total if total else None,
        change=_change(current, previous, ChangeKind.PERCENT),
    )


def _group_rows(
    pairs: dict[str, tuple[Measures, Measures]],
    total: int,
    name: Callable[[str], str],
) -> list[GroupRow]:
    rows = [
        GroupRow(
            **_breakdown_row(
                key, name(key), current.complaints, previous.complaints, total
            ).model_dump(),
            sla_compliance=current.sla_compliance,
            resolution_hours=current.resolution_hours,
            csat_average=current.csat_average,
            escalation_rate=current.escalation_rate,
        )
        for key, (current, previous) in pairs.items()
        if current.complaints or previous.complaints
    ]
    return sorted(rows, key=lambda row: (-row.complaints, -row.previous_complaints, row.key))


def _paired(found: dict[tuple[int, str], Measures]) -> dict[str, tuple[Measures, Measures]]:
    pairs: dict[str, tuple[Measures, Measures]] = {}
    for (in_period, key), measures in found.items():
        current, previous = pairs.setdefault(key, (Measures(), Measures()))
        (current if in_period else previous).add(measures)
    return pairs


def _by_category(
    session: Session, filters: Filters, total: int, language: Language
) -> list[GroupRow]:
    # The categories are listed rather than "all but the total": each is then an index seek.
    categories = [filters.category] if filters.category else [*CATEGORIES, NO_CATEGORY]
    pairs = _paired(
        _measure_rows(
            session,
            filters,
            lambda table: table.category,
            lambda table: [
                table.department_id.in_(filters.department_keys),
                table.category.in_(categories),
            ],
        )
    )
    renamed = {(UNCATEGORISED_KEY if key == NO_CATEGORY else key): v for key, v in pairs.items()}

    def name(key: str) -> str:
        return label(CATEGORY_LABELS | _OTHER_LABELS, key, language)

    return _group_rows(renamed, total, name)


def _by_department(
    session: Session, filters: Filters, total: int, language: Language
) -> list[GroupRow]:
    if filters.department_id is not None or filters.scope is not None:
        keys = filters.department_keys
    else:
        # Every department by id (an index seek each) rather than "all but the total".
        keys = [NO_DEPARTMENT, *session.scalars(select(Department.id))]
    pairs = _paired(
        _measure_rows(
            session,
            filters,
            lambda table: table.department_id,
            lambda table: [
                table.department_id.in_(keys),
                table.category == filters.category_key,
            ],
        )
    )
    renamed = {
        (UNASSIGNED_KEY if key == str(NO_DEPARTMENT) else key): v for key, v in pairs.items()
    }
    names: dict[int, str] = dict(
        session.execute(
            select(Department.id, Department.name).where(
                Department.id.in_([int(key) for key in renamed if key.isdigit()])
            )
        ).all()
    )

    def name(key: str) -> str:
        if key.isdigit():
            return names.get(int(key), key)
        return label(_OTHER_LABELS, key, language)

    return _group_rows(renamed, total, name)


def _breakdowns(
    session: Session, filters: Filters, total: int, language: Language
) -> dict[str, list[BreakdownRow]]:
    branches = []
    for piece in _pieces(filters):
        table: CountTable = ComplaintMonthCount if piece.monthly else ComplaintDayCount
        branches.append(
            select(
                literal(piece.in_period).label("in_period"),
                table.dimension,
                table.value,
                table.complaints,
            ).where(
                table.department_id.in_(filters.department_keys),
                table.category == filters.category_key,
                table.day >= piece.start,
                table.day <= piece.end,
            )
        )
    rows = union_all(*branches).subquery()
    found = session.execute(
        select(
            rows.c.in_period, rows.c.dimension, rows.c.value, func.sum(rows.c.complaints)
        ).group_by(rows.c.in_period, rows.c.dimension, rows.c.value)
    ).all()
    counts: dict[str, dict[str, list[int]]] = {}
    for in_period, dimension, value, complaints in found:
        pair = counts.setdefault(dimension, {}).setdefault(value, [0, 0])
        pair[0 if in_period else 1] += int(complaints or 0)
    namers: dict[str, Callable[[str], str]] = {
        "channel": lambda key: label(CHANNEL_LABELS, key, language),
        "province": lambda key: province_label(key, language),
        "status": lambda key: label(STATUS_LABELS, key, language),
    }
    result = {}
    for dimension, namer in namers.items():
        rows_of = [
            _breakdown_row(key, namer(key), now, before, total)
            for key, (now, before) in counts.get(dimension, {}).items()
        ]
        result[dimension] = sorted(
            rows_of, key=lambda row: (-row.complaints, -row.previous_complaints, row.key)
        )
    return result


def summary(session: Session, filters: Filters, language: Language) -> AnalyticsSummary:
    """Everything the dashboard shows for ``filters`` (from ``check_filters``)."""
    current, previous = _totals(session, filters)
    now, before = totals(current), totals(previous)
    breakdowns = _breakdowns(session, filters, current.complaints, language)
    refreshed_at, pending = freshness(session)
    return AnalyticsSummary(
        period=Period(start=filters.start, end=filters.end, days=filters.days),
        previous_period=Period(
            start=filters.previous_start, end=filters.previous_end, days=filters.days
        ),
        bucket=filters.bucket,
        department_id=filters.department_id,
        category=filters.category,
        departments_in_scope=sorted(filters.scope) if filters.scope is not None else None,
        refreshed_at=refreshed_at,
        pending_days=pending,
        current=now,
        previous=before,
        kpis=_kpis(now, before, language),
        by_category=_by_category(session, filters, current.complaints, language),
        by_department=_by_department(session, filters, current.complaints, language),
        by_channel=breakdowns["channel"],
        by_province=breakdowns["province"],
        by_status=breakdowns["status"],
        series=_series(session, filters),
    )


@dataclass(frozen=True)
class SummaryRequest:
    """A dashboard question as asked: every part may be left out."""

    start: date | None = None
    end: date | None = None
    department_id: int | None = None
    """0: complaints not yet assigned to a department."""
    category: str | None = None


def dashboard(
    session: Session,
    viewer: Actor,
    request: SummaryRequest,
    *,
    now: datetime,
    language: Language,
) -> AnalyticsSummary:
    """The dashboard for ``viewer`` (scoped to their department if their role is), or a refusal:
    ``PeriodReversed``, ``PeriodTooLong``, ``UnknownCategory``, ``DepartmentNotFound``,
    ``PermissionDenied``."""
    filters = check_filters(
        session,
        viewer,
        start=request.start,
        end=request.end,
        department_id=request.department_id,
        category=request.category,
        today=china_day(now),
    )
    return summary(session, filters, language)


def department_choices(session: Session, viewer: Actor) -> list[tuple[int, str | None]]:
    """The departments ``viewer`` may pick in the dashboard's filter, as (id, name); first
    (``NO_DEPARTMENT``, None), "not yet assigned", for viewers who see every department."""
    scope = department_scope(session, viewer)
    query = select(Department.id, Department.name).order_by(Department.code)
    if scope is not None:
        query = query.where(Department.id.in_(sorted(scope)))
    unassigned: list[tuple[int, str | None]] = [(NO_DEPARTMENT, None)] if scope is None else []
    return unassigned + [(department_id, name) for department_id, name in session.execute(query)]
