"""Enqueue side effects as job rows inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction

from kesu.db.models import Job, JobStatus

_WHEN_FLUSHED = "kesu_outbox_when_flushed"

BACKOFF_BASE_SECONDS = 10
BACKOFF_CAP_SECONDS = 6 * 3600  # a day of retries fits in max_attempts=8 at most


def backoff(attempts: int) -> timedelta:
    """How long a failed attempt waits before the next (a job, an intake submission):
    10 s, 20 s, 40 s … capped at six hours."""
    return timedelta(
        seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)
    )


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
    key_is_new: bool = False,
) -> Job:
    """Add a job that runs after the current transaction commits (at ``run_at`` or at once).

    A ``dedupe_key`` makes the job idempotent: an existing job with that key is returned instead.
    ``key_is_new`` says the key names a row created in this very transaction (a new notification,
    a new clock), so no earlier job can hold it and the lookup is skipped: the unique index
    still guards it. The job is flushed with the caller's next flush or commit, in one
    multi-row INSERT with the other jobs of the transaction.
    """
    if dedupe_key is not None and not key_is_new:
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
    return job


def when_flushed(session: Session, enqueue_jobs: Callable[[], None]) -> None:
    """Run ``enqueue_jobs`` right after the next flush, once new rows have their ids.

    Jobs name rows by id (a clock, a notification); rather than flushing each new row on its own
    to learn its id, a command adds its rows and defers their jobs here. The rows of the whole
    command then go out in one flush, and the jobs in the next one, which ``commit`` performs
    because it flushes until nothing is pending.
    """
    session.info.setdefault(_WHEN_FLUSHED, []).append(enqueue_jobs)


@event.listens_for(Session, "after_flush_postexec")
def _run_deferred(session: Session, _flush: UOWTransaction) -> None:
    pending: list[Callable[[], None]] = session.info.pop(_WHEN_FLUSHED, [])
    for enqueue_jobs in pending:
        enqueue_jobs()


@event.listens_for(Session, "after_soft_rollback")
def _forget_deferred(session: Session, previous: SessionTransaction) -> None:
    # The rows these jobs were for are gone with the rolled-back transaction; a savepoint's
    # rollback leaves the outer transaction's rows, and their jobs, in place.
    if previous.parent is None:
        session.info.pop(_WHEN_FLUSHED, None)
