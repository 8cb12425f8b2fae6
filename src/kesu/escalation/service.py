"""What happens when a promise is about to be, or has been, broken: remind, urge (催办), escalate
one level, and compensate the customer when the policy says so."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from kesu.accounts import permissions
from kesu.complaints import service as complaints
from kesu.complaints.events import EventKind, record_event
from kesu.complaints.models import Complaint
from kesu.complaints.notify import notify_customer
from kesu.core.actors import SYSTEM, Actor
from kesu.core.clock import Clock
from kesu.core.errors import Bilingual
from kesu.core.text_limits import clean_text
from kesu.db.engine import transaction
from kesu.escalation.errors import AlreadyAtBottom, AlreadyAtTop
from kesu.escalation.models import EscalationRecord
from kesu.handling import accountability
from kesu.notifications import service as notifications
from kesu.notifications.models import Channel
from kesu.sla import service as sla
from kesu.sla.models import SlaClock

TOP_LEVEL = 3
LEVEL_LABELS = {
    0: ("一线处理", "Front line"),
    1: ("部门负责人", "Department"),
    2: ("管理层", "Management"),
    3: ("总部/监管", "Headquarters / regulator"),
}


def _staff_recipient(complaint: Complaint) -> str:
    if complaint.assignee_id is not None:
        return f"user:{complaint.assignee_id}"
    if complaint.department_id is not None:
        return f"department:{complaint.department_id}"
    return "intake-desk"


def _kind_label(clock: SlaClock) -> str:
    return sla.CLOCK_LABELS[sla.ClockKind(clock.kind)][0]


def remind(session: Session, *, clock_id: int, due_at: str, now: datetime) -> bool:
    """The reminder before a deadline; False when the timer is stale or was already handled."""
    with transaction(session):
        clock = sla.claim_timer(session, clock_id=clock_id, due_at=due_at, now=now, warning=True)
        if clock is None:
            return False
        complaint = session.get(Complaint, clock.complaint_id)
        if complaint is None:
            return False
        notifications.queue_notification(
            session,
            subject_type="complaint",
            subject_id=complaint.id,
            kind="sla.reminder",
            channel=Channel.INTERNAL,
            recipient=_staff_recipient(complaint),
            subject=f"时限提醒：{complaint.tracking_number}",
            body=f"投诉 {complaint.tracking_number}（{complaint.target}）的{_kind_label(clock)}时限将于 "
            f"{clock.due_at.isoformat()} 到期，请及时处理。",
            now=now,
        )
        record_event(
            session,
            complaint,
            kind=EventKind.SLA_WARNING,
            actor=SYSTEM,
            at=now,
            is_public=False,
            data={"clock": clock.kind, "due_at": clock.due_at.isoformat()},
        )
        return True


def handle_breach(session: Session, *, clock_id: int, due_at: str, now: datetime) -> bool:
    """Record a missed deadline once: urge the handler, go up one level, compensate if promised."""
    with transaction(session):
        clock = sla.claim_timer(session, clock_id=clock_id, due_at=due_at, now=now, warning=False)
        if clock is None:
            return False
        complaint = session.get(Complaint, clock.complaint_id, with_for_update=True)
        if complaint is None:
            return False
        record_event(
            session,
            complaint,
            kind=EventKind.SLA_BREACHED,
            actor=SYSTEM,
            at=now,
            is_public=False,
            data={
                "clock": clock.kind,
                "due_at": clock.due_at.isoformat(),
                "policy": clock.policy_name,
            },
        )
        notifications.queue_notification(
            session,
            subject_type="complaint",
            subject_id=complaint.id,
            kind="sla.urging",
            channel=Channel.INTERNAL,
            recipient=_staff_recipient(complaint),
            subject=f"催办：{complaint.tracking_number} 已超时",
            body=f"投诉 {complaint.tracking_number}（{complaint.target}）的{_kind_label(clock)}时限已于 "
            f"{clock.due_at.isoformat()} 到期，请立即处理并回复客户。",
            now=now,
        )
        if complaint.escalation_level < TOP_LEVEL:
            _move(
                session,
                complaint,
                complaint.escalation_level + 1,
                trigger="breach",
                reason=f"{_kind_label(clock)}超时",
                actor=SYSTEM,
                now=now,
            )
        accountability.propose_for_breach(session, complaint, what=_kind_label(clock), now=now)
        if clock.compensation_voucher:
            _offer_voucher(session, complaint, clock.compensation_voucher, now)
        return True


def _offer_voucher(session: Session, complaint: Complaint, voucher: str, now: datetime) -> None:
    body = (
        f"{complaint.complainant_name}您好：很抱歉，您的投诉（受理编号 {complaint.tracking_number}）"
        f"未能在我们承诺的时间内处理完毕。为表歉意，我们为您送上{voucher}，并已督促加快处理。"
    )
    notify_customer(
        session,
        complaint,
        kind="sla.voucher",
        subject=f"超时补偿（{complaint.tracking_number}）",
        body=body,
        now=now,
    )
    record_event(
        session,
        complaint,
        kind=EventKind.VOUCHER_OFFERED,
        actor=SYSTEM,
        at=now,
        is_public=True,
        note=voucher,
        data={"voucher": voucher},
    )


class Trigger(StrEnum):
    MANUAL = "manual"
    BREACH = "breach"
    THREAT = "threat"
    VIP = "vip"
    SEND_BACK = "send_back"


SEND_BACK_FACTOR = 0.5
"""A complaint sent back down keeps half of the resolution time it had left."""


def _move(
    session: Session,
    complaint: Complaint,
    to_level: int,
    *,
    trigger: str,
    reason: str | None,
    actor: Actor,
    now: datetime,
) -> EscalationRecord:
    before = complaint.escalation_level
    complaint.escalation_level = to_level
    complaint.updated_at = now
    session.flush()
    record = EscalationRecord(
        complaint_id=complaint.id,
        from_level=before,
        to_level=to_level,
        trigger=trigger,
        reason=reason,
        actor=actor.ref,
        at=now,
    )
    session.add(record)
    record_event(
        session,
        complaint,
        kind=EventKind.ESCALATED if to_level > before else EventKind.SENT_BACK,
        actor=actor,
        at=now,
        is_public=False,
        note=f"{LEVEL_LABELS[before][0]} → {LEVEL_LABELS[to_level][0]}"
        + (f"：{reason}" if reason else ""),
        data={"from_level": before, "to_level": to_level, "trigger": trigger},
    )
    return record


def escalate_complaint(
    session: Session,
    *,
    complaint_id: int,
    expected_version: int,
    reason: str,
    actor: Actor,
    clock: Clock,
) -> Complaint:
    """Send a complaint one level up by hand (the packet for the next level is ready at once)."""
    with transaction(session):
        permissions.require(actor.role, permissions.Permission.HANDLE_COMPLAINTS)
        complaint = complaints.load_for_update(session, complaint_id, expected_version)
        reason = clean_text(reason, field=Bilingual("升级原因", "reason"), max_length=2000)
        if complaint.escalation_level >= TOP_LEVEL:
            raise AlreadyAtTop()
        _move(
            session,
            complaint,
            complaint.escalation_level + 1,
            trigger=Trigger.MANUAL,
            reason=reason,
            actor=actor,
            now=clock.now(),
        )
        return complaint


def send_back(
    session: Session,
    *,
    complaint_id: int,
    expected_version: int,
    reason: str,
    actor: Actor,
    clock: Clock,
) -> Complaint:
    """Return a complaint one level down (发还): flagged for special attention, less time left."""
    with transaction(session):
        permissions.require(actor.role, permissions.Permission.APPROVE_REMEDIES)
        complaint = complaints.load_for_update(session, complaint_id, expected_version)
        reason = clean_text(reason, field=Bilingual("发还原因", "reason"), max_length=2000)
        if complaint.escalation_level == 0:
            raise AlreadyAtBottom()
        now = clock.now()
        complaint.special_attention = True
        _move(
            session,
            complaint,
            complaint.escalation_level - 1,
            trigger=Trigger.SEND_BACK,
            reason=reason,
            actor=actor,
            now=now,
        )
        sla.tighten_clocks(session, complaint_id=complaint.id, factor=SEND_BACK_FACTOR, now=now)
        return complaint


def intake_trigger(*, threat: bool, angry: bool, vip: bool) -> Trigger | None:
    """Threats from an angry customer, and VIP complaints, start at the department level."""
    if threat and angry:
        return Trigger.THREAT
    if vip:
        return Trigger.VIP
    return None


def record_intake_escalation(
    session: Session, complaint: Complaint, trigger: Trigger, *, now: datetime
) -> None:
    """Record why a new complaint starts above the front line (its level was set at registration)."""
    with transaction(session):
        session.add(
            EscalationRecord(
                complaint_id=complaint.id,
                from_level=0,
                to_level=complaint.escalation_level,
                trigger=trigger,
                reason=None,
                actor=SYSTEM.ref,
                at=now,
            )
        )
        record_event(
            session,
            complaint,
            kind=EventKind.ESCALATED,
            actor=SYSTEM,
            at=now,
            is_public=False,
            note=f"{LEVEL_LABELS[0][0]} → {LEVEL_LABELS[complaint.escalation_level][0]}",
            data={"from_level": 0, "to_level": complaint.escalation_level, "trigger": trigger},
        )
