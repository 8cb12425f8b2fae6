"""The rollup against a direct count of the complaints, and its incremental refresh."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.analytics import queries, service
from kesu.analytics.measures import Measures
from kesu.analytics.models import (
    ALL_CATEGORIES,
    ALL_DEPARTMENTS,
    ComplaintDayCount,
    ComplaintDayStat,
    ComplaintMonthCount,
    ComplaintMonthStat,
)
from kesu.analytics.regions import province_of
from kesu.analytics.schemas import AnalyticsSummary
from kesu.bootstrap import Kesu
from kesu.complaints import service as complaints
from kesu.complaints.lifecycle import Action
from kesu.complaints.models import Complaint, TimelineEvent
from kesu.core.actors import SYSTEM
from kesu.core.clock import FixedClock
from kesu.core.i18n import Language
from kesu.db.engine import transaction
from kesu.escalation import service as escalation
from kesu.escalation.models import EscalationRecord
from kesu.followup import service as followup
from kesu.followup.models import FollowUpVisit
from kesu.followup.schemas import VisitAnswer
from kesu.sla.models import SlaClock
from tests.analytics.scenario import assigned, categorised, filed, resolved, worker
from tests.factories import Personas, see_committed
from tests.fakes import MemoryNotifier

CST = timedelta(hours=8)
TODAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
PERIOD = queries.SummaryRequest(start=date(2026, 11, 1), end=date(2026, 11, 23))


@dataclass(frozen=True)
class Story:
    first: Complaint
    """Received 2 November, from the customer of ``repeat``; left untouched."""
    followed_up: Complaint
    """Received 2 November, resolved, visited (CSAT 5), now in follow-up."""
    late_evening: Complaint
    """Received 16:30 UTC on 2 November: 00:30 on 3 November in China."""
    repeat: Complaint
    """The same customer as ``first``, three days later; escalated by hand."""
    reopened: Complaint
    breached: Complaint


def _story(
    kesu: Kesu,
    session: Session,
    clock: FixedClock,
    personas: Personas,
    notifier: MemoryNotifier,
) -> Story:
    def at(day: int, hour: int = 1, minute: int = 0) -> datetime:
        return datetime(2026, 11, day, hour, minute, tzinfo=UTC)

    first = filed(kesu, session, clock, at(2))
    followed_up = filed(
        kesu,
        session,
        clock,
        at(2, 3),
        phone="13900000002",
        email="b@example.com",
        channel="phone",
        region="北京市朝阳区",
    )
    followed_up = assigned(kesu, session, personas, followed_up, personas.quality.id)
    clock.advance(timedelta(hours=5))
    followed_up = resolved(kesu, session, personas, followed_up)
    followed_up = followup.record_visit(
        session,
        complaint_id=followed_up.id,
        answer=VisitAnswer(csat=5, nps=10),
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    late_evening = filed(
        kesu,
        session,
        clock,
        at(2, 16, 30),
        phone="13900000003",
        email="c@example.com",
        region="广西南宁市青秀区",
    )
    repeat = filed(kesu, session, clock, at(5), channel="email", region="广东省深圳市南山区")
    repeat = categorised(kesu, session, personas, repeat, "logistics")
    repeat = assigned(kesu, session, personas, repeat, personas.logistics.id)
    repeat = escalation.escalate_complaint(
        session,
        complaint_id=repeat.id,
        expected_version=repeat.version,
        reason="客户要求主管处理",
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    reopened = filed(kesu, session, clock, at(5, 6), phone="13900000005", email=None, region=None)
    reopened = assigned(kesu, session, personas, reopened, personas.quality.id)
    clock.advance(timedelta(days=2))
    reopened = resolved(kesu, session, personas, reopened)
    reopened = followup.record_visit(
        session,
        complaint_id=reopened.id,
        answer=VisitAnswer(csat=2, nps=3, comment="没修好"),
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    breached = filed(kesu, session, clock, at(6), phone="13900000006", email=None, channel="app")
    # Nobody answers in time: the first-response deadline passes and the worker records it.
    clock.advance(timedelta(days=2))
    worker(kesu, notifier).run_until_idle()
    clock.set(TODAY)
    see_committed(session)
    return Story(first, followed_up, late_evening, repeat, reopened, breached)


def _direct(session: Session, start: date, end: date) -> dict[str, object]:
    """The figures counted straight from the complaints, their clocks, visits and records."""
    see_committed(session)
    resolved_statuses = {"resolved", "follow_up", "closed", "archived"}
    chosen = [
        c
        for c in session.scalars(select(Complaint))
        if start <= (c.received_at + CST).date() <= end
    ]
    totals: Counter[str] = Counter()
    minutes: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    provinces: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    departments: Counter[str] = Counter()
    days: Counter[date] = Counter()
    csat: list[int] = []
    nps: list[int] = []
    everyone = list(session.scalars(select(Complaint)))
    for c in chosen:
        clocks = {k.kind: k for k in session.scalars(select(SlaClock).filter_by(complaint_id=c.id))}
        records = session.scalars(select(EscalationRecord).filter_by(complaint_id=c.id)).all()
        events = session.scalars(select(TimelineEvent).filter_by(complaint_id=c.id)).all()
        is_resolved = c.status in resolved_statuses
        totals["complaints"] += 1
        totals["resolved"] += is_resolved
        totals["escalated"] += c.escalation_level > 0 or any(
            r.to_level > r.from_level for r in records
        )
        totals["reopened"] += c.status == "reopened" or any(
            e.to_status == "reopened" for e in events
        )
        totals["repeated"] += any(
            o.customer_id == c.customer_id
            and timedelta(0) < c.received_at - o.received_at <= timedelta(days=90)
            for o in everyone
        )
        first, resolution = clocks.get("first_response"), clocks.get("resolution")
        if first is not None and (first.met_at or first.breached_at):
            totals["fr_decided"] += 1
            totals["fr_breached"] += first.breached_at is not None
        if first is not None and first.met_at is not None:
            totals["fr_timed"] += 1
            minutes["fr"] += round((first.met_at - first.started_at).total_seconds() / 60)
        if resolution is not None and (
            resolution.breached_at or (is_resolved and resolution.met_at)
        ):
            totals["rs_decided"] += 1
            totals["rs_breached"] += resolution.breached_at is not None
        if resolution is not None and is_resolved and resolution.met_at is not None:
            totals["rs_timed"] += 1
            minutes["rs"] += round((resolution.met_at - c.received_at).total_seconds() / 60)
        for visit in session.scalars(select(FollowUpVisit).filter_by(complaint_id=c.id)):
            if visit.done_at is not None and visit.csat is not None:
                csat.append(visit.csat)
            if visit.done_at is not None and visit.nps is not None:
                nps.append(visit.nps)
        channels[c.channel] += 1
        provinces[province_of(c.region)] += 1
        statuses[c.status] += 1
        departments[str(c.department_id) if c.department_id else "none"] += 1
        days[(c.received_at + CST).date()] += 1
    decided = totals["fr_decided"] + totals["rs_decided"]
    return {
        "complaints": totals["complaints"],
        "resolved": totals["resolved"],
        "escalated": totals["escalated"],
        "reopened": totals["reopened"],
        "repeated": totals["repeated"],
        "sla_breaches": totals["fr_breached"] + totals["rs_breached"],
        "sla_compliance": (decided - totals["fr_breached"] - totals["rs_breached"]) / decided,
        "first_response_hours": minutes["fr"] / totals["fr_timed"] / 60,
        "resolution_hours": minutes["rs"] / totals["rs_timed"] / 60,
        "csat_average": sum(csat) / len(csat),
        "csat_responses": len(csat),
        "nps": (sum(n >= 9 for n in nps) - sum(n <= 6 for n in nps)) * 100 / len(nps),
        "channels": dict(channels),
        "provinces": dict(provinces),
        "statuses": dict(statuses),
        "departments": dict(departments),
        "days": dict(days),
    }


def _month_rows_add_up_their_days(session: Session) -> bool:
    """Each month row equals the sum of its days' rows, for the measures and the counts."""
    see_committed(session)
    measures = ("complaints", "resolution_minutes", "csat_sum")
    stat_days: Counter[tuple[object, ...]] = Counter()
    for d in session.scalars(select(ComplaintDayStat)):
        for name in measures:
            stat_days[(name, d.day.replace(day=1), d.department_id, d.category)] += getattr(d, name)
    stat_months = {
        (name, m.day, m.department_id, m.category): getattr(m, name)
        for m in session.scalars(select(ComplaintMonthStat))
        for name in measures
    }
    count_days: Counter[tuple[object, ...]] = Counter()
    for c in session.scalars(select(ComplaintDayCount)):
        key = (c.day.replace(day=1), c.department_id, c.category, c.dimension, c.value)
        count_days[key] += c.complaints
    count_months = {
        (m.day, m.department_id, m.category, m.dimension, m.value): m.complaints
        for m in session.scalars(select(ComplaintMonthCount))
    }
    return dict(stat_days) == stat_months and dict(count_days) == count_months


