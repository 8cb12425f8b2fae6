"""SLA sweep: how fast the worker handles due timers, against the worker's own floor.

    python bench/sla_sweep.py [--complaints 1000] [--open 1000000] [--database-url URL]

Files ``--complaints`` complaints through intake (each starts two clocks with two timers each),
moves a fake clock a month ahead so every reminder and deadline is due, and runs one worker until
idle: reminders, breaches (urging, escalation, timeline, audit) and the notifications they queue.
The floor is the same worker running the same number of jobs whose handler does nothing.
With ``--open N``, N open complaints with running clocks and their pending timers (due in the
future) are bulk-inserted first, so the sweep runs against a database of realistic size.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text

from kesu import bootstrap
from kesu.complaints.models import Complaint
from kesu.complaints.schemas import ComplaintDraft
from kesu.core.clock import FixedClock
from kesu.customers.models import Customer
from kesu.db import migrate, outbox
from kesu.db.engine import make_engine, transaction
from kesu.db.models import Job
from kesu.intake import service as intake
from kesu.jobs import registry
from kesu.jobs.worker import Worker, WorkerConfig
from kesu.settings import Settings
from kesu.sla.models import SlaClock
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


BULK_BATCH = 20_000


def _bulk_open(url: str, count: int, now: datetime) -> None:
    """Insert ``count`` open complaints, 2 running clocks and 2 pending timers each (Core, batched)."""
    engine = make_engine(url)
    far = now + timedelta(days=400)
    with engine.begin() as connection:
        customer_id = connection.execute(
            insert(Customer)
            .values(name="批量", phone="10000000000", tags=[], created_at=now, updated_at=now)
            .returning(Customer.id)
        ).scalar_one()
    statuses = ["received", "triaged", "assigned", "investigating", "waiting_customer"]
    for start in range(0, count, BULK_BATCH):
        size = min(BULK_BATCH, count - start)
        with engine.begin() as connection:
            ids = (
                connection.execute(
                    insert(Complaint).returning(Complaint.id),
                    [
                        {
                            "tracking_number": f"BULK-{start + n:010d}",
                            "status": statuses[(start + n) % 5],
                            "version": 1,
                            "customer_id": customer_id,
                            "complainant_name": "批量",
                            "contact_phone": None,
                            "contact_email": None,
                            "channel": "web",
                            "region": None,
                            "target_type": "product",
                            "target": "批量产品",
                            "description": "批量数据",
                            "demands": ["repair"],
                            "received_at": now - timedelta(minutes=start + n),
                            "updated_at": now,
                            "registered_by": "system",
                            "escalation_level": 0,
                            "special_attention": False,
                        }
                        for n in range(size)
                    ],
                )
                .scalars()
                .all()
            )
            clocks = (
                connection.execute(
                    insert(SlaClock).returning(SlaClock.id),
                    [
                        {
                            "complaint_id": cid,
                            "kind": kind,
                            "policy_name": "bulk",
                            "clock_type": "calendar",
                            "warn_before_minutes": 60,
                            "compensation_voucher": None,
                            "started_at": now,
                            "due_at": far,
                            "state": "running",
                        }
                        for cid in ids
                        for kind in ("first_response", "resolution")
                    ],
                )
                .scalars()
                .all()
            )
            connection.execute(
                insert(Job),
                [
                    {
                        "kind": DUE_JOB,
                        "payload": {"clock_id": clock_id, "due_at": far.isoformat()},
                        "status": "pending",
                        "run_at": far,
                        "attempts": 0,
                        "created_at": now,
                        "dedupe_key": f"{DUE_JOB}:{clock_id}:bulk",
                    }
                    for clock_id in clocks
                ],
            )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--complaints", type=int, default=1000)
    parser.add_argument(
        "--open", type=int, default=0, help="Open complaints already in the database."
    )
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'sweep.sqlite3'}"
        _fresh(url)
        clock = FixedClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
        if args.open:
            started = time.perf_counter()
            _bulk_open(url, args.open, clock.now())
            print(
                f"{args.open:,} open complaints inserted in {time.perf_counter() - started:.0f} s"
            )
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
                    registration=replace(kesu.registration, clock=clock),
                )
            timers = session.scalar(
                select(func.count()).where(
                    Job.kind.in_([WARN_JOB, DUE_JOB]), Job.dedupe_key.not_like("%:bulk")
                )
            )
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
        f"python {platform.python_version()}, {dialect}; {args.open:,} open complaints in the database, "
        f"{args.complaints} filed with {timers} timers"
    )
    print("| measure | jobs | jobs/s |\n| --- | ---: | ---: |")
    print(f"| due timers and what they queue | {done} | {done / sweep:,.0f} |")
    print(f"| no-op jobs (worker floor) | {floor_done} | {floor_done / floor:,.0f} |")
    print(f"| ratio | | {(done / sweep) / (floor_done / floor):.2f} |")


if __name__ == "__main__":
    main()
