"""SLA clocks through whole scenarios, driven by the worker against a fake clock."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kesu.accounts.models import Role
from kesu.bootstrap import Kesu
from kesu.complaints import service as complaints
from kesu.complaints.lifecycle import Action
from kesu.complaints.models import Complaint, TimelineEvent
from kesu.core.actors import Actor, ActorKind
from kesu.core.clock import FixedClock
from kesu.db.engine import transaction
from kesu.jobs import registry
from kesu.jobs.worker import Worker, WorkerConfig
from kesu.notifications.models import Notification
from kesu.sla import service as sla
from kesu.sla.calendar import CHINA
from kesu.sla.models import SlaClock, SlaPolicy
from kesu.sla.schemas import CalendarDayWrite
from kesu.sla.service import ClockKind, ClockState
from tests.factories import Personas, file_complaint, see_committed
from tests.fakes import MemoryNotifier

CALM = "9月20日买的澜泉热水器显示屏不亮，订单 2026092001，麻烦安排师傅上门检修。"
# Mid-Autumn Festival (Friday 25 September 2026) evening, the week before National Day.
HOLIDAY_EVENING = datetime(2026, 9, 25, 19, 0, tzinfo=CHINA)


def _clocks(session: Session, complaint_id: int) -> dict[str, SlaClock]:
    see_committed(session)
    return {
        c.kind: c
        for c in session.scalars(select(SlaClock).where(SlaClock.complaint_id == complaint_id))
    }


def _worker(kesu: Kesu, notifier: MemoryNotifier, name: str) -> Worker:
    return Worker(
        kesu.sessions,
        registry.build_handlers(notifier=notifier, clock=kesu.clock),
        kesu.clock,
        WorkerConfig(20, 60, 3),
        name=name,
    )


def _events(session: Session, complaint_id: int, kind: str) -> int:
    value = session.scalar(
        select(func.count()).where(
            TimelineEvent.complaint_id == complaint_id, TimelineEvent.kind == kind
        )
    )
    assert value is not None
    return value


def test_deadlines_of_a_complaint_filed_on_a_holiday_evening(
    kesu: Kesu, session: Session, clock: FixedClock
) -> None:
    clock.set(HOLIDAY_EVENING)
    complaint = file_complaint(kesu, session, description=CALM)
    assert complaint.priority == "P4"
    clocks = _clocks(session, complaint.id)
    # First response: 24 hours of every hour. Resolution: 10 working days of 09:00–18:00, which
    # skip the weekend, and National Day (1–7 October), and count the 调休 Saturday 10 October.
    assert clocks[ClockKind.FIRST_RESPONSE].due_at == datetime(2026, 9, 26, 19, 0, tzinfo=CHINA)
    assert clocks[ClockKind.RESOLUTION].due_at == datetime(2026, 10, 15, 18, 0, tzinfo=CHINA)


def test_an_urgent_complaint_gets_tighter_deadlines(
    kesu: Kesu, session: Session, clock: FixedClock
) -> None:
    clock.set(HOLIDAY_EVENING)
    complaint = file_complaint(
        kesu, session, description="热水器漏电，孩子被电到了！我要去12315投诉！"
    )
    assert complaint.priority == "P1"
    clocks = _clocks(session, complaint.id)
    assert clocks[ClockKind.FIRST_RESPONSE].due_at == datetime(2026, 9, 25, 21, 0, tzinfo=CHINA)
    assert clocks[ClockKind.RESOLUTION].due_at == datetime(2026, 9, 28, 18, 0, tzinfo=CHINA)


def test_a_policy_overrides_the_defaults(kesu: Kesu, session: Session, clock: FixedClock) -> None:
    with transaction(session):
        session.add(
            SlaPolicy(
                name="物流 48 小时",
                category="logistics",
                priority=None,
                customer_tag=None,
                first_response_minutes=60,
                resolution_minutes=48 * 60,
                first_response_clock_type="calendar",
                clock_type="calendar",
                warn_before_minutes=120,
                compensation_voucher="10 元运费券",
                is_active=True,
            )
        )
    complaint = file_complaint(
        kesu, session, description="快递一周了还没送到，物流信息一直不更新，订单 123"
    )
    assert complaint.category == "logistics"
    clocks = _clocks(session, complaint.id)
    assert clocks[ClockKind.RESOLUTION].policy_name == "物流 48 小时"
    assert clocks[ClockKind.RESOLUTION].due_at == clock.now() + timedelta(hours=48)


def test_staff_action_meets_the_first_response_and_resolution_stops_the_rest(
    kesu: Kesu, session: Session, personas: Personas, clock: FixedClock
) -> None:
    complaint = file_complaint(kesu, session, description=CALM)
    clock.advance(timedelta(hours=1))
    triaged = complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.TRIAGE,
        expected_version=complaint.version,
        actor=personas.zhang_min.actor,
        clock=clock,
    )
    clocks = _clocks(session, complaint.id)
    assert (clocks[ClockKind.FIRST_RESPONSE].state, clocks[ClockKind.FIRST_RESPONSE].met_at) == (
        ClockState.STOPPED,
        clock.now(),
    )
    assert clocks[ClockKind.RESOLUTION].state == ClockState.RUNNING
    complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.WITHDRAW,
        expected_version=triaged.version,
        actor=personas.zhang_min.actor,
        clock=clock,
    )
    assert _clocks(session, complaint.id)[ClockKind.RESOLUTION].state == ClockState.STOPPED


def test_waiting_for_the_customer_pauses_the_clock(
    kesu: Kesu, session: Session, personas: Personas, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 3, 10, 10, 0, tzinfo=CHINA))
    complaint = file_complaint(kesu, session, description=CALM)
    due = _clocks(session, complaint.id)[ClockKind.RESOLUTION].due_at
    complaint = complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.TRIAGE,
        expected_version=complaint.version,
        actor=personas.zhang_min.actor,
        clock=clock,
    )
    clock.advance(timedelta(hours=2))  # 12:00: two working hours used
    complaint = complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.WAIT_FOR_CUSTOMER,
        expected_version=complaint.version,
        actor=personas.zhang_min.actor,
        clock=clock,
        note="请客户提供购买凭证",
    )
    paused = _clocks(session, complaint.id)[ClockKind.RESOLUTION]
    assert paused.state == ClockState.PAUSED
    assert paused.remaining_seconds == int(
        (timedelta(hours=90) - timedelta(hours=2)).total_seconds()
    )
    clock.advance(timedelta(days=2))  # Thursday 12:00: the customer answers
    complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.CUSTOMER_REPLIED,
        expected_version=complaint.version,
        actor=personas.zhang_min.actor,
        clock=clock,
    )
    resumed = _clocks(session, complaint.id)[ClockKind.RESOLUTION]
    assert resumed.state == ClockState.RUNNING
    assert resumed.due_at == due + timedelta(days=2)  # two whole working days were paused


def test_a_breach_urges_escalates_and_compensates_exactly_once(
    kesu: Kesu, session: Session, notifier: MemoryNotifier, clock: FixedClock
) -> None:
    with transaction(session):
        session.add(
            SlaPolicy(
                name="VIP 承诺",
                category=None,
                priority=None,
                customer_tag=None,
                first_response_minutes=30,
                resolution_minutes=120,
                first_response_clock_type="calendar",
                clock_type="calendar",
                warn_before_minutes=10,
                compensation_voucher="20 元代金券",
                is_active=True,
            )
        )
    complaint = file_complaint(kesu, session, description=CALM)
    clock.advance(timedelta(hours=3))
    workers = [_worker(kesu, notifier, f"w{n}") for n in range(2)]
    threads = [threading.Thread(target=w.run_until_idle) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker in workers:
        worker.run_until_idle()  # the notifications the breaches queued
    see_committed(session)
    stored = session.get(Complaint, complaint.id)
    assert stored is not None
    assert (
        stored.escalation_level == 2
    )  # one level per missed promise: first response and resolution
    assert _events(session, complaint.id, "sla_breached") == 2
    assert _events(session, complaint.id, "sla_warning") == 2
    assert _events(session, complaint.id, "voucher_offered") == 2
    urgings = session.scalars(select(Notification).where(Notification.kind == "sla.urging")).all()
    assert len(urgings) == 2
    vouchers = [m for m in notifier.sent if "20 元代金券" in m.body]
    assert sorted(m.channel for m in vouchers) == ["email", "email", "sms", "sms"]
    clock.advance(timedelta(days=1))
    assert sum(w.run_until_idle() for w in workers) == 0
    assert _events(session, complaint.id, "sla_breached") == 2


def test_a_met_deadline_is_not_breached(
    kesu: Kesu, session: Session, personas: Personas, notifier: MemoryNotifier, clock: FixedClock
) -> None:
    complaint = file_complaint(kesu, session, description=CALM)
    complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.TRIAGE,
        expected_version=complaint.version,
        actor=personas.zhang_min.actor,
        clock=clock,
    )
    clock.advance(timedelta(hours=30))
    _worker(kesu, notifier, "w").run_until_idle()
    see_committed(session)
    assert _events(session, complaint.id, "sla_breached") == 0
    stored = session.get(Complaint, complaint.id)
    assert stored is not None
    assert stored.escalation_level == 0


def test_an_organisation_working_day_counts(
    kesu: Kesu, session: Session, clock: FixedClock
) -> None:
    admin = Actor(kind=ActorKind.USER, id=1, role=Role.ADMIN, name="管理员")
    sla.set_calendar_day(
        session,
        CalendarDayWrite(day=date(2026, 3, 14), is_working=True, note="促销日"),
        actor=admin,
        now=clock.now(),
    )
    with transaction(session):
        session.add(
            SlaPolicy(
                name="两小时",
                category=None,
                priority=None,
                customer_tag=None,
                first_response_minutes=60,
                resolution_minutes=120,
                first_response_clock_type="working",
                clock_type="working",
                warn_before_minutes=30,
                compensation_voucher=None,
                is_active=True,
            )
        )
    clock.set(datetime(2026, 3, 13, 17, 0, tzinfo=CHINA))  # Friday 17:00
    complaint = file_complaint(kesu, session, description=CALM)
    due = _clocks(session, complaint.id)[ClockKind.RESOLUTION].due_at
    assert due == datetime(2026, 3, 14, 10, 0, tzinfo=CHINA)  # the organisation's Saturday


def test_a_reopened_complaint_gets_a_fresh_resolution_clock(
    kesu: Kesu, session: Session, personas: Personas, clock: FixedClock
) -> None:
    complaint = file_complaint(kesu, session, description=CALM)
    for action in (Action.TRIAGE,):
        complaint = complaints.transition_complaint(
            session,
            complaint_id=complaint.id,
            action=action,
            expected_version=complaint.version,
            actor=personas.zhang_min.actor,
            clock=clock,
        )
    complaint = complaints.assign_complaint(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        department_id=personas.quality.id,
        assignee_id=None,
        actor=personas.zhang_min.actor,
        clock=clock,
    )
    for action in (
        Action.START_INVESTIGATION,
        Action.PROPOSE_REMEDY,
        Action.CARRY_OUT,
        Action.RESOLVE,
    ):
        complaint = complaints.transition_complaint(
            session,
            complaint_id=complaint.id,
            action=action,
            expected_version=complaint.version,
            actor=personas.zhang_min.actor,
            clock=clock,
            via_command=True,  # the remedy itself is not the subject here
        )
    assert _clocks(session, complaint.id)[ClockKind.RESOLUTION].state == ClockState.STOPPED
    clock.advance(timedelta(days=20))
    complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.REOPEN,
        expected_version=complaint.version,
        actor=personas.zhang_min.actor,
        clock=clock,
        note="客户回访不满意",
    )
    fresh = _clocks(session, complaint.id)[ClockKind.RESOLUTION]
    assert (fresh.state, fresh.started_at, fresh.met_at) == (ClockState.RUNNING, clock.now(), None)
    assert fresh.due_at > clock.now()


def test_an_appealed_rejection_gets_a_fresh_resolution_clock(
    kesu: Kesu, session: Session, personas: Personas, clock: FixedClock
) -> None:
    complaint = file_complaint(kesu, session, description=CALM)
    complaint = complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.REJECT,
        expected_version=complaint.version,
        actor=personas.zhang_min.actor,
        clock=clock,
        note="不属于本单位受理范围",
    )
    assert _clocks(session, complaint.id)[ClockKind.RESOLUTION].state == ClockState.STOPPED
    clock.advance(timedelta(days=3))
    complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.APPEAL,
        expected_version=complaint.version,
        actor=Actor(
            kind=ActorKind.CUSTOMER, id=complaint.customer_id, role="customer", name="王芳"
        ),
        clock=clock,
        note="商品确有质量问题，请重新处理",
    )
    fresh = _clocks(session, complaint.id)[ClockKind.RESOLUTION]
    assert (fresh.state, fresh.started_at) == (ClockState.RUNNING, clock.now())
    assert fresh.due_at > clock.now()
