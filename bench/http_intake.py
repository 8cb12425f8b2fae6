"""Complaint intake over HTTP against the real server, with its HTTP floor and database floor.

    python bench/http_intake.py [--requests 2000] [--clients 16] [--repeats 3] [--workers 1 2]
                                [--database-url URL] [--markdown PATH] [--small]

Starts ``kesu serve`` (its embedded outbox worker on, as shipped) on a loopback port with a fresh
database: an SQLite file in a temporary data directory, or the PostgreSQL database of
``--database-url``, whose public schema is dropped and migrated first. A fixed number of client
threads, each with one keep-alive connection, send the same number of requests each:
- full intake: ``POST /api/v1/complaints`` with complaints from ``bench/datagen.py`` (real-sized
  Chinese texts, repeat customers) and an Idempotency-Key each. The endpoint checks the form and
  keeps it in the intake inbox (202, tracking number); the server's embedded worker registers
  it meanwhile: customer matching, triage, SLA clocks, timeline, audit chain, acknowledgement
  and outbox;
- the HTTP floor: ``POST /api/v1/echo`` with the same texts, on the same server in the same run;
- the database floor: a bare INSERT of the same complaint rows through SQLAlchemy Core in this
  process, one transaction per row, from as many threads as there are clients.
After each intake phase the script waits until the worker has registered every accepted
complaint and sent every acknowledgement, so no phase runs beside the previous one's backlog;
that wait is reported, and so is the end-to-end rate (complaints accepted in the phase over the
phase plus the wait: registered and acknowledged per second).
It prints complaints/s (median and min–max over the repeats), p50/p99 latency, the ratios
intake/echo and intake/INSERT, the server's CPU time per request (the registration work of the
worker included) and the peak resident memory of every server process. ``--markdown PATH`` writes the same as a section for docs/benchmarks.md.
More than one web process needs PostgreSQL (``kesu serve --help``); on SQLite the default is one.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import datagen
from common import (
    RssSampler,
    Summary,
    descendants,
    describe_machine,
    dialect_of,
    free_port,
    fresh_database,
    load_average,
    markdown_table,
    number,
    percentile,
    write_section,
)
from sqlalchemy import Engine, func, insert, make_url, select

from kesu.complaints.models import Complaint
from kesu.customers.models import Customer
from kesu.db.engine import make_engine
from kesu.db.models import Job, JobStatus
from kesu.intake.models import IntakeSubmission, SubmissionStatus

SEED = 20261123
HOST = "127.0.0.1"
INTAKE = "/api/v1/complaints"
ECHO = "/api/v1/echo"
DRAFT_FIELDS = (
    "complainant_name",
    "phone",
    "email",
    "channel",
    "region",
    "target_type",
    "target",
    "product_line",
    "description",
    "demands",
)
TICK = os.sysconf("SC_CLK_TCK")


# --- the server -----------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    workers: int
    worker: subprocess.Popen[bytes] | None = None
    """A separate ``kesu worker`` process (``--separate-worker``), else the embedded thread."""

    def cpu_seconds(self) -> float:
        """User + system time of the server and its processes so far (and the worker's)."""
        total = 0
        roots = [self.process.pid] + ([self.worker.pid] if self.worker else [])
        for pid in (pid for root in roots for pid in descendants(root)):
            try:
                stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / TICK

    def roles(self, peaks: dict[int, float]) -> dict[str, float]:
        """Peak RSS by role: the serve process (the web app too with one worker, and the embedded
        outbox worker unless it runs apart), the largest of the web processes and the separate
        worker process."""
        worker = self.worker.pid if self.worker else None
        roles = {"serve process": peaks.get(self.process.pid, 0.0)}
        web = [rss for pid, rss in peaks.items() if pid not in {self.process.pid, worker}]
        if web:
            roles["web process (largest)"] = max(web)
        if worker is not None:
            roles["worker process"] = peaks.get(worker, 0.0)
        return roles


def _environment(
    data_dir: Path, url: str | None, port: int, *, embedded: bool = True
) -> dict[str, str]:
    # Only this run's settings: a KESU_* variable of the caller's shell must not change it.
    env = {key: value for key, value in os.environ.items() if not key.startswith("KESU_")}
    env.update(
        KESU_DATA_DIR=str(data_dir),
        KESU_HOST=HOST,
        KESU_PORT=str(port),
        KESU_WORKER__EMBEDDED="true" if embedded else "false",
        KESU_NOTIFIER__KIND="log",
    )
    if url:
        env["KESU_DATABASE_URL"] = url
    return env


def _kesu_command() -> list[str]:
    script = Path(sys.executable).with_name("kesu")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from kesu.cli.main import main; main()"]


@contextlib.contextmanager
def serving(
    data_dir: Path, url: str | None, workers: int, *, separate_worker: bool = False
) -> Iterator[Server]:
    port = free_port()
    log = data_dir / "serve.log"
    env = _environment(data_dir, url, port, embedded=not separate_worker)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*_kesu_command(), "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole, by its id
        )
    server = Server(process, port, log, workers)
    try:
        _wait_ready(server)
        if separate_worker:  # after serve has migrated the database
            with (data_dir / "worker.log").open("wb") as out:
                server.worker = subprocess.Popen(
                    [*_kesu_command(), "worker"],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            _wait_idle(server, time.monotonic() + 120)
        yield server
    except Exception as error:
        _stop(process)
        tail = log.read_text(encoding="utf-8", errors="replace")[-6000:]
        raise RuntimeError(f"{error}\n--- end of the server log ---\n{tail}") from error
    finally:
        _stop(process)
        if server.worker is not None:
            _stop(server.worker)


def _wait_ready(server: Server, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError("kesu serve exited")
        try:
            connection = http.client.HTTPConnection(HOST, server.port, timeout=2)
            connection.request("GET", "/api/v1/health")
            response = connection.getresponse()
            body = response.read()
            connection.close()
            if response.status == 200 and json.loads(body)["status"] == "ok":
                _wait_idle(server, deadline)
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"kesu serve not ready in {timeout} s")


def _wait_idle(server: Server, deadline: float) -> None:
    """Until the server uses under a tenth of a core: the first web process answers health
    checks while the others still import and load the triage models."""
    while time.monotonic() < deadline:
        before = server.cpu_seconds()
        time.sleep(1)
        if server.cpu_seconds() - before < 0.1:
            return
    raise RuntimeError("kesu serve kept busy after starting")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    # uvicorn's web processes may outlive a supervisor killed outright.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


# --- load -----------------------------------------------------------------------------------


@dataclass
class Phase:
    """One measured phase: how many requests (or rows), how long, each one's latency."""

    count: int
    seconds: float
    latencies: list[float]
    client_cpu: float = 0.0
    server_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def latency_ms(self, share: float) -> float:
        return percentile(self.latencies, share) * 1000


def _client(
    port: int,
    path: str,
    bodies: Sequence[tuple[bytes, dict[str, str]]],
    expected: int,
    start: threading.Barrier,
    latencies: list[float],
    failures: Counter[str],
) -> None:
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    connection.connect()
    start.wait()
    for body, headers in bodies:
        began = time.perf_counter()
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as error:
            failures[repr(error)] += 1
            connection.close()  # the next request reconnects
            continue
        latencies.append(time.perf_counter() - began)
        if response.status != expected:
            failures[f"{response.status} {answer[:300].decode(errors='replace')}"] += 1
    connection.close()


def http_load(
    server: Server, path: str, bodies: Sequence[tuple[bytes, dict[str, str]]], clients: int
) -> Phase:
    """``clients`` threads share ``bodies`` evenly; the clock runs from the first request (all
    connections open) to the last answer."""
    expected = 202 if path == INTAKE else 200
    start = threading.Barrier(clients + 1)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: Counter[str] = Counter()
    threads = [
        threading.Thread(
            target=_client,
            args=(server.port, path, bodies[n::clients], expected, start, latencies[n], failures),
        )
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    cpu, server_cpu, began = time.process_time(), server.cpu_seconds(), time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"{sum(failures.values())} requests to {path} failed: {failures}")
    return Phase(
        count=len(bodies),
        seconds=seconds,
        latencies=[latency for chunk in latencies for latency in chunk],
        client_cpu=(time.process_time() - cpu) / seconds,
        server_cpu=server.cpu_seconds() - server_cpu,
    )


def wait_for_outbox(engine: Engine, timeout: float = 600) -> float:
    """Seconds until every accepted complaint is registered and no job that is already due is
    pending or running (the acknowledgements registration queued); SLA timers due later do not
    count. Failed registrations fail the benchmark."""
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        with engine.connect() as connection:
            waiting = dict(
                connection.execute(
                    select(IntakeSubmission.status, func.count())
                    .where(IntakeSubmission.status != SubmissionStatus.REGISTERED)
                    .group_by(IntakeSubmission.status)
                ).all()
            )
            due = connection.execute(
                select(func.count())
                .select_from(Job)
                .where(
                    Job.status.in_([JobStatus.PENDING, JobStatus.RUNNING]),
                    Job.run_at <= datetime.now(UTC),
                )
            ).scalar_one()
        if waiting.get(SubmissionStatus.FAILED):
            raise RuntimeError(f"{waiting[SubmissionStatus.FAILED]} registrations failed")
        if due == 0 and not waiting:
            return time.perf_counter() - began
        time.sleep(0.05)
    raise RuntimeError(f"intake or the outbox still had work after {timeout} s")


def bare_inserts(engine: Engine, rows: Sequence[datagen.Row], clients: int, run: int) -> Phase:
    """The same complaint rows, one INSERT per transaction, from ``clients`` threads."""
    now = datetime.now(UTC)
    with engine.begin() as connection:
        customer_id = connection.execute(
            insert(Customer)
            .values(name="基准", phone=f"1990000{run:04d}", tags=[], created_at=now, updated_at=now)
            .returning(Customer.id)
        ).scalar_one()
    values = [
        {
            "tracking_number": f"BENCH{run:03d}{n:09d}",
            "status": "received",
            "version": 1,
            "customer_id": customer_id,
            "complainant_name": row["complainant_name"],
            "contact_phone": row["phone"],
            "contact_email": row["email"],
            "channel": row["channel"],
            "region": row["region"],
            "target_type": row["target_type"],
            "target": row["target"],
            "product_line": row["product_line"],
            "description": row["description"],
            "demands": row["demands"],
            "received_at": now,
            "updated_at": now,
            "category": row["category"],
            "priority": row["priority"],
            "registered_by": "system",
            "escalation_level": 0,
            "special_attention": False,
        }
        for n, row in enumerate(rows)
    ]
    statement = insert(Complaint)
    start = threading.Barrier(clients + 1)

    def insert_chunk(chunk: Sequence[dict[str, Any]]) -> list[float]:
        latencies = []
        start.wait()
        for value in chunk:
            began = time.perf_counter()
            with engine.begin() as connection:
                connection.execute(statement, value)
            latencies.append(time.perf_counter() - began)
        return latencies

    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(insert_chunk, values[n::clients]) for n in range(clients)]
        start.wait()
        began = time.perf_counter()
        latencies = [latency for future in futures for latency in future.result()]
        seconds = time.perf_counter() - began
    return Phase(count=len(values), seconds=seconds, latencies=latencies)


