"""The periodic rollup refresh: a job that re-arms itself through the outbox every minute.

Each run is keyed to a minute (``analytics.refresh:202611230931``), and the next run it arms is
keyed to the minute after it ran. Keys repeat across chains, so two chains started by two workers
merge at the first minute they share instead of doubling the work. A run that leaves dirty days
behind (after a bulk import) arms a catch-up run at once, numbered within its minute. Each run
deletes the finished job row of the run before it: a refresh leaves nothing worth keeping, and a
row per minute would grow the job table by half a million rows a year.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from kesu.analytics import service
from kesu.core.clock import Clock
from kesu.db import outbox
from kesu.db.engine import transaction
from kesu.db.models import Job, JobStatus
from kesu.db.outbox import JobHandler

REFRESH_JOB = "analytics.refresh"
INTERVAL = timedelta(minutes=1)
DAYS_PER_RUN = 7
SECONDS_PER_RUN = 0.05
"""One run recomputes dirty days one by one, in the worker's single transaction, until a week
of them or this long has passed. On SQLite every other writer waits for the run (a detail view
writes its audit entry): at 0.2 s a small database's first catch-up put 0.24 s into the slowest
detail views, and seven-day runs over a million complaints held the lock for a second (a day
there takes about 0.15 s and is never split). More days follow at once, in the next run."""


def _slot(moment: datetime) -> str:
    return moment.strftime("%Y%m%d%H%M")


def _key(slot: str, step: int) -> str:
    return f"{REFRESH_JOB}:{slot}" if step == 0 else f"{REFRESH_JOB}:{slot}+{step}"


def _arm(
    session: Session, *, slot: str, step: int, run_at: datetime, now: datetime, previous: str | None
) -> Job:
    return outbox.enqueue(
        session,
        REFRESH_JOB,
        {"slot": slot, "step": step, "previous": previous},
        now=now,
        run_at=run_at,
        dedupe_key=_key(slot, step),
    )


def _next_minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0) + INTERVAL


def ensure_scheduled(session: Session, *, now: datetime) -> Job:
    """Arm the refresh for the next minute unless that run is armed already (worker start-up,
    ``kesu analytics refresh``): restarts a chain that stopped, joins one that runs."""
    with transaction(session):
        start = _next_minute(now)
        return _arm(session, slot=_slot(start), step=0, run_at=start, now=now, previous=None)


def run_refresh(
    session: Session, payload: dict[str, Any], *, now: datetime, days_per_run: int = DAYS_PER_RUN
) -> None:
    """One run: refresh within the budget, tidy the previous run's row, arm the next run."""
    with transaction(session):
        result = service.refresh(session, now=now, budget=days_per_run, seconds=SECONDS_PER_RUN)
        previous = payload.get("previous")
        if isinstance(previous, str):
            session.execute(
                delete(Job).where(Job.dedupe_key == previous, Job.status == JobStatus.DONE)
            )
        own = _key(str(payload["slot"]), int(payload["step"]))
        if result.remaining:
            _arm(
                session,
                slot=str(payload["slot"]),
                step=int(payload["step"]) + 1,
                run_at=now,
                now=now,
                previous=own,
            )
        else:
            start = _next_minute(now)
            _arm(session, slot=_slot(start), step=0, run_at=start, now=now, previous=own)


def make_refresh_handler(clock: Clock, *, days_per_run: int = DAYS_PER_RUN) -> JobHandler:
    def refresh(session: Session, payload: dict[str, Any]) -> None:
        run_refresh(session, payload, now=clock.now(), days_per_run=days_per_run)

    return refresh
