from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from typing_extensions import override

from kesu.bootstrap import Kesu
from kesu.core.clock import FixedClock
from kesu.db import outbox
from kesu.db.engine import transaction
from kesu.db.models import Job, JobStatus
from kesu.jobs import registry
from kesu.jobs.worker import Worker, WorkerConfig, backoff
from kesu.notifications import service as notifications
from kesu.notifications.models import Notification, NotificationStatus
from kesu.notifications.service import DELIVER_JOB
from tests.factories import file_complaint, see_committed
from tests.fakes import MemoryNotifier

CONFIG = WorkerConfig(batch_size=10, lease_seconds=60, max_attempts=3)


def _worker(kesu: Kesu, notifier: MemoryNotifier, name: str = "w1") -> Worker:
    return Worker(
        kesu.sessions,
        registry.build_handlers(notifier=notifier, clock=kesu.clock),
        kesu.clock,
        CONFIG,
        name=name,
    )


def test_the_acknowledgement_is_delivered_once(
    kesu: Kesu, session: Session, notifier: MemoryNotifier
) -> None:
    complaint = file_complaint(kesu, session)
    worker = _worker(kesu, notifier)
    assert worker.run_until_idle() == 2
    assert worker.run_until_idle() == 0
    assert sorted(m.channel for m in notifier.sent) == ["email", "sms"]
    assert all(complaint.tracking_number in m.body for m in notifier.sent)
    see_committed(session)
    assert {n.status for n in session.scalars(select(Notification))} == {NotificationStatus.SENT}


def test_a_failed_delivery_is_retried_with_backoff(
    kesu: Kesu, session: Session, notifier: MemoryNotifier, clock: FixedClock
) -> None:
    file_complaint(kesu, session, email=None)
    notifier.fail_next(1)
    worker = _worker(kesu, notifier)

    first = worker.run_once()
    assert (first.claimed, first.done, first.failed) == (1, 0, 1)
    see_committed(session)
    job = session.scalars(select(Job).where(Job.kind == DELIVER_JOB)).one()
    assert (job.status, job.attempts) == (JobStatus.PENDING, 1)
    assert job.run_at == clock.now() + backoff(1)
    assert job.last_error is not None
    assert "gateway unreachable" in job.last_error
    assert notifier.sent == []

    assert worker.run_once().claimed == 0  # not due yet
    clock.advance(backoff(1))
    assert worker.run_once().done == 1
    see_committed(session)
    job = session.scalars(select(Job).where(Job.kind == DELIVER_JOB)).one()
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)
    assert len(notifier.sent) == 1
    notification = session.scalars(select(Notification)).one()
    assert (notification.status, notification.sent_at) == (NotificationStatus.SENT, clock.now())


def _queue_sms(session: Session, now: datetime) -> None:
    notifications.queue_notification(
        session,
        subject_type="complaint",
        subject_id=1,
        kind="test",
        channel="sms",
        recipient="13800138001",
        subject="s",
        body="b",
        now=now,
    )


def test_a_job_that_keeps_failing_is_parked_dead(
    kesu: Kesu, session: Session, notifier: MemoryNotifier, clock: FixedClock
) -> None:
    _queue_sms(session, clock.now())
    notifier.fail_next(CONFIG.max_attempts)
    worker = _worker(kesu, notifier)
    for _ in range(CONFIG.max_attempts):
        clock.advance(timedelta(hours=7))
        worker.run_once()
    see_committed(session)
    job = session.scalars(select(Job).where(Job.kind == DELIVER_JOB)).one()
    assert (job.status, job.attempts) == (JobStatus.DEAD, CONFIG.max_attempts)
    clock.advance(timedelta(days=1))
    assert worker.run_once().claimed == 0
    assert notifier.sent == []


def test_an_unknown_job_kind_fails_on_the_row(
    kesu: Kesu, session: Session, notifier: MemoryNotifier
) -> None:
    with transaction(session):
        outbox.enqueue(session, "nobody.handles.this", {}, now=kesu.clock.now())
    assert _worker(kesu, notifier).run_once().failed == 1
    see_committed(session)
    job = session.scalars(select(Job)).one()
    assert job.last_error is not None
    assert "no handler registered" in job.last_error


def test_a_lease_of_a_dead_worker_expires(
    kesu: Kesu, session: Session, notifier: MemoryNotifier, clock: FixedClock
) -> None:
    file_complaint(kesu, session, email=None)
    crashed = _worker(kesu, notifier, name="crashed")
    with kesu.sessions() as own:
        assert len(crashed.claim(own)) == 1  # claimed, then the process died
    rescuer = _worker(kesu, notifier, name="rescuer")
    assert rescuer.run_once().claimed == 0
    clock.advance(timedelta(seconds=CONFIG.lease_seconds + 1))
    assert rescuer.run_once().done == 1
    assert len(notifier.sent) == 1


def test_enqueue_with_a_dedupe_key_is_idempotent(kesu: Kesu, session: Session) -> None:
    with transaction(session):
        first = outbox.enqueue(session, "x", {"a": 1}, now=kesu.clock.now(), dedupe_key="timer:1")
        second = outbox.enqueue(session, "x", {"a": 1}, now=kesu.clock.now(), dedupe_key="timer:1")
    assert first.id == second.id


def test_two_workers_run_each_job_exactly_once(kesu: Kesu, session: Session) -> None:
    runs: Counter[int] = Counter()
    lock = threading.Lock()

    def count(job_session: Session, payload: dict[str, Any]) -> None:
        with lock:
            runs[int(payload["n"])] += 1

    with transaction(session):
        for n in range(60):
            outbox.enqueue(session, "count", {"n": n}, now=kesu.clock.now())
    workers = [
        Worker(kesu.sessions, {"count": count}, kesu.clock, WorkerConfig(5, 60, 3), name=f"w{i}")
        for i in range(2)
    ]
    threads = [threading.Thread(target=w.run_until_idle) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert runs == Counter(range(60))
    see_committed(session)
    assert {job.status for job in session.scalars(select(Job))} == {JobStatus.DONE}


class _Stop(threading.Event):
    """Records every rest of the worker and stops it after ``rounds`` of them."""

    def __init__(self, rounds: int) -> None:
        super().__init__()
        self.rests: list[float] = []
        self.rounds = rounds

    @override
    def wait(self, timeout: float | None = None) -> bool:
        self.rests.append(timeout or 0.0)
        if len(self.rests) >= self.rounds:
            self.set()
        return self.is_set()


def test_the_worker_gives_way_to_requests_after_rounds_that_found_work(
    kesu: Kesu, session: Session, notifier: MemoryNotifier
) -> None:
    for _ in range(3):
        file_complaint(kesu, session)  # six acknowledgements: three rounds of two
    worker = Worker(
        kesu.sessions,
        registry.build_handlers(notifier=notifier, clock=kesu.clock),
        kesu.clock,
        WorkerConfig(batch_size=2, lease_seconds=60, max_attempts=3),
    )
    busy = _Stop(rounds=4)
    worker.run_forever(busy, poll_seconds=5, give_way=lambda: True)
    assert len(notifier.sent) == 6
    # Three working rounds, each followed by a rest longer than nothing; then idle: the poll.
    assert all(0 < rest < 5 for rest in busy.rests[:3])
    assert busy.rests[3] == 5

    for _ in range(2):
        file_complaint(kesu, session)
    quiet = _Stop(rounds=1)
    worker.run_forever(quiet, poll_seconds=5, give_way=lambda: False)
    assert len(notifier.sent) == 10  # no rest between working rounds: straight to the poll
    assert quiet.rests == [5]