class Customers:
    """Keeps the generated repeat customers whose earlier complaint is already committed (an
    earlier phase), and gives a fresh phone to a second complaint of the same customer within
    one phase: two first complaints of one phone at the same moment race in customer matching
    on PostgreSQL (both insert the customer; one fails with a unique violation)."""

    def __init__(self, keep_repeats: bool) -> None:
        self.keep_repeats = keep_repeats
        self.committed: set[str] = set()
        self.fresh = 0
        self.sent = 0
        self.returning = 0

    def phase(self, rows: Sequence[datagen.Row]) -> list[datagen.Row]:
        if self.keep_repeats:
            self.sent += len(rows)
            return list(rows)
        seen: set[str] = set()
        prepared = []
        for row in rows:
            contacts = {contact for contact in (row["phone"], row["email"]) if contact}
            self.sent += 1
            self.returning += bool(contacts & self.committed)
            if contacts & seen and not contacts <= self.committed:
                self.fresh += 1
                # 170 is not among the generator's prefixes: no clash with a generated phone.
                row = {**row, "phone": f"170{self.fresh:08d}", "email": None}
                contacts = {row["phone"]} if row["phone"] else set()
            seen |= contacts
            prepared.append(row)
        self.committed |= seen
        return prepared


def intake_body(row: datagen.Row, key: str) -> tuple[bytes, dict[str, str]]:
    draft = {name: row[name] for name in DRAFT_FIELDS}  # type: ignore[literal-required]
    return json.dumps(draft, ensure_ascii=False).encode(), {
        "Content-Type": "application/json",
        "Idempotency-Key": key,
    }