def _summary(session: Session, request: queries.SummaryRequest = PERIOD) -> AnalyticsSummary:
    see_committed(session)
    return queries.dashboard(session, SYSTEM, request, now=TODAY, language=Language.ZH)


def _as_found(summary: AnalyticsSummary) -> dict[str, object]:
    now = summary.current
    return {
        "complaints": now.complaints,
        "resolved": now.resolved,
        "escalated": now.escalated,
        "reopened": now.reopened,
        "repeated": now.repeated,
        "sla_breaches": now.sla_breaches,
        "sla_compliance": now.sla_compliance,
        "first_response_hours": now.first_response_hours,
        "resolution_hours": now.resolution_hours,
        "csat_average": now.csat_average,
        "csat_responses": now.csat_responses,
        "nps": now.nps,
        "channels": {row.key: row.complaints for row in summary.by_channel},
        "provinces": {row.key: row.complaints for row in summary.by_province},
        "statuses": {row.key: row.complaints for row in summary.by_status},
        "departments": {row.key: row.complaints for row in summary.by_department},
        "days": {p.start: p.complaints for p in summary.series if p.complaints},
    }


def test_the_rollup_equals_a_direct_count_of_the_complaints(
    kesu: Kesu,
    session: Session,
    clock: FixedClock,
    personas: Personas,
    notifier: MemoryNotifier,
) -> None:
    story = _story(kesu, session, clock, personas, notifier)
    service.refresh(session, now=TODAY)
    expected = _direct(session, PERIOD.start or TODAY.date(), PERIOD.end or TODAY.date())
    summary = _summary(session)
    found = _as_found(summary)
    assert found == expected
    # Whole months are read from the month rows: October and November, then September.
    assert set(session.scalars(select(ComplaintMonthStat.day))) == {date(2026, 11, 1)}
    months = queries.SummaryRequest(start=date(2026, 10, 1), end=date(2026, 11, 30))
    assert _as_found(_summary(session, months)) == _direct(
        session, date(2026, 10, 1), date(2026, 11, 30)
    )
    # The story covers what it means to: three first responses missed (and escalated for it),
    # one escalation by hand, one reopening, one repeat customer, two survey answers.
    assert (found["complaints"], found["escalated"], found["reopened"]) == (6, 4, 1)
    assert (found["repeated"], found["csat_responses"]) == (1, 2)
    assert summary.current.sla_breaches >= 3
    assert found["days"] == {date(2026, 11, 2): 2, date(2026, 11, 3): 1, date(2026, 11, 5): 2,
                             date(2026, 11, 6): 1}  # fmt: skip
    assert found["provinces"] == {
        "浙江省": 2,
        "北京市": 1,
        "广东省": 1,
        "广西壮族自治区": 1,
        "": 1,
    }
    # Counted on 3 November (China time), though it was still 2 November in UTC.
    assert story.late_evening.received_at.date() == date(2026, 11, 2)


