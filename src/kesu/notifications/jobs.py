"""Job handlers of the notifications domain (thin: they call the service)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kesu.core.clock import Clock
from kesu.db.outbox import JobHandler
from kesu.notifications import service
from kesu.notifications.notifiers import Notifier


def make_deliver_handler(notifier: Notifier, clock: Clock) -> JobHandler:
    def deliver(session: Session, payload: dict[str, Any]) -> None:
        service.deliver_notification(
            session,
            notification_id=int(payload["notification_id"]),
            notifier=notifier,
            now=clock.now(),
        )

    return deliver
