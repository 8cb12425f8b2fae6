"""Job handlers of routing (thin: they call the service)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kesu.core.clock import Clock
from kesu.db.outbox import JobHandler
from kesu.routing import transfers


def make_urge_handler(clock: Clock) -> JobHandler:
    def urge(session: Session, payload: dict[str, Any]) -> None:
        transfers.urge(
            session,
            order_id=int(payload["order_id"]),
            urge_count=int(payload["urge_count"]),
            now=clock.now(),
        )

    return urge