def test_every_level_of_the_rollup_adds_up_to_the_overall_rows(
    kesu: Kesu,
    session: Session,
    clock: FixedClock,
    personas: Personas,
    notifier: MemoryNotifier,
) -> None:
    _story(kesu, session, clock, personas, notifier)
    service.refresh(session, now=TODAY)
    see_committed(session)
    rows = session.scalars(select(ComplaintDayStat)).all()
    for day in {row.day for row in rows}:
        of_day = [row for row in rows if row.day == day]
        overall = next(
            r for r in of_day if (r.department_id, r.category) == (ALL_DEPARTMENTS, ALL_CATEGORIES)
        )
        finest = [
            r for r in of_day if r.department_id != ALL_DEPARTMENTS and r.category != ALL_CATEGORIES
        ]
        for level in (
            [r for r in of_day if r.department_id == ALL_DEPARTMENTS and r.category != "*"],
            [r for r in of_day if r.department_id != ALL_DEPARTMENTS and r.category == "*"],
            finest,
        ):
            assert sum(r.complaints for r in level) == overall.complaints
            assert sum(r.resolution_minutes for r in level) == overall.resolution_minutes
            assert sum(r.csat_sum for r in level) == overall.csat_sum


def test_a_refresh_recounts_only_the_days_whose_complaints_changed(
    kesu: Kesu,
    session: Session,
    clock: FixedClock,
    personas: Personas,
    notifier: MemoryNotifier,
) -> None:
    story = _story(kesu, session, clock, personas, notifier)
    first = service.refresh(session, now=TODAY)
    assert set(first.days) == {date(2026, 11, d) for d in (2, 3, 5, 6)}
    assert service.refresh(session, now=TODAY).days == ()

    # A status change on a complaint of 2 November, the only complaint of logistics (5 November)
    # handed to quality management, and a new complaint today.
    complaints.transition_complaint(
        session,
        complaint_id=story.first.id,
        action=Action.TRIAGE,
        expected_version=story.first.version,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    complaints.reassign_complaint(
        session,
        complaint_id=story.repeat.id,
        expected_version=story.repeat.version,
        department_id=personas.quality.id,
        assignee_id=None,
        reason="实为产品问题",
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    filed(kesu, session, clock, TODAY, phone="13900000009", email=None, channel="chat")
    again = service.refresh(session, now=TODAY)
    assert set(again.days) == {date(2026, 11, 2), date(2026, 11, 5), date(2026, 11, 23)}
    summary = _summary(session)
    assert summary.current.complaints == 7
    assert {row.key: row.complaints for row in summary.by_status}["triaged"] == 1
    assert str(personas.logistics.id) not in {row.key for row in summary.by_department}
    assert {row.key: row.complaints for row in summary.by_channel}["chat"] == 1
    assert _as_found(summary) == _direct(session, date(2026, 11, 1), date(2026, 11, 23))
    assert _month_rows_add_up_their_days(session)
    november = queries.SummaryRequest(start=date(2026, 11, 1), end=date(2026, 11, 30))
    assert _as_found(_summary(session, november)) == _direct(
        session, date(2026, 11, 1), date(2026, 11, 30)
    )


def test_an_answer_that_leaves_the_complaint_row_alone_is_still_counted(
    kesu: Kesu,
    session: Session,
    clock: FixedClock,
    personas: Personas,
    notifier: MemoryNotifier,
) -> None:
    story = _story(kesu, session, clock, personas, notifier)
    service.refresh(session, now=TODAY)
    see_committed(session)
    before = session.get(Complaint, story.followed_up.id)
    assert before is not None
    touched = (before.updated_at, before.version)

    # A second visit to a complaint already in follow-up writes the visit and its timeline
    # event, not the complaint.
    followup.record_visit(
        session,
        complaint_id=story.followed_up.id,
        answer=VisitAnswer(csat=3, nps=8),
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    see_committed(session)
    after = session.get(Complaint, story.followed_up.id)
    assert after is not None
    assert (after.updated_at, after.version) == touched
    assert service.refresh(session, now=TODAY).days == (date(2026, 11, 2),)
    summary = _summary(session)
    assert summary.current.csat_responses == 3
    assert summary.current.csat_average == pytest.approx(10 / 3)


def test_a_full_refresh_recounts_every_day_and_clears_days_without_complaints(
    kesu: Kesu,
    session: Session,
    clock: FixedClock,
    personas: Personas,
    notifier: MemoryNotifier,
) -> None:
    _story(kesu, session, clock, personas, notifier)
    service.refresh(session, now=TODAY)
    # Rows of a day that no longer has complaints (its complaints were removed from the database).
    stale = date(2026, 10, 1)
    with transaction(session):
        session.add(
            ComplaintDayStat(
                department_id=ALL_DEPARTMENTS,
                category=ALL_CATEGORIES,
                day=stale,
                **Measures(complaints=9).as_dict(),
            )
        )
    full = service.refresh(session, now=TODAY, full=True)
    # Every day from the first complaint to the last, empty ones included, and the stale one.
    assert set(full.days) == {date(2026, 11, 2) + timedelta(days=n) for n in range(5)} | {stale}
    see_committed(session)
    assert session.scalars(select(ComplaintDayStat).filter_by(day=stale)).all() == []
    assert _as_found(_summary(session)) == _direct(session, date(2026, 11, 1), date(2026, 11, 23))


def test_the_watermark_waits_for_a_missing_event_then_gives_up_on_it() -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    # Ids 3 and 4 are taken by a transaction not yet committed: stop below them.
    assert service.settle([1, 2, 5, 6], 0, None, now) == (2, (3, now))
    # A minute on, still missing: keep waiting, with the time it was first seen.
    later = now + timedelta(minutes=1)
    assert service.settle([5, 6, 7], 2, (3, now), later) == (2, (3, now))
    # It committed: everything is settled.
    assert service.settle([3, 4, 5, 6, 7], 2, (3, now), later) == (7, None)
    # Never filled (rolled back): after GAP_PATIENCE it is passed over, up to the next gap.
    patient = now + service.GAP_PATIENCE
    assert service.settle([5, 6, 9], 2, (3, now), patient) == (6, (7, patient))
    assert service.settle([], 6, None, patient) == (6, None)