def echo_body(row: datagen.Row) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"text": row["description"][:5000]}, ensure_ascii=False).encode()
    return body, {"Content-Type": "application/json"}


# --- one configuration ------------------------------------------------------------------------


@dataclass
class Result:
    database: str
    workers: int
    clients: int
    echo: list[Phase] = field(default_factory=list)
    intake: list[Phase] = field(default_factory=list)
    drain: list[float] = field(default_factory=list)
    floor: list[Phase] = field(default_factory=list)
    rss: dict[str, float] = field(default_factory=dict)
    sent: int = 0
    returning: int = 0
    """Complaints sent from customers already on file (a phone or e-mail of an earlier phase)."""


def run_configuration(
    url: str | None,
    data_dir: Path,
    workers: int,
    rows: Iterator[datagen.Row],
    args: argparse.Namespace,
) -> Result:
    database_url = url or f"sqlite:///{data_dir / 'kesu.sqlite3'}"
    fresh_database(database_url)
    result = Result(dialect_of(database_url), workers, args.clients)
    engine = make_engine(database_url, pool_size=args.clients, max_overflow=0)
    key = f"bench-{os.getpid()}-{workers}"
    customers = Customers(args.keep_repeats)
    with (
        serving(data_dir, url, workers, separate_worker=args.separate_worker) as server,
        RssSampler(server.process.pid) as sampler,
        RssSampler(server.worker.pid if server.worker else server.process.pid) as worker_sampler,
    ):
        warm = customers.phase([next(rows) for _ in range(args.warmup)])
        # First requests pay for lazy work (connections, caches): keep them out of the figures.
        http_load(server, ECHO, [echo_body(row) for row in warm], args.clients)
        http_load(
            server,
            INTAKE,
            [intake_body(row, f"{key}-w{n}") for n, row in enumerate(warm)],
            args.clients,
        )
        wait_for_outbox(engine)
        for repeat in range(args.repeats):
            batch = customers.phase([next(rows) for _ in range(args.requests)])
            # Interleaved in every repeat, so drift on a shared machine hits all three alike.
            result.echo.append(
                http_load(server, ECHO, [echo_body(row) for row in batch], args.clients)
            )
            bodies = [intake_body(row, f"{key}-{repeat}-{n}") for n, row in enumerate(batch)]
            before = server.cpu_seconds()
            phase = http_load(server, INTAKE, bodies, args.clients)
            result.drain.append(wait_for_outbox(engine))
            phase.server_cpu = server.cpu_seconds() - before  # the outbox work belongs to intake
            result.intake.append(phase)
            result.floor.append(
                bare_inserts(engine, batch, args.clients, run=workers * 100 + repeat)
            )
            print(
                f"  {result.database}, {workers} web process(es), repeat {repeat + 1}: "
                f"intake {phase.rate:,.0f}/s, echo {result.echo[-1].rate:,.0f}/s, "
                f"INSERT {result.floor[-1].rate:,.0f}/s, registered and acknowledged {result.drain[-1]:.1f} s later",
                flush=True,
            )
        sampler.sample()
        worker_sampler.sample()
        result.rss = server.roles({**worker_sampler.peaks, **sampler.peaks})
    result.sent, result.returning = customers.sent, customers.returning
    engine.dispose()
    return result


