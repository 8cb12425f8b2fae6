"""The worker: claims due job rows, runs their handlers, records the outcome on the row.

Claiming and running are separate transactions. A claim marks rows ``running`` with a lease;
the handler then runs in its own transaction, which also marks the job done, so the handler's
writes and "done" commit together. A failure rolls the handler back and, in a fresh
transaction, schedules a retry with exponential backoff. A worker that dies mid-job leaves a
lease that expires, and another worker takes the job again: handlers must be idempotent.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from kesu.core.clock import Clock
from kesu.db.engine import transaction
from kesu.db.models import Job, JobStatus
from kesu.db.outbox import JobHandler, backoff

__all__ = ["Drain", "RoundResult", "Worker", "WorkerConfig", "backoff"]

log = logging.getLogger(__name__)


Drain = Callable[[Session], int]
"""Work kept in a table of its own rather than as job rows (the intake inbox): each round runs
it once and it returns how many items it handled, 0 when there was nothing to do."""


@dataclass(frozen=True)
class WorkerConfig:
    batch_size: int
    lease_seconds: int
    max_attempts: int


@dataclass(frozen=True)
class RoundResult:
    claimed: int
    done: int
    failed: int
    drained: int = 0
    """Items the drains handled this round (intake submissions registered)."""


class Worker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        handlers: Mapping[str, JobHandler],
        clock: Clock,
        config: WorkerConfig,
        name: str | None = None,
        drains: Mapping[str, Drain] | None = None,
    ) -> None:
        self._sessions = sessions
        self._handlers = dict(handlers)
        self._drains = dict(drains or {})
        self._clock = clock
        self._config = config
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"

    def claim(self, session: Session) -> list[int]:
        """Mark up to ``batch_size`` due jobs as ours; other workers skip rows we locked."""
        now = self._clock.now()
        with transaction(session):
            due = (
                select(Job.id)
                .where(
                    or_(
                        (Job.status == JobStatus.PENDING) & (Job.run_at <= now),
                        (Job.status == JobStatus.RUNNING) & (Job.locked_until < now),
                    )
                )
                .order_by(Job.run_at, Job.id)
                .limit(self._config.batch_size)
                .with_for_update(skip_locked=True)
            )
            ids = list(session.scalars(due))
            if ids:
                session.execute(
                    update(Job)
                    .where(Job.id.in_(ids))
                    .values(
                        status=JobStatus.RUNNING,
                        locked_by=self.name,
                        locked_until=now + timedelta(seconds=self._config.lease_seconds),
                    )
                )
            return ids

    def run_once(self) -> RoundResult:
        """Run each drain once, then claim one batch of jobs and run it; returns what happened
        (nothing claimed and nothing drained means idle)."""
        drained = self._drain()
        done = failed = 0
        with self._sessions() as session:
            ids = self.claim(session)
        for job_id in ids:
            if self._run(job_id):
                done += 1
            else:
                failed += 1
        return RoundResult(claimed=len(ids), done=done, failed=failed, drained=drained)

    def _drain(self) -> int:
        handled = 0
        for kind, drain in self._drains.items():
            try:
                with self._sessions() as session:
                    handled += drain(session)
            except Exception:
                # A drain records its own failures; this is the database being unreachable.
                log.exception("drain failed", extra={"worker": self.name, "kind": kind})
        return handled

    def run_until_idle(self, max_rounds: int = 1000) -> int:
        """Run rounds until nothing is due; returns the number of jobs that finished."""
        finished = 0
        for _ in range(max_rounds):
            result = self.run_once()
            finished += result.done
            if result.claimed == 0 and result.drained == 0:
                break
        return finished

    def run_forever(
        self,
        stop: threading.Event,
        poll_seconds: float,
        give_way: Callable[[], bool] | None = None,
    ) -> None:
        """Run rounds until ``stop``; sleep ``poll_seconds`` when idle.

        ``give_way`` says whether people are waiting on this process (the web requests of
        ``kesu serve``, whose embedded worker shares its interpreter): after a round that found
        work, the worker then rests twice as long as the round took, so that background work
        takes at most a third of the process while requests are answered. A burst of filings
        is answered at full speed and registered just after; under constant load the work still
        advances, at a third.
        """
        log.info("worker started", extra={"worker": self.name})
        while not stop.is_set():
            began = time.monotonic()
            try:
                result = self.run_once()
            except Exception:
                # The database may be briefly unreachable; keep the worker alive and try again.
                log.exception("worker round failed", extra={"worker": self.name})
                result = RoundResult(0, 0, 0)
            if result.claimed == 0 and result.drained == 0:
                stop.wait(poll_seconds)
            elif give_way is not None and give_way():
                stop.wait(2 * (time.monotonic() - began))
        log.info("worker stopped", extra={"worker": self.name})

    def _run(self, job_id: int) -> bool:
        with self._sessions() as session:
            job = session.get(Job, job_id)
            if job is None or job.status != JobStatus.RUNNING or job.locked_by != self.name:
                return False
            kind, payload = job.kind, dict(job.payload)
            handler = self._handlers.get(kind)
            try:
                if handler is None:
                    raise LookupError(f"no handler registered for job kind {kind!r}")
                with transaction(session):
                    handler(session, payload)
                    self._finish(session, job_id, self._clock.now())
            except Exception as error:
                self._fail(session, job_id, error)
                return False
            return True

    def _finish(self, session: Session, job_id: int, now: datetime) -> None:
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status=JobStatus.DONE, done_at=now, attempts=Job.attempts + 1, locked_until=None
            )
        )

    def _fail(self, session: Session, job_id: int, error: Exception) -> None:
        now = self._clock.now()
        with transaction(session):
            job = session.get(Job, job_id, populate_existing=True)
            if job is None:
                return
            job.attempts += 1
            job.last_error = "".join(traceback.format_exception_only(error)).strip()[:4000]
            job.locked_by = None
            job.locked_until = None
            if job.attempts >= self._config.max_attempts:
                job.status = JobStatus.DEAD
                log.error("job dead", extra={"job_id": job_id, "kind": job.kind})
            else:
                job.status = JobStatus.PENDING
                job.run_at = now + backoff(job.attempts)
                log.warning("job failed, will retry", extra={"job_id": job_id, "kind": job.kind})
