"""Bulk import of complaints from CSV (``kesu import complaints``), rows per second.

    python bench/bulk_import.py [--count 20000] [--triage-count 2000] [--repeats 3]
                                [--batch-size 1000] [--database-url URL]

The rows come from ``bench/datagen.py`` (realistic Chinese complaints, repeat customers, two years
of receipt times) with an ``external_id`` column added. Its statuses of cases still in a
department's hands (assigned … follow-up), which the importer refuses by design, are written as
``received``. Each repeat imports into a fresh database:

- all-or-nothing: the default; every row is checked, then read again and written in batches;
- single pass: ``--skip-invalid``, which checks each row as it writes it;
- with triage: ``--triage`` on ``--triage-count`` rows whose category and priority are blanked,
  so the triage model assesses every one;
- the floor: the same complaint rows as a bare multi-row INSERT per batch (one customer, no
  checks, no timeline, index or audit), the database's own speed for these rows.

Prints medians and min–max over the repeats. Without --database-url it uses a fresh SQLite file;
with a PostgreSQL URL it empties that database's public schema first, for every repeat.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import datagen
from common import Summary, describe_machine, dialect_of, fresh_database, markdown_table, timed
from sqlalchemy import insert

from kesu import bootstrap
from kesu.complaints.models import Complaint
from kesu.customers.models import Customer
from kesu.db.engine import make_engine
from kesu.intake import bulk
from kesu.settings import Settings

SEED = 1


def write_file(path: Path, count: int, *, blank_triage: bool) -> None:
    """``count`` generated rows as an import file (see the module documentation)."""
    status = datagen.COLUMNS.index("status")
    category, priority = datagen.COLUMNS.index("category"), datagen.COLUMNS.index("priority")
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["external_id", *datagen.COLUMNS])
        for number, row in enumerate(datagen.rows(count, seed=SEED)):
            record = datagen.csv_record(row)
            if record[status] not in bulk.IMPORTABLE_STATUSES:
                record[status] = "received"
            if blank_triage:
                record[category] = record[priority] = ""
            writer.writerow([f"BENCH-{number:08d}", *record])


def run_import(url: str, data_dir: Path, path: Path, options: bulk.ImportOptions) -> float:
    """Rows per second of one import into a fresh database."""
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    fresh_database(url)
    kesu = bootstrap.build(Settings(data_dir=data_dir, database_url=url))
    try:
        with kesu.sessions() as session:
            report = bulk.import_complaints(
                session,
                path,
                options=options,
                max_description_chars=kesu.intake_policy.max_description_chars,
                clock=kesu.clock,
                engine=kesu.triage_engine,
            )
    finally:
        kesu.dispose()
    if report.imported != report.rows:
        raise RuntimeError(f"expected every row imported: {report}")
    return report.rows_per_second


def run_floor(url: str, path: Path, batch_size: int) -> float:
    """Rows per second of bare batched INSERTs of the file's complaint rows (fresh database)."""
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    fresh_database(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    with path.open(encoding="utf-8", newline="") as source:
        reader = csv.DictReader(source)
        rows = [
            {
                "tracking_number": f"BENCH-{number:010d}",
                "status": record["status"],
                "version": 1,
                "complainant_name": record["complainant_name"],
                "contact_phone": record["phone"] or None,
                "contact_email": record["email"] or None,
                "channel": record["channel"],
                "region": record["region"] or None,
                "target_type": record["target_type"],
                "target": record["target"],
                "product_line": record["product_line"] or None,
                "description": record["description"],
                "demands": record["demands"].split(";"),
                "received_at": datetime.fromisoformat(record["received_at"]),
                "updated_at": now,
                "category": record["category"] or None,
                "priority": record["priority"] or None,
                "registered_by": "system",
            }
            for number, record in enumerate(reader)
        ]
    with timed() as watch:
        with engine.begin() as connection:
            customer_id = connection.execute(
                insert(Customer)
                .values(name="王芳", phone="13800000000", tags=[], created_at=now, updated_at=now)
                .returning(Customer.id)
            ).scalar_one()
        for start in range(0, len(rows), batch_size):
            batch = [
                {**row, "customer_id": customer_id} for row in rows[start : start + batch_size]
            ]
            with engine.begin() as connection:
                connection.execute(insert(Complaint), batch)
    engine.dispose()
    return len(rows) / watch.seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--triage-count", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        url = args.database_url or f"sqlite:///{data_dir / 'bench.sqlite3'}"
        plain, for_triage = data_dir / "complaints.csv", data_dir / "triage.csv"
        write_file(plain, args.count, blank_triage=False)
        write_file(for_triage, args.triage_count, blank_triage=True)
        batch = args.batch_size
        measures: list[tuple[str, int, Callable[[], float]]] = [
            (
                "all-or-nothing (default)",
                args.count,
                lambda: run_import(url, data_dir, plain, bulk.ImportOptions(batch_size=batch)),
            ),
            (
                "single pass (--skip-invalid)",
                args.count,
                lambda: run_import(
                    url, data_dir, plain, bulk.ImportOptions(batch_size=batch, skip_invalid=True)
                ),
            ),
            (
                "with --triage",
                args.triage_count,
                lambda: run_import(
                    url, data_dir, for_triage, bulk.ImportOptions(batch_size=batch, triage=True)
                ),
            ),
            ("bare INSERT (floor)", args.count, lambda: run_floor(url, plain, batch)),
        ]
        results: dict[str, list[float]] = {name: [] for name, _rows, _run in measures}
        for _repeat in range(args.repeats):
            # Interleaved so that drift on a noisy machine hits every series alike.
            for name, _rows, measure in measures:
                results[name].append(measure())
        machine = describe_machine([url])
    print(machine)
    print(
        f"{dialect_of(url)}, batches of {batch} rows, {args.repeats} repeats, a fresh database each"
    )
    table = []
    for name, rows, _run in measures:
        median, spread = Summary.of(results[name]).format()
        table.append([name, f"{rows:,}", median, spread])
    print(markdown_table(["import", "rows", "rows/s (median)", "min–max"], table))


if __name__ == "__main__":
    main()
