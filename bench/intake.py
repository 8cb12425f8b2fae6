"""Intake throughput against the database floor, in one run on one database.

    python bench/intake.py [--count 2000] [--repeats 3] [--database-url URL]

Measures, for the same complaint text, complaints per second for:
- full intake: the ``submit_complaint`` workflow (customer match, complaint, timeline, audit chain,
  acknowledgement notifications and their outbox jobs), one transaction per complaint;
- the API's inbox: ``Inbox.accept_now`` (checks, one INSERT of the submission), one transaction
  per complaint, then ``register_pending`` registering those submissions in its batches (the same
  workflow as full intake, several complaints per transaction);
- the floor: a bare INSERT of the same complaint row, one transaction per row.
Prints medians and min–max over the repeats and the ratio full/floor. Without --database-url it
uses a fresh SQLite file; with a PostgreSQL URL it empties that database's public schema first.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy
from sqlalchemy import insert, text

from kesu import bootstrap
from kesu.complaints.models import Complaint
from kesu.complaints.schemas import ComplaintDraft
from kesu.customers.models import Customer
from kesu.db import migrate
from kesu.db.engine import make_engine
from kesu.intake import inbox
from kesu.intake import service as intake
from kesu.settings import Settings

TEXT = (
    "11月3日在澜泉官方旗舰店买的JSQ25-12燃气热水器，装好才两个多月，洗澡时水温忽冷忽热。"
    "售后电话打了两次，都说已登记，师傅会联系您，到现在没人来。请尽快派人上门检测。"
)


def _draft(n: int) -> ComplaintDraft:
    return ComplaintDraft.model_validate(
        {
            "complainant_name": "王芳",
            "phone": f"138{n:08d}",
            "email": f"user{n}@example.com",
            "region": "浙江省杭州市西湖区",
            "target": "澜泉 JSQ25-12 燃气热水器",
            "product_line": "热水器",
            "description": TEXT,
            "demands": ["repair", "compensation"],
        }
    )


def _fresh(url: str) -> None:
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    engine.dispose()


def run_intake(url: str, data_dir: Path, count: int, offset: int) -> float:
    kesu = bootstrap.build(Settings(data_dir=data_dir, database_url=url))
    drafts = [_draft(offset + n) for n in range(count)]
    started = time.perf_counter()
    with kesu.sessions() as session:
        for draft in drafts:
            intake.submit_complaint(
                session,
                draft,
                registration=kesu.registration,
            )
    elapsed = time.perf_counter() - started
    kesu.dispose()
    return count / elapsed


def run_inbox(url: str, data_dir: Path, count: int, offset: int) -> tuple[float, float]:
    """Accepted per second, then registered per second."""
    kesu = bootstrap.build(Settings(data_dir=data_dir, database_url=url))
    drafts = [_draft(offset + n) for n in range(count)]
    started = time.perf_counter()
    for draft in drafts:
        kesu.inbox.accept_now(draft)
    accepted = count / (time.perf_counter() - started)
    started = time.perf_counter()
    registered = 0
    with kesu.sessions() as session:
        while done := inbox.register_pending(session, kesu.registration):
            registered += done
    if registered != count:
        raise RuntimeError(f"registered {registered} of {count} accepted complaints")
    registering = count / (time.perf_counter() - started)
    kesu.dispose()
    return accepted, registering


def run_floor(url: str, count: int, offset: int) -> float:
    engine = make_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        customer_id = connection.execute(
            insert(Customer)
            .values(name="王芳", phone=f"139{offset:08d}", created_at=now, updated_at=now)
            .returning(Customer.id)
        ).scalar_one()
    rows = [
        {
            "tracking_number": f"BENCH-{offset + n:010d}",
            "status": "received",
            "version": 1,
            "customer_id": customer_id,
            "complainant_name": "王芳",
            "contact_phone": f"138{n:08d}",
            "contact_email": f"user{n}@example.com",
            "channel": "web",
            "region": "浙江省杭州市西湖区",
            "target_type": "product",
            "target": "澜泉 JSQ25-12 燃气热水器",
            "product_line": "热水器",
            "description": TEXT,
            "demands": ["repair", "compensation"],
            "received_at": now,
            "updated_at": now,
            "registered_by": "system",
        }
        for n in range(count)
    ]
    statement = insert(Complaint)
    started = time.perf_counter()
    for row in rows:
        with engine.begin() as connection:
            connection.execute(statement, row)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        url = args.database_url or f"sqlite:///{data_dir / 'bench.sqlite3'}"
        _fresh(url)
        full, accepted, registered, floor = [], [], [], []
        for repeat in range(args.repeats):
            # Interleaved so that drift on a noisy machine hits every series alike.
            full.append(run_intake(url, data_dir, args.count, offset=repeat * args.count))
            accept, register = run_inbox(
                url, data_dir, args.count, offset=(args.repeats + repeat) * args.count
            )
            accepted.append(accept)
            registered.append(register)
            floor.append(run_floor(url, args.count, offset=repeat * args.count))
        dialect = make_engine(url).dialect.name
    ratio = statistics.median(full) / statistics.median(floor)
    print(
        f"python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, {dialect}, {platform.machine()}"
    )
    print(f"{args.count} complaints × {args.repeats} repeats, one transaction each")
    print("| measure | complaints/s (median) | min–max |")
    print("| --- | ---: | ---: |")
    for name, series in (
        ("full intake (service)", full),
        ("inbox: accept", accepted),
        ("inbox: register in batches", registered),
        ("bare INSERT (floor)", floor),
    ):
        print(
            f"| {name} | {statistics.median(series):,.0f} | {min(series):,.0f}–{max(series):,.0f} |"
        )
    print(f"| ratio full / floor | {ratio:.2f} | |")
    print(
        f"| ratio accept / floor | {statistics.median(accepted) / statistics.median(floor):.2f} | |"
    )
    print(
        f"| ratio batched registration / full intake | "
        f"{statistics.median(registered) / statistics.median(full):.2f} | |"
    )


if __name__ == "__main__":
    sys.exit(main())
