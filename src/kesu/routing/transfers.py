"""Transfer orders (转办单) to respondents, and urging (催办) repeated until they answer."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.accounts import permissions
from kesu.complaints.errors import ComplaintNotFound
from kesu.complaints.events import EventKind, record_event
from kesu.complaints.lifecycle import CATEGORY, Status, StatusCategory
from kesu.complaints.models import Complaint
from kesu.core.actors import SYSTEM, Actor
from kesu.core.clock import Clock
from kesu.core.errors import Bilingual, InvalidInput, NotFound
from kesu.core.text_limits import clean_text
from kesu.db import outbox
from kesu.db.engine import transaction
from kesu.notifications import service as notifications
from kesu.notifications.models import Channel
from kesu.routing.errors import TransferAlreadyAnswered
from kesu.routing.models import TransferOrder

URGE_JOB = "routing.urge_transfer"
DEFAULT_DAYS = 15
"""A respondent answers within 15 days of the complaint's filing (consumer-association practice)."""
URGE_INTERVAL = timedelta(days=3)
"""After the deadline, the respondent is urged again every three days until it answers."""


def _arm(session: Session, order: TransferOrder, run_at: datetime, now: datetime) -> None:
    outbox.enqueue(
        session,
        URGE_JOB,
        {"order_id": order.id, "urge_count": order.urge_count},
        now=now,
        run_at=run_at,
        dedupe_key=f"{URGE_JOB}:{order.id}:{order.urge_count}",
    )


def issue_transfer_order(
    session: Session,
    *,
    complaint_id: int,
    respondent: str,
    respondent_contact: str | None,
    actor: Actor,
    clock: Clock,
    days: int = DEFAULT_DAYS,
) -> TransferOrder:
    """Send the complaint to a respondent, due ``days`` after filing; several orders = joint handling."""
    with transaction(session):
        permissions.require(actor.role, permissions.Permission.HANDLE_COMPLAINTS)
        complaint = session.get(Complaint, complaint_id)
        if complaint is None:
            raise ComplaintNotFound()
        if CATEGORY[Status(complaint.status)] is StatusCategory.DONE:
            raise InvalidInput(
                reason=Bilingual("投诉已办结，不能再转办", "the complaint is finished")
            )
        if not 1 <= days <= 90:
            raise InvalidInput(
                reason=Bilingual("答复期限应为 1 到 90 天", "the deadline must be 1 to 90 days")
            )
        now = clock.now()
        order = TransferOrder(
            complaint_id=complaint.id,
            unit_id=complaint.department_id,
            respondent=clean_text(
                respondent, field=Bilingual("被投诉方", "respondent"), max_length=200
            ),
            respondent_contact=(respondent_contact or "").strip() or None,
            issued_at=now,
            due_at=complaint.received_at + timedelta(days=days),
            urge_count=0,
        )
        session.add(order)
        session.flush()
        record_event(
            session,
            complaint,
            kind=EventKind.TRANSFER_ISSUED,
            actor=actor,
            at=now,
            is_public=True,
            note=f"已转办至{order.respondent}，请于 {order.due_at:%Y-%m-%d} 前答复",
            data={
                "order_id": order.id,
                "respondent": order.respondent,
                "due_at": order.due_at.isoformat(),
            },
        )
        _arm(session, order, max(order.due_at, now), now)
        return order


def answer_transfer_order(
    session: Session, *, order_id: int, answer: str, actor: Actor, clock: Clock
) -> TransferOrder:
    """Record the respondent's answer; urging stops."""
    with transaction(session):
        permissions.require(actor.role, permissions.Permission.HANDLE_COMPLAINTS)
        order = session.scalar(
            select(TransferOrder).where(TransferOrder.id == order_id).with_for_update()
        )
        if order is None:
            raise NotFound()
        if order.answered_at is not None:
            raise TransferAlreadyAnswered()
        now = clock.now()
        order.answer = clean_text(answer, field=Bilingual("答复", "answer"), max_length=10_000)
        order.answered_at = now
        complaint = session.get(Complaint, order.complaint_id)
        if complaint is None:
            raise ComplaintNotFound()
        record_event(
            session,
            complaint,
            kind=EventKind.TRANSFER_ANSWERED,
            actor=actor,
            at=now,
            is_public=True,
            note=order.answer,
            data={"order_id": order.id, "respondent": order.respondent, "late": now > order.due_at},
        )
        return order


def urge(session: Session, *, order_id: int, urge_count: int, now: datetime) -> bool:
    """One round of urging, if the order is still unanswered past its deadline; arms the next."""
    with transaction(session):
        order = session.scalar(
            select(TransferOrder).where(TransferOrder.id == order_id).with_for_update()
        )
        if (
            order is None
            or order.answered_at is not None
            or order.urge_count != urge_count
            or now < order.due_at
        ):
            return False
        complaint = session.get(Complaint, order.complaint_id)
        if complaint is None:
            return False
        order.urge_count += 1
        order.last_urged_at = now
        contact = order.respondent_contact
        channel = (
            Channel.INTERNAL if not contact else Channel.EMAIL if "@" in contact else Channel.SMS
        )
        notifications.queue_notification(
            session,
            subject_type="complaint",
            subject_id=complaint.id,
            kind="transfer.urging",
            channel=channel,
            recipient=contact or f"department:{order.unit_id}",
            subject=f"催办：转办单 {complaint.tracking_number}",
            body=f"{order.respondent}：关于投诉 {complaint.tracking_number}（{complaint.target}）的转办单已于 "
            f"{order.due_at:%Y-%m-%d} 到期，至今未答复。这是第 {order.urge_count} 次催办，请尽快处理并答复。",
            now=now,
        )
        record_event(
            session,
            complaint,
            kind=EventKind.TRANSFER_URGED,
            actor=SYSTEM,
            at=now,
            is_public=False,
            data={"order_id": order.id, "urge_count": order.urge_count},
        )
        session.flush()
        _arm(session, order, now + URGE_INTERVAL, now)
        return True
