"""Job handlers for SLA timers (thin: they call the escalation service)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kesu.core.clock import Clock
from kesu.db.outbox import JobHandler
from kesu.escalation import service


def make_handlers(clock: Clock) -> tuple[JobHandler, JobHandler]:
    """(reminder handler, deadline handler)."""

    def warn(session: Session, payload: dict[str, Any]) -> None:
        service.remind(
            session,
            clock_id=int(payload["clock_id"]),
            due_at=str(payload["due_at"]),
            now=clock.now(),
        )

    def due(session: Session, payload: dict[str, Any]) -> None:
        service.handle_breach(
            session,
            clock_id=int(payload["clock_id"]),
            due_at=str(payload["due_at"]),
            now=clock.now(),
        )

    return warn, due
