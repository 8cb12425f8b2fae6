"""Every benchmark in one run, each script in its own process, and one table of what they measured.

    python bench/suite.py --small [--database-url URL] [--markdown docs/benchmarks-run.md]
    python bench/suite.py --full  [--database-url URL] [--markdown PATH]
    python bench/suite.py --small --dry-run              # the commands, without running them

``--small`` (10,000 complaints) checks that every benchmark still runs and gives indicative
figures; on SQLite alone it takes one to two minutes on a shared 2-vCPU machine (about twice
that with PostgreSQL as well):

- ``bench/intake.py --count 300 --repeats 1``: the intake workflow against a bare INSERT;
- ``bench/http_intake.py --small``: intake over HTTP against the echo and INSERT floors;
- ``bench/bulk_import.py --count 10000 --triage-count 500 --repeats 1``: ``kesu import``;
- ``bench/read_paths.py --count 10000 --requests 100 --warmup 10``: queue, filters, detail and
  search over HTTP, with the search results counted against the generator's own counts;
- ``bench/dashboard.py --repeats 10`` on the database read_paths.py filled.

``--full`` is the million-complaint mode, the figures for docs/benchmarks.md (about an hour on
the same machine, most of it importing and indexing a million complaints twice): intake.py and
http_intake.py with their own defaults (2,000 complaints × 3 repeats; 2,000 requests × 3 repeats,
16 clients, 1 and 2 web processes on PostgreSQL), bulk_import.py and read_paths.py with
1,000,000 complaints, and dashboard.py on read_paths.py's million.

Each script runs on SQLite (a fresh file), and again on PostgreSQL when ``--database-url`` names
one — whose public schema every script drops and rebuilds: give a database of its own. Scripts
run one after the other with this Python (``sys.executable``); their output is shown as they go.
The runner exits with status 1 if any script fails (a crash, a timeout, or read_paths.py's
search counts differing), never because a figure misses its target: targets are reported, not
asserted. ``--markdown PATH`` writes the whole run as one section: the machine, the combined
table and each script's own section or tables.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from common import describe_machine, dialect_of, load_average, markdown_table, write_section
from sqlalchemy import make_url

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SMALL, FULL = 10_000, 1_000_000
SMALL_TIMEOUT = 900.0
"""Seconds one script may take in --small mode before it counts as failed."""


@dataclass
class Step:
    script: str
    arguments: list[str]
    database: str
    """The database URL the script is given; '' for its own fresh SQLite file."""
    markdown: bool = False
    """The script writes its own markdown section (``--markdown PATH``)."""
    after: Step | None = None
    """Runs only if this step succeeded (the dashboard needs read_paths.py's database)."""
    shown: list[str] | None = None
    """The arguments as printed and written, when the real ones name temporary files."""
    returncode: int | None = None
    seconds: float = 0.0
    output: str = ""
    section: str = ""
    timed_out: bool = False

    @property
    def name(self) -> str:
        return Path(self.script).name

    @property
    def dialect(self) -> str:
        return dialect_of(self.database or "sqlite")

    @property
    def ran(self) -> bool:
        return self.returncode is not None

    @property
    def status(self) -> str:
        if not self.ran:
            return "skipped (the step it needs failed)"
        if self.timed_out:
            return "**failed** (timed out)"
        return "ok" if self.returncode == 0 else f"**failed** (exit {self.returncode})"

    def command(self, *, shown: bool = False) -> list[str]:
        python = "python" if shown else sys.executable
        arguments = list(self.arguments)
        if shown:
            arguments = [_masked(argument) for argument in self.shown or arguments]
        return [python, self.script, *arguments]


def _masked(argument: str) -> str:
    if "://" in argument and "@" in argument:
        return make_url(argument).render_as_string(hide_password=True)
    return argument


def plan(
    full: bool, databases: Sequence[str], work: Path, only: Sequence[str] | None
) -> list[Step]:
    """The steps of a run, for each database in turn."""
    count = FULL if full else SMALL
    steps: list[Step] = []
    for database in databases:
        given = ["--database-url", database] if database else []
        tag = "postgresql" if database else "sqlite"
        reads_dir = work / f"reads-{tag}"
        reads_url = database or f"sqlite:///{reads_dir / 'kesu.sqlite3'}"
        intake = [] if full else ["--count", "300", "--repeats", "1"]
        http = [] if full else ["--small"]
        imports = ["--count", str(count), "--repeats", "1"]
        imports += ["--triage-count", "2000" if full else "500"]
        # Small mode checks that the reads still work and are indicative: fewer measured
        # requests and repeats keep the suite under its three minutes per database.
        samples = [] if full else ["--requests", "100", "--warmup", "10"]
        repeats = [] if full else ["--repeats", "10"]
        reads = Step(
            "bench/read_paths.py",
            ["--count", str(count), *samples, "--data-dir", str(reads_dir), *given],
            database,
            markdown=True,
            shown=["--count", str(count), *samples, "--data-dir", "DIR", *given],
        )
        steps += [
            Step("bench/intake.py", [*intake, *given], database),
            Step("bench/http_intake.py", [*http, *given], database, markdown=True),
            Step("bench/bulk_import.py", [*imports, *given], database),
            reads,
        ]
        if (BENCH / "dashboard.py").exists():
            # The analytics dashboard on the same complaints: its rollup is recounted first.
            steps.append(
                Step(
                    "bench/dashboard.py",
                    ["--database-url", reads_url, *repeats],
                    database,
                    after=reads,
                    shown=["--database-url", database or "sqlite:///DIR/kesu.sqlite3", *repeats],
                )
            )
        # Hook: a later read benchmark on the populated database goes here, with after=reads.
    if only:
        steps = [step for step in steps if step.name.removesuffix(".py") in only]
    return steps


# --- running --------------------------------------------------------------------------------


def run_step(step: Step, work: Path, timeout: float | None, number: int) -> None:
    arguments = list(step.arguments)
    section_path = work / f"section-{number}.md"
    if step.markdown:
        arguments += ["--markdown", str(section_path)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, step.script, *arguments],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: stopped as a whole, by its id
    )

    def stop() -> None:
        step.timed_out = True
        os.killpg(process.pid, signal.SIGKILL)

    watchdog = threading.Timer(timeout, stop) if timeout else None
    if watchdog:
        watchdog.start()
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        print(f"  │ {line}", end="", flush=True)
    step.returncode = process.wait()
    if watchdog:
        watchdog.cancel()
    step.seconds = time.perf_counter() - started
    step.output = "".join(lines)
    if step.markdown and section_path.exists():
        step.section = section_path.read_text(encoding="utf-8")


