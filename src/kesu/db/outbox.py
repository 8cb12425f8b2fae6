"""Enqueue side effects as job rows inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.db.models import Job, JobStatus

JobHandler = Callable[[Session, dict[str, Any]], None]
"""Runs one job inside the worker's transaction; must be safe to run again after a failure."""


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> Job:
    """Add a job that runs after the current transaction commits (at ``run_at`` or at once)."""
    if dedupe_key is not None:
        existing = session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    job = Job(
        kind=kind,
        payload=payload,
        status=JobStatus.PENDING,
        run_at=run_at or now,
        attempts=0,
        created_at=now,
        dedupe_key=dedupe_key,
    )
    session.add(job)
    session.flush()
    return job
