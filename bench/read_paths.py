"""Read paths at N complaints: the staff queue, filters, detail pages and search over HTTP.

    python bench/read_paths.py [--count 10000] [--requests 200] [--warmup 20] [--seed 1]
                               [--database-url URL] [--data-dir DIR] [--upgrade-from 0013]
                               [--markdown PATH]

1. ``bench/datagen.py`` writes N complaints (seeded; two years up to today, China time, unless
   ``--end`` pins the last day) and the sidecar of exact needle counts.
2. ``kesu import complaints`` (a subprocess, as an operator runs it) imports them into a fresh
   database: an SQLite file, or the PostgreSQL database of ``--database-url``, whose public schema
   is dropped first. Statuses the importer refuses by design (a case in a department's hands:
   assigned … follow-up) are written as ``received``, as ``bench/bulk_import.py`` does.
3. Live work the importer cannot bring: departments and handlers are created through the accounts
   service; every complaint the generator had past triage gets a department (by category) and a
   handler, and its generated status back; every open complaint gets its first-response and
   resolution clocks with the default SLA terms. These are bulk UPDATEs and INSERTs (not a product
   path; timed apart), so that the department and deadline filters have rows to find.
4. ``kesu db upgrade`` on the populated database, timed: by default the migrations after
   ``--upgrade-from`` (0013: the search-index backfill and the analytics rollup) are rolled back
   first and applied again over the N complaints; ``--upgrade-from head`` times the no-op.
   On PostgreSQL the script then runs ANALYZE, as autovacuum does within minutes of a bulk load
   (without statistics the planner sorts whole tables for a filtered page); SQLite is left as
   kesu leaves it, without statistics.
5. ``kesu serve`` (one web process, its embedded worker on, loopback) answers one client with one
   keep-alive connection, one request at a time: after ``--warmup`` requests, ``--requests`` each
   of the API list (unfiltered, by an open status and by a large closed one, category, priority,
   department, overdue deadline, a combination, keyset page 2), the /agent queue page (signed in
   with a session cookie), detail
   (API and page, random ids) and full-text search (the generator's needles, a common word and a
   word that never occurs). p50 / p99 / max per measure, beside the targets (list, detail and
   queue p99 under 20 ms, search under 50 ms: reported, not asserted), and the peak resident
   memory of the server.
6. Search correctness: every result of each rare needle is fetched page by page (``before_id``)
   and the total compared with the count the generator recorded for what kesu searches — the
   description folded from Traditional to Simplified script, and the subject (``target``). The
   script exits with status 1 if a count differs.

``--data-dir DIR`` keeps the files (the SQLite database is DIR/kesu.sqlite3), e.g. for
``bench/dashboard.py`` to run on the same database afterwards (``bench/suite.py`` does).
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import math
import os
import pickle
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import datagen
from common import (
    RssSampler,
    describe_machine,
    dialect_of,
    fresh_database,
    load_average,
    markdown_table,
    number,
    percentile,
    write_section,
)
from http_intake import HOST, serving
from sqlalchemy import (
    Engine,
    bindparam,
    case,
    func,
    insert,
    make_url,
    select,
    text,
    update,
)

from kesu import bootstrap
from kesu.accounts import service as accounts
from kesu.accounts.models import Role, TokenKind
from kesu.complaints.lifecycle import CATEGORY, Status, StatusCategory
from kesu.complaints.models import Complaint
from kesu.db import migrate
from kesu.db.engine import make_engine
from kesu.intake import bulk
from kesu.intake.models import IntakeRequest
from kesu.settings import Settings
from kesu.sla.calendar import BusinessCalendar, deadline
from kesu.sla.models import SlaClock
from kesu.sla.service import DEFAULT_TERMS, ClockState

LIST = "/api/v1/complaints"
PAGE = 200
"""Rows per page when fetching every search result (the API's largest page)."""
TARGET_MS = {"list": 20.0, "detail": 20.0, "queue": 20.0, "search": 50.0, "floor": math.inf}
JSON = "application/json"
FLOOR_BODY = json.dumps(
    {"text": "燃气热水器漏水，客服态度很差，要求退款。" * 10}, ensure_ascii=False
).encode()
"""The HTTP floor's request: the same server's echo endpoint (no sign-in, no database) with a
complaint-sized JSON body, so every figure can be read against what the machine did meanwhile."""
COMMON_WORD = "退款"
ABSENT_WORD = "量子纠缠"
SEARCHED = ("漏水", "燃气热水", "客服态度", COMMON_WORD, ABSENT_WORD)
"""Measured for latency: the 2-character needle, both 4-character needles, a common word and
a word no complaint holds."""
CHECKED = ("漏水", "燃气热水", "客服态度", ABSENT_WORD)
"""Counted page by page against the generator's own count."""
CATEGORY_FILTER = "logistics"
PASSWORD = "read-paths-benchmark"
EXTERNAL_PREFIX = "R"
# Who handles what once triaged: a department per category, two handlers each.
DEPARTMENTS = {
    "CS": ("客户服务中心", ("service_attitude", "communication", "other")),
    "QA": ("质量管理部", ("product_quality", "safety")),
    "LOG": ("储运部", ("logistics",)),
    "FIN": ("财务部", ("billing_refund",)),
    "MKT": ("市场部", ("misinformation",)),
    "LAW": ("法务部", ("privacy",)),
}
HANDLERS_PER_DEPARTMENT = 2
FIRST_RESPONSE_PENDING = {Status.RECEIVED, Status.TRIAGED, Status.APPEALED}
HANDLED_ON_IMPORT = (Status.RESOLVED, Status.CLOSED, Status.ARCHIVED, Status.REOPENED)
"""Importable statuses of complaints that went through a department."""
BATCH = 5000


# --- the data --------------------------------------------------------------------------------


@dataclass
class Prepared:
    import_file: Path
    sidecar: dict[str, Any]
    statuses: list[str]
    """The generator's status of each row, in file order (external ids R00000000 …)."""
    target_only: Counter[str]
    """Rows holding a checked word in the subject but not in the folded description."""
    generate_seconds: float


def prepare(data_dir: Path, count: int, seed: int, end: datetime) -> Prepared:
    """The generated CSV (and its sidecar), rewritten as an import file with external ids."""
    raw = data_dir / "generated.csv"
    started = time.perf_counter()
    sidecar = datagen.write_csv(raw, count, seed, end - timedelta(days=730), end)
    generate_seconds = time.perf_counter() - started
    importable = {status.value for status in bulk.IMPORTABLE_STATUSES}
    statuses: list[str] = []
    target_only: Counter[str] = Counter()
    path = data_dir / "import.csv"
    with (
        raw.open(encoding="utf-8", newline="") as source,
        path.open("w", encoding="utf-8", newline="") as out,
    ):
        reader = csv.DictReader(source)
        writer = csv.writer(out)
        writer.writerow(["external_id", *datagen.COLUMNS])
        for number_, record in enumerate(reader):
            statuses.append(record["status"])
            if record["status"] not in importable:
                record["status"] = "received"
            for word in CHECKED:
                description = record["description"]
                if (
                    word in record["target"]
                    and word not in description
                    and word not in datagen.simplified(description)
                ):
                    target_only[word] += 1
            writer.writerow(
                [f"{EXTERNAL_PREFIX}{number_:08d}", *(record[name] for name in datagen.COLUMNS)]
            )
    raw.unlink()  # the sidecar stays: datagen.sidecar_path(raw)
    return Prepared(path, sidecar, statuses, target_only, generate_seconds)


def expected_matches(prepared: Prepared, word: str) -> int:
    """What kesu should find: the sidecar's folded-description count plus the rows that hold
    the word only in their subject."""
    folded = int(prepared.sidecar["needles"][word]["description_simplified"])
    return folded + prepared.target_only[word]


# --- kesu as an operator runs it ------------------------------------------------------------


def kesu_command() -> list[str]:
    script = Path(sys.executable).with_name("kesu")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from kesu.cli.main import main; main()"]


def kesu_environment(data_dir: Path, url: str) -> dict[str, str]:
    # Only this run's settings: a KESU_* variable of the caller's shell must not change it.
    env = {key: value for key, value in os.environ.items() if not key.startswith("KESU_")}
    env.update(KESU_DATA_DIR=str(data_dir), KESU_DATABASE_URL=url)
    return env


def run_kesu(arguments: Sequence[str], data_dir: Path, url: str) -> tuple[float, str]:
    """Seconds and standard output of one ``kesu`` command; raises if it fails."""
    started = time.perf_counter()
    done = subprocess.run(
        [*kesu_command(), *arguments],
        env=kesu_environment(data_dir, url),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"kesu {' '.join(arguments)} failed ({done.returncode}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return seconds, done.stdout


@dataclass
class Imported:
    rows: int
    seconds: float
    """Wall time of the command, process start included."""
    reported_rate: float
    """Rows per second as the importer reports them (its own checking and writing)."""


def import_complaints(path: Path, data_dir: Path, url: str, expected: int) -> Imported:
    seconds, output = run_kesu(["import", "complaints", str(path)], data_dir, url)
    imported = re.search(r"imported ([\d,]+)", output)
    rate = re.search(r"([\d,.]+) 行/s rows/s", output)
    if imported is None or rate is None:
        raise RuntimeError(f"unexpected output of kesu import complaints: {output!r}")
    rows = int(imported.group(1).replace(",", ""))
    if rows != expected:
        raise RuntimeError(f"expected {expected:,} rows imported: {output}")
    return Imported(rows, seconds, float(rate.group(1).replace(",", "")))


@dataclass
class LiveWork:
    seconds: float
    departments: dict[str, int]
    handled: int
    """Complaints given a department and a handler."""
    clocks: int
    overdue: int
    """Complaints with a running clock past its deadline now."""


def add_live_work(kesu: bootstrap.Kesu, engine: Engine, statuses: Sequence[str]) -> LiveWork:
    """Departments, handlers, assignments, generated statuses and SLA clocks (see step 3)."""
    started = time.perf_counter()
    departments: dict[str, int] = {}
    handlers: dict[str, list[int]] = {}
    department_of_category: dict[str, str] = {}
    with kesu.sessions() as session:
        for code, (name, categories) in DEPARTMENTS.items():
            department = accounts.create_department(session, code=code, name=name, clock=kesu.clock)
            departments[code] = department.id
            department_of_category.update(dict.fromkeys(categories, code))
            handlers[code] = [
                accounts.create_user(
                    session,
                    username=f"handler-{code.lower()}-{n}",
                    display_name=f"{name}处理人{n}",
                    role=Role.HANDLER,
                    password=PASSWORD,
                    clock=kesu.clock,
                    department_id=department.id,
                ).id
                for n in range(1, HANDLERS_PER_DEPARTMENT + 1)
            ]
    with engine.begin() as connection:
        # Complaints imported in a status past triage (resolved, closed, …): set-based.
        for code, (_name, categories) in DEPARTMENTS.items():
            first, second = handlers[code]
            connection.execute(
                update(Complaint)
                .where(
                    Complaint.category.in_(categories),
                    Complaint.status.in_([status.value for status in HANDLED_ON_IMPORT]),
                )
                .values(
                    department_id=departments[code],
                    assignee_id=case((Complaint.id % 2 == 0, first), else_=second),
                )
            )
    # Complaints in a department's hands (imported as received) and open ones: row by row.
    wanted = {
        n: Status(generated)
        for n, generated in enumerate(statuses)
        if Status(generated) not in bulk.IMPORTABLE_STATUSES or _clocked(Status(generated))
    }
    facts: dict[int, tuple[Status, str | None, str | None, datetime]] = {}
    keys = [f"import:ext:{EXTERNAL_PREFIX}{n:08d}" for n in wanted]
    with engine.connect() as connection:
        for start in range(0, len(keys), BATCH):
            chunk = keys[start : start + BATCH]
            for row in connection.execute(
                select(
                    IntakeRequest.idempotency_key,
                    Complaint.id,
                    Complaint.category,
                    Complaint.priority,
                    Complaint.received_at,
                )
                .join(Complaint, Complaint.id == IntakeRequest.complaint_id)
                .where(IntakeRequest.idempotency_key.in_(chunk))
            ):
                number_ = int(row.idempotency_key.removeprefix(f"import:ext:{EXTERNAL_PREFIX}"))
                facts[row.id] = (wanted[number_], row.category, row.priority, row.received_at)
    rng = random.Random(7)
    changes: list[dict[str, Any]] = []
    clocks: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    calendar = BusinessCalendar()
    overdue = 0
    for complaint_id, (status, category, priority, received) in sorted(facts.items()):
        if status not in bulk.IMPORTABLE_STATUSES:
            code = department_of_category.get(category or "other", "CS")
            changes.append(
                {
                    "cid": complaint_id,
                    "new_status": status.value,
                    "department": departments[code],
                    "assignee": rng.choice(handlers[code]),
                }
            )
        if not _clocked(status):
            continue
        terms = DEFAULT_TERMS.get(priority or "P4", DEFAULT_TERMS["P4"])
        first_due = deadline(received, terms.first_response, calendar, terms.first_response_clock)
        resolution_due = deadline(received, terms.resolution, calendar, terms.clock_type)
        answered = status not in FIRST_RESPONSE_PENDING
        paused = status is Status.WAITING_CUSTOMER
        late = False
        for kind, due, clock_type, state in (
            (
                "first_response",
                first_due,
                terms.first_response_clock,
                ClockState.STOPPED if answered else ClockState.RUNNING,
            ),
            (
                "resolution",
                resolution_due,
                terms.clock_type,
                ClockState.PAUSED if paused else ClockState.RUNNING,
            ),
        ):
            stopped = state is ClockState.STOPPED
            # The deadline job of a live clock would have marked it breached by now.
            breached = due if not stopped and due <= now else None
            late = late or (state is ClockState.RUNNING and due <= now)
            clocks.append(
                {
                    "complaint_id": complaint_id,
                    "kind": kind,
                    "policy_name": terms.name,
                    "clock_type": clock_type.value,
                    "warn_before_minutes": int(terms.warn_before.total_seconds() // 60),
                    "compensation_voucher": None,
                    "started_at": received,
                    "due_at": due,
                    "state": state.value,
                    "remaining_seconds": 3600 if state is ClockState.PAUSED else None,
                    "paused_at": now - timedelta(hours=2) if state is ClockState.PAUSED else None,
                    "warned_at": None,
                    "breached_at": breached,
                    "met_at": min(due, received + timedelta(hours=1)) if stopped else None,
                }
            )
        overdue += late
    statement = (
        update(Complaint)
        .where(Complaint.id == bindparam("cid"))
        .values(
            status=bindparam("new_status"),
            department_id=bindparam("department"),
            assignee_id=bindparam("assignee"),
        )
    )
    with engine.begin() as connection:
        for start in range(0, len(changes), BATCH):
            connection.execute(statement, changes[start : start + BATCH])
        for start in range(0, len(clocks), BATCH):
            connection.execute(insert(SlaClock), clocks[start : start + BATCH])
        handled = connection.execute(
            select(func.count()).select_from(Complaint).where(Complaint.department_id.is_not(None))
        ).scalar_one()
    return LiveWork(time.perf_counter() - started, departments, handled, len(clocks), overdue)


def _clocked(status: Status) -> bool:
    """Open complaints have live clocks; resolved ones wait for the customer's verdict."""
    return CATEGORY[status] is not StatusCategory.DONE and status not in {
        Status.RESOLVED,
        Status.FOLLOW_UP,
    }


@dataclass
class Upgrade:
    seconds: float
    reapplied: str


def time_upgrade(engine: Engine, data_dir: Path, url: str, from_revision: str) -> Upgrade:
    """``kesu db upgrade`` on the populated database, after rolling back to ``from_revision``."""
    head = migrate.current(engine)
    if from_revision != "head":
        migrate.downgrade(engine, from_revision)
    seconds, _output = run_kesu(["db", "upgrade"], data_dir, url)
    if not migrate.is_up_to_date(engine):
        raise RuntimeError("kesu db upgrade left the schema behind")
    reapplied = "none (already current)" if from_revision == "head" else f"{from_revision} → {head}"
    return Upgrade(seconds, reapplied)


def analyse(engine: Engine) -> float | None:
    """Seconds of VACUUM ANALYZE on PostgreSQL, which autovacuum (on by default; off on some
    benchmark machines) does within minutes of a bulk load or of a migration that rewrites rows:
    without statistics the planner guesses 100 rows for every filter and sorts whole tables, and
    without a vacuum every index-only scan visits the heap and steps over dead rows. SQLite is
    left as kesu leaves it (kesu never runs ANALYZE there)."""
    if engine.dialect.name != "postgresql":
        return None
    started = time.perf_counter()
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


@dataclass
class Staff:
    username: str
    token: str
    max_id: int
    min_id: int


def create_staff(kesu: bootstrap.Kesu, engine: Engine, department_id: int) -> Staff:
    with kesu.sessions() as session:
        user = accounts.create_user(
            session,
            username="reader",
            display_name="读取基准",
            role=Role.SUPERVISOR,
            password=PASSWORD,
            clock=kesu.clock,
            department_id=department_id,
        )
        token = accounts.issue_token(
            session, user=user, kind=TokenKind.API, label="read-paths", clock=kesu.clock
        )
    with engine.connect() as connection:
        low, high = connection.execute(select(func.min(Complaint.id), func.max(Complaint.id))).one()
    return Staff(user.username, token, int(high), int(low))


# --- requests ---------------------------------------------------------------------------------


class Client:
    """One keep-alive connection, one request at a time."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.port = port
        self.headers = headers
        self.connection = http.client.HTTPConnection(HOST, port, timeout=120)

    def reconnect(self) -> None:
        """A new connection: the server closes one left idle for a few seconds (keep-alive
        timeout), so each measure opens its own and its warm-up pays for the handshake."""
        self.connection.close()
        self.connection = http.client.HTTPConnection(HOST, self.port, timeout=120)

    def get(self, path: str, body: bytes | None = None) -> tuple[float, bytes]:
        """GET ``path``, or POST ``body`` as JSON to it."""
        method = "GET" if body is None else "POST"
        headers = self.headers if body is None else {**self.headers, "Content-Type": JSON}
        began = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        answer = response.read()
        seconds = time.perf_counter() - began
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status} {answer[:300]!r}")
        return seconds, answer

    def close(self) -> None:
        self.connection.close()


def session_cookie(port: int, username: str) -> str:
    """Sign in through the login form; the session cookie it sets."""
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    body = urlencode({"username": username, "password": PASSWORD, "next": "/agent"})
    connection.request(
        "POST", "/login", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    cookie = response.getheader("set-cookie") or ""
    if response.status != 303 or not cookie:
        raise RuntimeError(f"sign-in failed: {response.status}")
    return cookie.split(";", 1)[0]


@dataclass
class Measure:
    name: str
    kind: str
    """list, detail, queue or search: which target applies."""
    paths: list[str]
    page: bool = False
    """A page (session cookie) rather than the API (bearer token)."""
    latencies: list[float] = field(default_factory=list)
    rows: str = ""
    """Rows on the first answer (API) or its size (page)."""
    body: bytes | None = None
    """A JSON body to POST instead of a GET (the HTTP floor)."""

    def ms(self, share: float) -> float:
        return percentile(self.latencies, share) * 1000

    @property
    def target(self) -> float:
        return TARGET_MS[self.kind]


def api(**query: str | int) -> str:
    return f"{LIST}?{urlencode(query)}" if query else LIST


def plan(staff: Staff, department_id: int, page_two_before: int, count: int) -> list[Measure]:
    rng = random.Random(11)
    ids = [rng.randint(staff.min_id, staff.max_id) for _ in range(count)]
    return [
        Measure("HTTP floor: POST /api/v1/echo", "floor", ["/api/v1/echo"], body=FLOOR_BODY),
        Measure("API list, no filter", "list", [api()]),
        Measure("API list, status=received", "list", [api(status="received")]),
        Measure("API list, status=closed (a large status)", "list", [api(status="closed")]),
        Measure(f"API list, category={CATEGORY_FILTER}", "list", [api(category=CATEGORY_FILTER)]),
        Measure("API list, priority=P1", "list", [api(priority="P1")]),
        Measure("API list, department_id (储运部)", "list", [api(department_id=department_id)]),
        Measure("API list, sla=overdue", "list", [api(sla="overdue")]),
        Measure(
            f"API list, status=received + category={CATEGORY_FILTER}",
            "list",
            [api(status="received", category=CATEGORY_FILTER)],
        ),
        Measure("API list, keyset page 2 (before_id)", "list", [api(before_id=page_two_before)]),
        Measure("/agent queue page, no filter", "queue", ["/agent"], page=True),
        Measure("/agent queue page, status=received", "queue", ["/agent?status=received"], True),
        Measure("API detail, random ids", "detail", [f"{LIST}/{i}" for i in ids]),
        Measure(
            "/agent/complaints/{id} page, random ids",
            "detail",
            [f"/agent/complaints/{i}" for i in ids],
            page=True,
        ),
        *(Measure(f"API search q={word}", "search", [api(q=word)]) for word in SEARCHED),
    ]


def run_measure(client: Client, measure: Measure, requests: int, warmup: int) -> None:
    paths = measure.paths
    client.reconnect()
    for n in range(warmup):
        client.get(paths[n % len(paths)], measure.body)
    for n in range(requests):
        seconds, body = client.get(paths[(warmup + n) % len(paths)], measure.body)
        measure.latencies.append(seconds)
        if n == 0:
            answer = None if measure.page or measure.body else json.loads(body)
            measure.rows = (
                f"{len(body) / 1024:.0f} KiB"
                if answer is None
                else str(len(answer))
                if isinstance(answer, list)
                else "1"
            )


@dataclass
class SearchCheck:
    word: str
    expected: int
    found: int
    pages: int
    duplicates: int

    @property
    def passed(self) -> bool:
        return self.found == self.expected and self.duplicates == 0


def check_search(client: Client, word: str, expected: int) -> SearchCheck:
    """Every result of ``word``, page by page, newest first."""
    seen: set[int] = set()
    duplicates = pages = 0
    before: int | None = None
    client.reconnect()
    while True:
        query: dict[str, str | int] = {"q": word, "limit": PAGE}
        if before is not None:
            query["before_id"] = before
        _seconds, body = client.get(api(**query))
        pages += 1
        rows = json.loads(body)
        for row in rows:
            duplicates += row["id"] in seen
            seen.add(row["id"])
        if len(rows) < PAGE:
            break
        before = rows[-1]["id"]
    return SearchCheck(word, expected, len(seen), pages, duplicates)


# --- one run ----------------------------------------------------------------------------------


@dataclass
class Setup:
    """What populating a database produced, kept beside it for ``--reuse``."""

    url: str
    prepared: Prepared
    imported: Imported
    live: LiveWork
    upgrade: Upgrade
    analyse_seconds: float | None
    staff: Staff


SETUP_FILE = "setup.pickle"


def populate(args: argparse.Namespace, data_dir: Path, url: str) -> Setup:
    """Steps 1–4: generate, import, add live work, time the upgrade; a fresh database."""
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{make_url(url).database}{suffix}").unlink(missing_ok=True)
    end: datetime = args.end
    print(f"generating {args.count:,} complaints (seed {args.seed}) …", flush=True)
    prepared = prepare(data_dir, args.count, args.seed, end)
    fresh_database(url)
    print("importing with `kesu import complaints` …", flush=True)
    imported = import_complaints(prepared.import_file, data_dir, url, args.count)
    print(f"  {imported.rows:,} rows in {imported.seconds:.1f} s", flush=True)
    kesu = bootstrap.build(Settings(data_dir=data_dir, database_url=url))
    engine = make_engine(url)
    try:
        live = add_live_work(kesu, engine, prepared.statuses)
        print(
            f"live work: {live.handled:,} complaints handled, {live.clocks:,} clocks "
            f"({live.seconds:.1f} s)",
            flush=True,
        )
        upgrade = time_upgrade(engine, data_dir, url, args.upgrade_from)
        print(f"kesu db upgrade ({upgrade.reapplied}): {upgrade.seconds:.1f} s", flush=True)
        analyse_seconds = analyse(engine)
        staff = create_staff(kesu, engine, live.departments["CS"])
    finally:
        kesu.dispose()
        engine.dispose()
    return Setup(url, prepared, imported, live, upgrade, analyse_seconds, staff)


@dataclass
class Run:
    database: str
    count: int
    prepared: Prepared
    imported: Imported
    live: LiveWork
    upgrade: Upgrade
    analyse_seconds: float | None
    start_seconds: float
    measures: list[Measure]
    checks: list[SearchCheck]
    rss_mib: float
    database_mib: float | None


def run(args: argparse.Namespace, data_dir: Path) -> Run:
    url = args.database_url or f"sqlite:///{(data_dir / 'kesu.sqlite3').resolve()}"
    saved = data_dir / SETUP_FILE
    if args.reuse and saved.exists():
        # The database this data directory already holds, as a previous run left it: only the
        # serving half is measured again (after a change to the product, say).
        with saved.open("rb") as file:
            setup: Setup = pickle.load(file)  # only ever written by populate(), below
        if setup.url != url:
            raise SystemExit(f"{saved} describes {setup.url}, not {url}")
        print(f"reusing the populated database of {saved}", flush=True)
    else:
        saved.unlink(missing_ok=True)
        setup = populate(args, data_dir, url)
        with saved.open("wb") as file:
            pickle.dump(setup, file)
    prepared, imported, live, upgrade = setup.prepared, setup.imported, setup.live, setup.upgrade
    analyse_seconds, staff = setup.analyse_seconds, setup.staff
    database_mib = None
    if url.startswith("sqlite"):
        database_mib = Path(make_url(url).database or "").stat().st_size / 1024 / 1024
    started = time.perf_counter()
    with serving(data_dir, url, 1) as server, RssSampler(server.process.pid) as sampler:
        start_seconds = time.perf_counter() - started
        api_client = Client(server.port, {"Authorization": f"Bearer {staff.token}"})
        page_client = Client(server.port, {"Cookie": session_cookie(server.port, staff.username)})
        _seconds, first = api_client.get(LIST)
        page_two_before = json.loads(first)[-1]["id"]
        measures = plan(staff, live.departments["LOG"], page_two_before, args.requests)
        for measure in measures:
            run_measure(
                page_client if measure.page else api_client, measure, args.requests, args.warmup
            )
            print(
                f"  {measure.name}: p50 {measure.ms(0.5):.1f} ms, p99 {measure.ms(0.99):.1f} ms",
                flush=True,
            )
        checks = [
            check_search(api_client, word, expected_matches(prepared, word)) for word in CHECKED
        ]
        api_client.close()
        page_client.close()
        sampler.sample()
        rss = sampler.peaks.get(server.process.pid, math.nan)
    return Run(
        dialect_of(url),
        args.count,
        prepared,
        imported,
        live,
        upgrade,
        analyse_seconds,
        start_seconds,
        measures,
        checks,
        rss,
        database_mib,
    )


# --- report -----------------------------------------------------------------------------------


def latency_table(result: Run) -> str:
    floor = next((m.ms(0.5) for m in result.measures if m.kind == "floor"), math.nan)
    rows = []
    for measure in result.measures:
        p99 = measure.ms(0.99)
        bounded = math.isfinite(measure.target)
        rows.append(
            [
                measure.name,
                measure.rows,
                number(measure.ms(0.5), 1),
                number(p99, 1),
                number(measure.ms(1.0), 1),
                f"{measure.ms(0.5) / floor:.1f}",
                f"< {measure.target:.0f}" if bounded else "—",
                ("yes" if p99 < measure.target else "**no**") if bounded else "—",
            ]
        )
    return markdown_table(
        [
            "request",
            "rows / size",
            "p50 ms",
            "p99 ms",
            "max ms",
            "p50 / floor p50",
            "target p99 ms",
            "met",
        ],
        rows,
    )


def setup_table(result: Run) -> str:
    imported, live = result.imported, result.live
    rows = [
        [
            "generate (bench/datagen.py)",
            f"{result.prepared.generate_seconds:.1f}",
            f"{result.count / result.prepared.generate_seconds:,.0f} rows/s",
        ],
        [
            "`kesu import complaints` (wall, process start included)",
            f"{imported.seconds:.1f}",
            f"{imported.rows / imported.seconds:,.0f} rows/s "
            f"(importer's own figure {imported.reported_rate:,.0f} rows/s)",
        ],
        [
            "live work (bulk UPDATE/INSERT, not a product path)",
            f"{live.seconds:.1f}",
            f"{live.handled:,} handled, {live.clocks:,} clocks, {live.overdue:,} overdue",
        ],
        [
            f"`kesu db upgrade`, migrations {result.upgrade.reapplied}",
            f"{result.upgrade.seconds:.1f}",
            "",
        ],
        ["`kesu serve` until ready and idle", f"{result.start_seconds:.1f}", ""],
    ]
    if result.analyse_seconds is not None:
        rows.insert(
            4, ["VACUUM ANALYZE (as autovacuum would)", f"{result.analyse_seconds:.1f}", ""]
        )
    return markdown_table(["step", "seconds", "detail"], rows)


def search_table(result: Run) -> str:
    rows = [
        [
            check.word,
            f"{check.expected:,}",
            f"{check.found:,}",
            str(check.pages),
            "pass" if check.passed else f"**FAIL** ({check.duplicates} duplicates)",
        ]
        for check in result.checks
    ]
    return markdown_table(["word", "expected", "found", "pages", "result"], rows)


def command(args: argparse.Namespace) -> str:
    parts = [
        f"python bench/read_paths.py --count {args.count} --requests {args.requests}",
        f"--warmup {args.warmup} --seed {args.seed} --upgrade-from {args.upgrade_from}",
        f"--end {args.end.date().isoformat()}",
    ]
    if args.database_url:
        shown = make_url(args.database_url).render_as_string(hide_password=True)
        parts.append(f"--database-url {shown}")
    return " ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=10_000, help="Complaints in the database.")
    parser.add_argument("--requests", type=int, default=200, help="Measured requests per row.")
    parser.add_argument("--warmup", type=int, default=20, help="Unmeasured requests first.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--end",
        type=lambda value: datetime.fromisoformat(value).replace(tzinfo=datagen.CST),
        default=datetime.now(datagen.CST).replace(hour=0, minute=0, second=0, microsecond=0),
        help="Day of the newest complaint (default: today, China time).",
    )
    parser.add_argument(
        "--database-url", help="A PostgreSQL URL whose public schema is replaced (default SQLite)."
    )
    parser.add_argument("--data-dir", type=Path, help="Keep the files and database here.")
    parser.add_argument(
        "--upgrade-from",
        default="0013",
        help="Roll back to this revision before timing `kesu db upgrade` ('head': no roll-back).",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="With --data-dir: serve the database a previous run populated there, if any.",
    )
    parser.add_argument("--markdown", type=Path, help="Write the results as a markdown section.")
    args = parser.parse_args(argv)
    if args.reuse and not args.data_dir:
        parser.error("--reuse needs --data-dir")
    load = load_average()
    if args.data_dir:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        data_dir = args.data_dir.resolve()
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="kesu-read-bench-"))
    try:
        result = run(args, data_dir)
    finally:
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    machine = describe_machine([args.database_url] if args.database_url else [])
    size = f", database file {result.database_mib:,.0f} MiB" if result.database_mib else ""
    setup = (
        f"{result.database}, {result.count:,} complaints{size}; one client, one keep-alive "
        f"connection, sequential requests: {args.warmup} warm-up then {args.requests} measured "
        f"per row; one web process with its embedded worker; load average {load:.1f} when the "
        f"run started. Peak RSS of the server: {result.rss_mib:,.0f} MiB."
    )
    latency, steps, search = latency_table(result), setup_table(result), search_table(result)
    print(f"\n{machine}\n{setup}\n\n{steps}\n\n{latency}\n\n{search}")
    if args.markdown:
        write_section(
            args.markdown,
            f"Read paths at {result.count:,} complaints — `bench/read_paths.py`",
            [
                f"```sh\n{command(args)}\n```",
                "Complaints from `bench/datagen.py`, imported with `kesu import complaints`; "
                "departments, handlers, assignments and SLA clocks added in bulk for the "
                "complaints past triage (the importer brings none); ANALYZE on PostgreSQL (as "
                "autovacuum would); then `kesu serve` answers one client. Every detail view "
                "is also a write: it records the view of personal data in the audit chain. "
                "Targets: list, queue and detail p99 under 20 ms, search under 50 ms "
                "(reported, not asserted).",
                f"Machine: {machine}. {setup}",
                steps,
                latency,
                "Search correctness: every result of each word, page by page, against the "
                "generator's count (folded description and subject).",
                search,
            ],
        )
        print(f"markdown section written to {args.markdown}")
    failed = [check.word for check in result.checks if not check.passed]
    if failed:
        print(f"search results differ from the expected counts: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