# --- report -----------------------------------------------------------------------------------


def _rates(phases: Sequence[Phase]) -> Summary:
    return Summary.of([phase.rate for phase in phases])


def _end_to_end(result: Result) -> Summary:
    """Complaints of a phase over the phase plus the wait until all were registered."""
    return Summary.of(
        [
            phase.count / (phase.seconds + drain)
            for phase, drain in zip(result.intake, result.drain, strict=True)
        ]
    )


def _latency(phases: Sequence[Phase], share: float) -> str:
    return number(Summary.of([phase.latency_ms(share) for phase in phases]).median, 1)


def _ratio(top: Sequence[Phase], bottom: Sequence[Phase]) -> str:
    return f"{_rates(top).median / _rates(bottom).median:.2f}"


def throughput_table(results: Sequence[Result]) -> str:
    rows = []
    for result in results:
        rows.append(
            [
                result.database,
                str(result.workers),
                *_rates(result.intake).format(),
                *_rates(result.echo).format(),
                *_rates(result.floor).format(),
                _ratio(result.intake, result.echo),
                _ratio(result.intake, result.floor),
                number(_end_to_end(result).median),
                f"{_end_to_end(result).median / _rates(result.echo).median:.2f}",
            ]
        )
    return markdown_table(
        [
            "database",
            "web processes",
            "full intake (complaints/s)",
            "min–max",
            "echo, HTTP floor (requests/s)",
            "min–max",
            "bare INSERT, database floor (rows/s)",
            "min–max",
            "intake / echo",
            "intake / INSERT",
            "registered end to end (complaints/s)",
            "end to end / echo",
        ],
        rows,
    )


