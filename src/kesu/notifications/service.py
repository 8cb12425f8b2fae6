"""Queue messages in the caller's transaction; deliver them from the worker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.db import outbox
from kesu.db.engine import transaction
from kesu.notifications.models import Notification, NotificationStatus
from kesu.notifications.notifiers import Notifier, OutgoingMessage

DELIVER_JOB = "notifications.deliver"


@dataclass(frozen=True)
class Message:
    """One message to queue: to whom, by which channel, about what."""

    subject_type: str
    subject_id: object
    kind: str
    channel: str
    recipient: str
    subject: str
    body: str


def queue_notification(
    session: Session,
    *,
    subject_type: str,
    subject_id: object,
    kind: str,
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    now: datetime,
) -> Notification:
    """Record the message and its delivery job; nothing is sent before the caller commits."""
    message = Message(subject_type, subject_id, kind, channel, recipient, subject, body)
    return queue_notifications(session, [message], now=now)[0]


def queue_notifications(
    session: Session, messages: Sequence[Message], *, now: datetime
) -> list[Notification]:
    """Record several messages; their delivery jobs follow once the messages have ids."""
    with transaction(session):
        queued = [
            Notification(
                subject_type=message.subject_type,
                subject_id=str(message.subject_id),
                kind=message.kind,
                channel=message.channel,
                recipient=message.recipient,
                subject=message.subject,
                body=message.body,
                status=NotificationStatus.QUEUED,
                created_at=now,
                attempts=0,
            )
            for message in messages
        ]
        session.add_all(queued)

        def enqueue_deliveries() -> None:
            for notification in queued:
                outbox.enqueue(
                    session,
                    DELIVER_JOB,
                    {"notification_id": notification.id},
                    now=now,
                    dedupe_key=f"{DELIVER_JOB}:{notification.id}",
                    key_is_new=True,
                )

        outbox.when_flushed(session, enqueue_deliveries)
        return queued


def deliver_notification(
    session: Session, *, notification_id: int, notifier: Notifier, now: datetime
) -> bool:
    """Send a queued message once; returns False when it had already been sent.

    Runs inside the job's transaction: the row is marked sent in the same commit that finishes
    the job, so a crash between sending and committing can at worst send it twice, never lose it.
    """
    with transaction(session):
        notification = session.scalar(
            select(Notification).where(Notification.id == notification_id).with_for_update()
        )
        if notification is None or notification.status == NotificationStatus.SENT:
            return False
        notification.attempts += 1
        notifier.send(
            OutgoingMessage(
                notification_id=notification.id,
                channel=notification.channel,
                recipient=notification.recipient,
                subject=notification.subject,
                body=notification.body,
            )
        )
        notification.status = NotificationStatus.SENT
        notification.sent_at = now
        return True
