"""SLA sweep: how fast the worker handles due timers, against the worker's own floor.

    python bench/sla_sweep.py [--complaints 1000] [--database-url URL]

Files ``--complaints`` complaints through intake (each starts two clocks with two timers each),
moves a fake clock a month ahead so every reminder and deadline is due, and runs one worker until
idle: reminders, breaches (urging, escalation, timeline, audit) and the notifications they queue.
The floor is the same worker running the same number of jobs whose handler does nothing.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from kesu import bootstrap
from kesu.complaints.schemas import ComplaintDraft
from kesu.core.clock import FixedClock
from kesu.db import migrate, outbox
from kesu.db.engine import make_engine, transaction
from kesu.db.models import Job
from kesu.intake import service as intake
from kesu.jobs import registry
from kesu.jobs.worker import Worker, WorkerConfig
from kesu.settings import Settings
from kesu.sla.service import DUE_JOB, WARN_JOB


class _Discard:
    def send(self, message: object) -> None:
        """Notifications are not the subject here."""


def _fresh(url: str) -> None:
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--complaints", type=int, default=1000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'sweep.sqlite3'}"
        _fresh(url)
        clock = FixedClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
        kesu = bootstrap.build(
            Settings(data_dir=Path(tmp), database_url=url), clock=clock, notifier=_Discard()
        )
        with kesu.sessions() as session:
            for n in range(args.complaints):
                draft = ComplaintDraft(
                    complainant_name="王芳",
                    phone=f"138{n:08d}",
                    target="热水器",
                    description=f"订单 {n} 的热水器不出热水，师傅一直没来。",
                    demands=["repair"],
                )
                intake.submit_complaint(
                    session,
                    draft,
                    policy=kesu.intake_policy,
                    clock=clock,
                    store=kesu.evidence_store,
                    engine=kesu.triage_engine,
                )
            timers = session.scalar(select(func.count()).where(Job.kind.in_([WARN_JOB, DUE_JOB])))
            assert timers is not None
        config = WorkerConfig(batch_size=100, lease_seconds=300, max_attempts=3)
        handlers = registry.build_handlers(notifier=kesu.notifier, clock=clock)
        worker = Worker(kesu.sessions, handlers, clock, config, name="sweep")
        worker.run_until_idle(max_rounds=100_000)  # the acknowledgements, due at once
        clock.advance(timedelta(days=31))
        started = time.perf_counter()
        done = worker.run_until_idle(max_rounds=100_000)
        sweep = time.perf_counter() - started

        with kesu.sessions() as session, transaction(session):
            for _ in range(timers):
                outbox.enqueue(session, "bench.noop", {}, now=clock.now())
        floor_worker = Worker(
            kesu.sessions, {"bench.noop": lambda _s, _p: None}, clock, config, name="floor"
        )
        started = time.perf_counter()
        floor_done = floor_worker.run_until_idle(max_rounds=100_000)
        floor = time.perf_counter() - started
        dialect = kesu.dialect
        kesu.dispose()
    print(
        f"python {platform.python_version()}, {dialect}; {args.complaints} complaints, {timers} timers"
    )
    print("| measure | jobs | jobs/s |\n| --- | ---: | ---: |")
    print(f"| due timers and what they queue | {done} | {done / sweep:,.0f} |")
    print(f"| no-op jobs (worker floor) | {floor_done} | {floor_done / floor:,.0f} |")
    print(f"| ratio | | {(done / sweep) / (floor_done / floor):.2f} |")


if __name__ == "__main__":
    main()
