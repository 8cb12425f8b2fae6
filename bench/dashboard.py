"""The analytics dashboard at scale: rollup refresh times and summary query latency.

    python bench/dashboard.py --database-url URL [--repeats 30]
    python bench/dashboard.py --generate 20000            # a fresh SQLite file with synthetic rows
    python bench/dashboard.py --database-url URL --generate 1000000 --touch 500

On the database given (already migrated and filled, e.g. by `kesu import complaints`), or on a
fresh one filled with ``--generate N`` synthetic complaints (Core bulk inserts: customers,
departments, complaints over two years, SLA clocks, follow-up visits, escalations, one timeline
event each), it:

1. recounts the whole rollup (`kesu analytics refresh --full`) when it is empty or ``--full`` is
   given, and reports how long that took and how many rollup rows it wrote;
2. with ``--touch N``, changes the status of N random complaints (as the lifecycle would: a new
   status and a timeline event) and times the incremental refresh that follows;
3. times the whole dashboard summary (every aggregate the page and the API show, in one call)
   for the usual questions: 30 days, 90 days, a year, three years, with a department or a
   category, and as a department-scoped handler; p50, p99 and max over ``--repeats`` runs each.

The period ends on the day of the newest complaint, so that the windows hold data. Without
--database-url it uses a fresh SQLite file; a PostgreSQL URL given with --generate has its
public schema emptied first.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import Engine, func, insert, select, text, update
from sqlalchemy.orm import Session

from kesu.accounts.models import Department
from kesu.analytics import queries, service
from kesu.analytics.models import ComplaintDayCount, ComplaintDayStat
from kesu.complaints.models import Complaint, TimelineEvent
from kesu.core.i18n import Language
from kesu.customers.models import Customer
from kesu.db import migrate, registry
from kesu.db.engine import make_engine, make_session_factory
from kesu.escalation.models import EscalationRecord
from kesu.followup.models import FollowUpVisit
from kesu.sla.models import SlaClock
from kesu.text.classify import CATEGORIES

CHANNELS = {"web": 30, "app": 20, "phone": 25, "ecommerce": 10, "chat": 6, "email": 3,
            "social": 3, "counter": 1.5, "onsite": 0.5, "letter": 0.3, "regulator": 0.7}  # fmt: skip
REGIONS = ("北京市朝阳区", "上海市浦东新区", "天津市南开区", "重庆市渝中区", "广东省广州市天河区",
           "广东省深圳市南山区", "浙江省杭州市西湖区", "浙江省宁波市鄞州区", "江苏省南京市鼓楼区",
           "江苏省苏州市姑苏区", "山东省济南市历下区", "山东省青岛市市南区", "河南省郑州市金水区",
           "四川省成都市武侯区", "湖北省武汉市江汉区", "湖南省长沙市岳麓区", "福建省厦门市思明区",
           "河北省石家庄市长安区", "陕西省西安市雁塔区", "安徽省合肥市蜀山区", "辽宁省沈阳市和平区",
           "江西省南昌市东湖区", "广西壮族自治区南宁市青秀区", "云南省昆明市五华区",
           "黑龙江省哈尔滨市南岗区", "吉林省长春市朝阳区", "山西省太原市小店区", "贵州省贵阳市云岩区",
           "内蒙古自治区呼和浩特市新城区", "新疆维吾尔自治区乌鲁木齐市天山区", "甘肃省兰州市城关区",
           "海南省海口市美兰区", "宁夏回族自治区银川市兴庆区", "青海省西宁市城东区", "西藏自治区拉萨市城关区")  # fmt: skip
# (younger than days, {status: weight}) as in bench/datagen.py: recent complaints are open.
STATUS_BY_AGE = (
    (3, {"received": 40, "triaged": 25, "assigned": 25, "investigating": 10}),
    (15, {"investigating": 20, "carrying_out": 15, "waiting_customer": 8, "resolved": 25,
          "follow_up": 20, "rejected": 7, "withdrawn": 5}),
    (60, {"closed": 60, "follow_up": 10, "resolved": 5, "reopened": 3, "rejected": 10,
          "withdrawn": 7, "investigating": 5}),
    (10**6, {"archived": 70, "closed": 15, "rejected": 7, "withdrawn": 6, "reopened": 2}),
)  # fmt: skip
RESOLVED = {"resolved", "follow_up", "closed", "archived"}
DEPARTMENTS = ("客户服务中心", "质量管理部", "储运部", "财务部", "销售部", "售后服务部", "市场部",
               "法务部", "华东大区", "华南大区", "华北大区", "西南大区")  # fmt: skip
BATCH = 5_000


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _fresh(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def generate(engine: Engine, count: int, seed: int, end: datetime, days: int = 730) -> None:
    """``count`` complaints over the ``days`` up to ``end``, with what happened to them."""
    rng = random.Random(seed)
    registry.metadata()
    with engine.begin() as connection:
        departments = [
            connection.execute(
                insert(Department).values(code=f"D{n:02d}", name=name).returning(Department.id)
            ).scalar_one()
            for n, name in enumerate(DEPARTMENTS)
        ]
        customers = max(count * 4 // 5, 1)
        for batch in _batches(
            {
                "name": "客户",
                "phone": f"139{n:08d}",
                "tags": [],
                "created_at": end,
                "updated_at": end,
            }
            for n in range(customers)
        ):
            connection.execute(insert(Customer), batch)
        first_customer = connection.scalar(select(func.min(Customer.id))) or 1
    span = timedelta(days=days).total_seconds()
    # Newest first is not required; sorted receipt times keep ids in time order as in life.
    moments = sorted(end - timedelta(seconds=rng.random() ** 0.8 * span) for _ in range(count))
    with engine.begin() as connection:
        next_id = (connection.scalar(select(func.max(Complaint.id))) or 0) + 1
    for start in range(0, count, BATCH):
        complaints, clocks, visits, records, events = [], [], [], [], []
        for offset, received in enumerate(moments[start : start + BATCH]):
            cid = next_id + start + offset
            age = (end - received).days
            status = _weighted(rng, next(w for limit, w in STATUS_BY_AGE if age < limit))
            assigned = status not in {"received", "triaged", "rejected", "withdrawn"}
            escalated = rng.random() < 0.06
            complaints.append(
                {
                    "id": cid,
                    "tracking_number": f"BENCH-{cid:010d}",
                    "status": status,
                    "version": 1,
                    "customer_id": first_customer + rng.randrange(customers),
                    "complainant_name": "客户",
                    "contact_phone": None,
                    "channel": _weighted(rng, CHANNELS),
                    "region": rng.choice(REGIONS) if rng.random() < 0.93 else None,
                    "target_type": "product",
                    "target": "澜泉 JSQ25-12 燃气热水器",
                    "description": "水温忽冷忽热，售后一直没人上门。",
                    "demands": ["repair"],
                    "received_at": received,
                    "updated_at": received,
                    "category": rng.choice(CATEGORIES) if rng.random() < 0.97 else None,
                    "priority": rng.choice(("P1", "P2", "P3", "P4")),
                    "escalation_level": int(escalated),
                    "special_attention": False,
                    "department_id": rng.choice(departments) if assigned else None,
                    "registered_by": "system",
                }
            )
            responded = received + timedelta(minutes=rng.randint(5, 40 * 60))
            fr_breached = responded - received > timedelta(hours=24)
            clocks.append(
                {
                    "complaint_id": cid,
                    "kind": "first_response",
                    "policy_name": "默认 P3",
                    "clock_type": "calendar",
                    "warn_before_minutes": 240,
                    "started_at": received,
                    "due_at": received + timedelta(hours=24),
                    "state": "stopped" if status != "received" else "running",
                    "breached_at": received + timedelta(hours=24) if fr_breached else None,
                    "met_at": responded if status != "received" else None,
                }
            )
            finished = received + timedelta(hours=rng.randint(2, 24 * 20))
            rs_breached = finished - received > timedelta(days=14)
            done = status in RESOLVED or status in {"rejected", "withdrawn"}
            clocks.append(
                {
                    "complaint_id": cid,
                    "kind": "resolution",
                    "policy_name": "默认 P3",
                    "clock_type": "working",
                    "warn_before_minutes": 240,
                    "started_at": received,
                    "due_at": received + timedelta(days=14),
                    "state": "stopped" if done else "running",
                    "breached_at": received + timedelta(days=14) if rs_breached and done else None,
                    "met_at": finished if done else None,
                }
            )
            if status in RESOLVED and rng.random() < 0.6:
                visits.append(
                    {
                        "complaint_id": cid,
                        "scheduled_at": finished,
                        "done_at": finished + timedelta(days=1),
                        "csat": rng.choice((1, 2, 3, 4, 4, 5, 5, 5)),
                        "nps": rng.randint(0, 10),
                        "channel": "call",
                    }
                )
            if escalated:
                records.append(
                    {
                        "complaint_id": cid,
                        "from_level": 0,
                        "to_level": 1,
                        "trigger": "breach",
                        "actor": "system",
                        "at": received + timedelta(days=1),
                    }
                )
            events.append(
                {
                    "complaint_id": cid,
                    "at": received,
                    "kind": "registered",
                    "actor": "system",
                    "actor_name": "系统",
                    "to_status": "received",
                    "data": {},
                    "is_public": True,
                }
            )
            if status == "reopened":
                events.append(
                    {
                        "complaint_id": cid,
                        "at": finished,
                        "kind": "status_changed",
                        "actor": "system",
                        "actor_name": "系统",
                        "from_status": "follow_up",
                        "to_status": "reopened",
                        "data": {},
                        "is_public": True,
                    }
                )
        with engine.begin() as connection:
            for model, rows in (
                (Complaint, complaints),
                (SlaClock, clocks),
                (FollowUpVisit, visits),
                (EscalationRecord, records),
                (TimelineEvent, events),
            ):
                if rows:
                    connection.execute(insert(model), rows)
        print(f"\r  generated {min(start + BATCH, count):,} complaints", end="", file=sys.stderr)
    print(file=sys.stderr)
    if engine.dialect.name == "postgresql":
        # Rows were given ids: move the sequence past them for the rows added later.
        with engine.begin() as connection:
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('complaint', 'id'), max(id)) FROM complaint"
                )
            )
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("ANALYZE")
        else:
            connection.execute(text("ANALYZE"))
            connection.commit()


def touch(engine: Engine, count: int, seed: int, now: datetime) -> None:
    """Move ``count`` random complaints to a new status, each with its timeline event."""
    rng = random.Random(seed + 1)
    with engine.begin() as connection:
        top = connection.scalar(select(func.max(Complaint.id))) or 0
        chosen = sorted({rng.randint(1, top) for _ in range(count)})
        connection.execute(
            update(Complaint)
            .where(Complaint.id.in_(chosen))
            .values(status="closed", updated_at=now)
        )
        connection.execute(
            insert(TimelineEvent),
            [
                {
                    "complaint_id": cid,
                    "at": now,
                    "kind": "status_changed",
                    "actor": "system",
                    "actor_name": "系统",
                    "to_status": "closed",
                    "data": {},
                    "is_public": True,
                }
                for cid in chosen
            ],
        )


@dataclass(frozen=True)
class Question:
    name: str
    days: int
    department: bool = False
    category: bool = False
    scoped: bool = False


QUESTIONS = (
    Question("30 days", 30),
    Question("90 days", 90),
    Question("1 year", 365),
    Question("3 years", 1096),
    Question("30 days, one department", 30, department=True),
    Question("1 year, one category", 365, category=True),
    Question("1 year, department + category", 365, department=True, category=True),
    Question("1 year, department-scoped handler", 365, scoped=True),
)


def _timed(action: Callable[[], object], repeats: int) -> list[float]:
    action()  # warm: the first run reads pages from disk and fills caches
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _p(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url")
    parser.add_argument("--generate", type=int, default=0, help="Synthetic complaints to insert.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--days",
        type=int,
        default=730,
        help="Days the generated complaints span (fewer: a million's daily density from fewer rows).",
    )
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--full", action="store_true", help="Recount the rollup even if filled.")
    parser.add_argument("--touch", type=int, default=0, help="Complaints to change, then refresh.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        engine = make_engine(url)
        registry.metadata()
        now = datetime.now(UTC)
        if args.generate:
            _fresh(engine)
            started = time.perf_counter()
            generate(engine, args.generate, args.seed, now, args.days)
            print(
                f"generated {args.generate:,} complaints in {time.perf_counter() - started:.1f} s"
            )
        elif not migrate.is_up_to_date(engine):
            sys.exit("the database schema is not current: run `kesu db upgrade`")
        sessions = make_session_factory(engine)
        with sessions() as session:
            run(session, engine, args, now)
        engine.dispose()


def run(session: Session, engine: Engine, args: argparse.Namespace, now: datetime) -> None:
    total = session.scalar(select(func.count()).select_from(Complaint)) or 0
    newest = session.scalar(select(func.max(Complaint.received_at)))
    if newest is None:
        sys.exit("no complaints: give --generate N")
    print(
        f"python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, "
        f"{engine.dialect.name} {'.'.join(map(str, engine.dialect.server_version_info or ()))}, "
        f"{platform.machine()}; {total:,} complaints"
    )
    stat_rows = session.scalar(select(func.count()).select_from(ComplaintDayStat)) or 0
    if args.full or stat_rows == 0 or args.generate:
        started = time.perf_counter()
        result = service.refresh(session, now=now, full=True)
        elapsed = time.perf_counter() - started
        print(f"full refresh: {len(result.days):,} days in {elapsed:.1f} s")
    else:
        result = service.refresh(session, now=now)
        print(f"catch-up refresh: {len(result.days):,} days")
    session.rollback()
    stat_rows = session.scalar(select(func.count()).select_from(ComplaintDayStat)) or 0
    count_rows = session.scalar(select(func.count()).select_from(ComplaintDayCount)) or 0
    print(f"rollup rows: {stat_rows:,} day stats, {count_rows:,} day counts")
    if args.touch:
        touch(engine, args.touch, args.seed, now)
        started = time.perf_counter()
        result = service.refresh(session, now=now)
        elapsed = time.perf_counter() - started
        print(
            f"incremental refresh after {args.touch:,} changed complaints: "
            f"{result.mark.events:,} events, {len(result.days):,} days in {elapsed * 1000:.0f} ms"
        )
    session.rollback()
    today = service.china_day(newest)
    department = session.scalar(
        select(ComplaintDayStat.department_id)
        .where(ComplaintDayStat.department_id > 0, ComplaintDayStat.category == "*")
        .group_by(ComplaintDayStat.department_id)
        .order_by(func.sum(ComplaintDayStat.complaints).desc())
        .limit(1)
    )
    print(f"period ends {today}; {args.repeats} repeats after one warm-up run")
    print("| question | complaints | p50 ms | p99 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for question in QUESTIONS:
        if (question.department or question.scoped) and department is None:
            continue
        filters = queries.Filters(
            start=today - timedelta(days=question.days - 1),
            end=today,
            department_id=department if question.department else None,
            category="logistics" if question.category else None,
            scope=frozenset({department}) if question.scoped and department else None,
        )

        def ask(filters: queries.Filters = filters) -> int:
            summary = queries.summary(session, filters, Language.ZH)
            session.rollback()  # each question in its own read, as a web request would be
            return summary.current.complaints

        complaints = ask()
        times = _timed(ask, args.repeats)
        print(
            f"| {question.name} | {complaints:,} | {statistics.median(times):.1f} | "
            f"{_p(times, 0.99):.1f} | {max(times):.1f} |"
        )


if __name__ == "__main__":
    main()