# --- report ---------------------------------------------------------------------------------


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)


def tables_of(output: str) -> list[Table]:
    """The markdown tables a script printed."""
    tables: list[Table] = []
    current: Table | None = None
    for line in output.splitlines():
        if not line.startswith("|"):
            current = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if current is None:
            current = Table(cells)
            tables.append(current)
        elif not all(re.fullmatch(r":?-+:?", cell) for cell in cells):
            current.rows.append(cells)
    return tables


def combined_table(steps: Sequence[Step]) -> str:
    """One row per row of every table the scripts printed: what, and its figures."""
    rows = []
    for step in steps:
        if not step.ran or step.returncode != 0:
            rows.append([step.name, step.dialect, "—", step.status])
            continue
        for table in tables_of(step.output):
            for cells in table.rows:
                figures = "; ".join(
                    f"{header} {cell}"
                    for header, cell in zip(table.headers[1:], cells[1:], strict=False)
                    if cell
                )
                rows.append([step.name, step.dialect, cells[0], figures])
    return markdown_table(["benchmark", "database", "measure", "figures"], rows)


def status_table(steps: Sequence[Step]) -> str:
    rows = [
        [step.name, step.dialect, step.status, f"{step.seconds:.0f}" if step.ran else "—"]
        for step in steps
    ]
    return markdown_table(["benchmark", "database", "result", "seconds"], rows)


def step_section(step: Step) -> str:
    """A script's own section one level down, or its output with tables kept as tables."""
    command = " ".join(step.command(shown=True))
    title = f"### {step.name} — {step.dialect}"
    if not step.ran or step.returncode != 0:
        tail = "\n".join(step.output.splitlines()[-20:])
        return f"{title}\n\n`{command}`: {step.status}\n\n```text\n{tail}\n```"
    if step.section:
        return re.sub(r"^## ", "### ", step.section.strip(), flags=re.MULTILINE)
    blocks: list[str] = [f"```sh\n{command}\n```"]
    table: list[str] = []
    for line in [*step.output.splitlines(), ""]:
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            blocks.append("\n".join(table))
            table = []
        if line.strip():
            blocks.append(line.strip())
    return "\n\n".join([title, *blocks])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--small", action="store_true", help=f"{SMALL:,} complaints.")
    size.add_argument("--full", action="store_true", help=f"{FULL:,} complaints.")
    parser.add_argument(
        "--database-url",
        help="Also run every script on this PostgreSQL database (its public schema is replaced).",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="Run only these scripts, e.g. read_paths dashboard.",
    )
    parser.add_argument("--markdown", type=Path, help="Write the whole run as a markdown section.")
    parser.add_argument("--dry-run", action="store_true", help="Print the commands and stop.")
    args = parser.parse_args(argv)
    databases = ["", *([args.database_url] if args.database_url else [])]
    work = Path(tempfile.mkdtemp(prefix="kesu-bench-suite-"))
    try:
        steps = plan(args.full, databases, work, args.only)
        if args.dry_run:
            for step in steps:
                print(" ".join(step.command(shown=True)))
            return 0
        load = load_average()
        started = time.perf_counter()
        timeout = None if args.full else SMALL_TIMEOUT
        for number, step in enumerate(steps):
            if step.after is not None and step.after.returncode != 0:
                print(f"\n== {step.name} ({step.dialect}): skipped, {step.after.name} failed")
                continue
            print(f"\n== {' '.join(step.command(shown=True))}", flush=True)
            run_step(step, work, timeout, number)
            print(f"== {step.name} ({step.dialect}): {step.status}, {step.seconds:.0f} s")
        total = time.perf_counter() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)
    machine = describe_machine([url for url in databases if url])
    mode = f"{'full' if args.full else 'small'}: {FULL if args.full else SMALL:,} complaints"
    summary = (
        f"{len(steps)} scripts in {total:.0f} s; load average {load:.1f} when the run started."
    )
    statuses, combined = status_table(steps), combined_table(steps)
    print(f"\n{machine}\n{summary}\n\n{statuses}\n\n{combined}")
    if args.markdown:
        shown = ["python bench/suite.py", "--full" if args.full else "--small"]
        if args.database_url:
            shown.append(f"--database-url {_masked(args.database_url)}")
        write_section(
            args.markdown,
            f"Benchmark run ({mode}) — `bench/suite.py`",
            [
                f"```sh\n{' '.join(shown)}\n```",
                f"Machine: {machine}. {summary} Targets are reported, not asserted.",
                statuses,
                combined,
                *(step_section(step) for step in steps),
            ],
        )
        print(f"markdown written to {args.markdown}")
    failed = [step for step in steps if step.ran and step.returncode != 0]
    skipped = [step for step in steps if not step.ran]
    if failed or skipped:
        print(f"failed: {', '.join(f'{s.name} ({s.dialect})' for s in [*failed, *skipped])}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
