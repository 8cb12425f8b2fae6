"""Job handlers of follow-up (thin: they call the service)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kesu.core.clock import Clock
from kesu.db.outbox import JobHandler
from kesu.followup import evaluation, service


def make_schedule_handler(clock: Clock, *, secret: str, public_url: str) -> JobHandler:
    def schedule(session: Session, payload: dict[str, Any]) -> None:
        service.schedule_visit(
            session,
            complaint_id=int(payload["complaint_id"]),
            now=clock.now(),
            secret=secret,
            public_url=public_url,
        )

    return schedule


def make_action_due_handler(clock: Clock) -> JobHandler:
    def due(session: Session, payload: dict[str, Any]) -> None:
        evaluation.remind_overdue(
            session,
            action_id=int(payload["action_id"]),
            reminders=int(payload["reminders"]),
            now=clock.now(),
        )

    return due