def detail_table(results: Sequence[Result]) -> str:
    rows = []
    for result in results:
        intake_cpu = Summary.of([p.server_cpu * 1000 / p.count for p in result.intake]).median
        echo_cpu = Summary.of([p.server_cpu * 1000 / p.count for p in result.echo]).median
        rows.append(
            [
                result.database,
                str(result.workers),
                f"{_latency(result.intake, 0.5)} / {_latency(result.intake, 0.99)}",
                f"{_latency(result.echo, 0.5)} / {_latency(result.echo, 0.99)}",
                f"{_latency(result.floor, 0.5)} / {_latency(result.floor, 0.99)}",
                f"{number(intake_cpu, 1)} / {number(echo_cpu, 2)}",
                number(Summary.of(result.drain).median, 1),
                " / ".join(f"{rss:.0f}" for rss in result.rss.values()),
            ]
        )
    return markdown_table(
        [
            "database",
            "web processes",
            "intake p50 / p99 (ms)",
            "echo p50 / p99 (ms)",
            "INSERT p50 / p99 (ms)",
            "server CPU per request, intake / echo (ms)",
            "registration and outbox drain after the phase (s)",
            "peak RSS, serve process / web process / worker process (MB)",
        ],
        rows,
    )


def _command(args: argparse.Namespace, databases: Sequence[str]) -> str:
    """The command line that gives these figures again (passwords masked)."""
    parts = [
        "python bench/http_intake.py",
        f"--requests {args.requests} --clients {args.clients} --repeats {args.repeats}",
        f"--warmup {args.warmup}",
    ]
    if args.workers:
        parts.append("--workers " + " ".join(map(str, args.workers)))
    for url in databases:
        shown = url if url == "sqlite" else make_url(url).render_as_string(hide_password=True)
        parts.append(f"--database-url {shown}")
    if args.keep_repeats:
        parts.append("--keep-repeats")
    if args.separate_worker:
        parts.append("--separate-worker")
    return " ".join(parts)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000, help="Per phase and repeat.")
    parser.add_argument("--clients", type=int, default=16, help="Concurrent connections.")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        help="Web processes to measure (default: 1 on SQLite, 1 and 2 on PostgreSQL).",
    )
    parser.add_argument("--warmup", type=int, default=100, help="Requests before measuring.")
    parser.add_argument(
        "--database-url",
        action="append",
        dest="databases",
        metavar="URL",
        help="`sqlite` (a fresh file; the default) or a PostgreSQL URL whose public schema is "
        "replaced; repeat to measure several in one table.",
    )
    parser.add_argument("--markdown", type=Path, help="Write the results as a markdown section.")
    parser.add_argument(
        "--small", action="store_true", help="A quick check that the benchmark still runs."
    )
    parser.add_argument(
        "--separate-worker",
        action="store_true",
        help="Run one `kesu worker` process beside `kesu serve` (embedded worker off; PostgreSQL).",
    )
    parser.add_argument(
        "--keep-repeats",
        action="store_true",
        help="Send a customer's second complaint in the same phase with the same phone.",
    )
    args = parser.parse_args(argv)
    if args.small:
        args.requests, args.repeats, args.warmup = min(args.requests, 200), 1, 20
        args.clients = min(args.clients, 8)
    databases: list[str] = args.databases or ["sqlite"]
    plan = [
        (None if url == "sqlite" else url, count)
        for url in databases
        for count in (args.workers or ([1] if url == "sqlite" else [1, 2]))
    ]
    if any(url is None and count > 1 for url, count in plan):
        print("note: several web processes on SQLite share one writer lock", file=sys.stderr)
    load = load_average()
    rows = datagen.rows(len(plan) * (args.warmup + args.repeats * args.requests), seed=SEED)
    results = []
    for url, count in plan:
        data_dir = Path(tempfile.mkdtemp(prefix="kesu-http-bench-"))
        try:
            results.append(run_configuration(url, data_dir, count, rows, args))
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)

    machine = describe_machine([url for url, _ in plan if url])
    repeat_share = sum(r.returning for r in results) / sum(r.sent for r in results)
    setup = (
        f"{args.requests:,} requests per phase × {args.repeats} repeats, {args.clients} client "
        f"connections (keep-alive, one thread each, on the same machine), after {args.warmup} "
        f"warm-up requests; {repeat_share:.0%} of the complaints come from customers already on "
        f"file; {'one separate `kesu worker` process' if args.separate_worker else 'embedded outbox worker on'}; "
        f"load average {load:.1f} when the run started."
    )
    throughput, detail = throughput_table(results), detail_table(results)
    print(f"\n{machine}\n{setup}\n\n{throughput}\n\n{detail}")
    client_cpu = max(phase.client_cpu for result in results for phase in result.echo)
    print(f"\nload generator CPU during echo: up to {client_cpu:.0%} of one core")
    if args.markdown:
        write_section(
            args.markdown,
            "Intake over HTTP — `bench/http_intake.py`",
            [
                f"```sh\n{_command(args, databases)}\n```",
                "`kesu serve` on loopback. Full intake is `POST /api/v1/complaints` with "
                "complaints from `bench/datagen.py` and an Idempotency-Key each: the form is "
                "checked and kept in the intake inbox (202, tracking number), and the worker "
                "registers it meanwhile (customer matching, triage, SLA clocks, timeline, audit "
                "chain, acknowledgement and outbox). The HTTP floor is `POST /api/v1/echo` with "
                "the same texts on the same server; the database floor is a bare INSERT of the "
                "same complaint rows through SQLAlchemy Core, one transaction each, from as many "
                "threads as there are clients. After each phase the script waits until every "
                "complaint is registered and acknowledged; server CPU per intake includes that "
                "work, and the end-to-end rate counts the phase and the wait.",
                f"Machine: {machine}. {setup}",
                throughput,
                detail,
            ],
        )
        print(f"markdown section written to {args.markdown}")


if __name__ == "__main__":
    main()
