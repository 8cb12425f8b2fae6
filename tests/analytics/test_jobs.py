"""The periodic refresh runs through the worker and keeps itself armed, one run a minute."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.analytics import jobs, queries
from kesu.analytics.models import ComplaintDayStat
from kesu.bootstrap import Kesu
from kesu.core.actors import SYSTEM
from kesu.core.clock import FixedClock
from kesu.core.i18n import Language
from kesu.db.models import Job, JobStatus
from kesu.jobs import registry
from kesu.jobs.worker import Worker, WorkerConfig
from tests.analytics.scenario import filed, worker
from tests.factories import see_committed
from tests.fakes import MemoryNotifier

START = datetime(2026, 11, 23, 9, 30, 20, tzinfo=UTC)


def _refresh_jobs(session: Session) -> list[Job]:
    see_committed(session)
    return list(session.scalars(select(Job).where(Job.kind == jobs.REFRESH_JOB).order_by(Job.id)))


def _counted(session: Session, now: datetime) -> int:
    see_committed(session)
    summary = queries.dashboard(
        session, SYSTEM, queries.SummaryRequest(), now=now, language=Language.ZH
    )
    return summary.current.complaints


def test_the_refresh_runs_every_minute_through_the_worker(
    kesu: Kesu, session: Session, clock: FixedClock, notifier: MemoryNotifier
) -> None:
    filed(kesu, session, clock, START, phone="13900000701", email=None)
    first = jobs.ensure_scheduled(session, now=clock.now())
    assert jobs.ensure_scheduled(session, now=clock.now()).id == first.id  # armed once
    runner = worker(kesu, notifier)
    runner.run_until_idle()
    assert _counted(session, clock.now()) == 0  # not due until the next minute

    clock.set(datetime(2026, 11, 23, 9, 31, 5, tzinfo=UTC))
    runner.run_until_idle()
    assert _counted(session, clock.now()) == 1
    rows = _refresh_jobs(session)
    assert [(job.dedupe_key, job.status) for job in rows] == [
        ("analytics.refresh:202611230931", JobStatus.DONE),
        ("analytics.refresh:202611230932", JobStatus.PENDING),
    ]

    filed(kesu, session, clock, clock.now(), phone="13900000702", email=None)
    clock.set(datetime(2026, 11, 23, 9, 32, 0, tzinfo=UTC))
    runner.run_until_idle()
    assert _counted(session, clock.now()) == 2
    # The run before the last is tidied away: the job table does not grow by a row a minute.
    assert [(job.dedupe_key, job.status) for job in _refresh_jobs(session)] == [
        ("analytics.refresh:202611230932", JobStatus.DONE),
        ("analytics.refresh:202611230933", JobStatus.PENDING),
    ]


def test_a_large_backlog_is_worked_off_in_runs_that_follow_each_other_at_once(
    kesu: Kesu, session: Session, clock: FixedClock, notifier: MemoryNotifier
) -> None:
    days = [date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)]
    for n, day in enumerate(days):
        moment = datetime(day.year, day.month, day.day, 3, tzinfo=UTC)
        filed(kesu, session, clock, moment, phone=f"1390000080{n}", email=None)
    clock.set(START)
    jobs.ensure_scheduled(session, now=clock.now())
    clock.advance(timedelta(minutes=1))
    handlers = registry.build_handlers(notifier=notifier, clock=kesu.clock)
    handlers[jobs.REFRESH_JOB] = jobs.make_refresh_handler(kesu.clock, days_per_run=1)
    Worker(kesu.sessions, handlers, kesu.clock, WorkerConfig(50, 60, 3)).run_until_idle()

    see_committed(session)
    assert {row.day for row in session.scalars(select(ComplaintDayStat))} == set(days)
    assert _counted(session, clock.now()) == 3
    keys = [(job.dedupe_key, job.status) for job in _refresh_jobs(session)]
    # Three runs of one day each (the first and two catch-ups), then the next minute's run.
    assert keys[-1] == ("analytics.refresh:202611230932", JobStatus.PENDING)
    assert keys[-2] == ("analytics.refresh:202611230931+2", JobStatus.DONE)
    assert len(keys) == 2
