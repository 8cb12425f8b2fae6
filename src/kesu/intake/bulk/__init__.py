"""Bulk import of complaints from a CSV file (``kesu import complaints FILE.csv``).

Made for moving an earlier system's complaints into kesu — a million rows in minutes, not hours —
so it writes batches of rows with one executemany INSERT per table instead of running the intake
workflow per row.

The file has a header row naming its columns, in any order, by English code or Chinese name:

    code              中文表头        needed          value
    external_id       外部编号        no              the earlier system's id (rows already
                                                      imported are skipped)
    complainant_name  投诉人          yes
    phone             联系电话        phone or email
    email             电子邮箱        phone or email
    channel           渠道            no              code or label: web, phone, 电话, 12315/消协转办…
                                                      (default web)
    region            地区            no
    target_type       投诉对象类型    no              product order store staff service, or 产品 订单
                                                      门店 员工 服务 (default product)
    target            投诉对象        yes
    product_line      产品线          no
    order_number      订单号          no
    description       投诉内容        yes
    demands           诉求            yes             codes or labels separated by ; (also ；、,):
                                                      refund;exchange or 退款；换货
    occurred_at       发生时间        no              ISO 8601, e.g. 2025-03-01T10:00:00+08:00
    received_at       受理时间        no              ISO 8601 (default: the time of the import)
    status            状态            no              received triaged rejected appealed reopened
                                                      resolved closed archived withdrawn, or
                                                      their labels (default received)
    category          投诉类别        no              product_quality … other, or 产品质量 … 其他
    priority          优先级          no              P1 P2 P3 P4 (or 紧急 高 中 低)

Times without a UTC offset are China Standard Time (UTC+8). Empty cells take the default. The
columns ``line``/``行号`` and ``error``/``错误原因`` of a rejects file are ignored, so a rejects
file can be corrected and imported as it is. The file is UTF-8 (with or without a byte-order
mark) or, when asked for, GB18030 (which also reads GBK and GB2312).

Every row is checked by the same ``ComplaintDraft`` and text limits as the registration form.
By default the whole file is checked first and nothing is imported if any row is invalid; with
``skip_invalid`` the valid rows are imported and the others written to ``FILE.rejected.csv`` with
their line number and error. The rows are then written in batches, one transaction each: the
customer profiles are matched by phone, then e-mail, as at intake (two queries per batch, new
profiles inserted together); each complaint gets a unique tracking number, its full-text search
entry, one ``imported`` timeline event and an idempotency record; each batch gets one entry in the
audit chain naming the file, its lines and what was written. A batch that collides with a
concurrent writer (a profile or tracking number taken meanwhile) is rolled back and written again.

Re-running a file imports nothing twice: each row has an idempotency key in ``intake_request`` —
``import:ext:<external_id>``, or for rows without one a hash of the phone (else e-mail), the
given received time and the description — and a row whose key exists is skipped. An interrupted
import is therefore resumed by running it again.

Imported complaints get no acknowledgement: they were received, and answered, elsewhere and
often long ago; a message now would puzzle the customer. They also get no SLA clocks — a clock
started at an old receipt time would be missed at once, escalate and offer compensation
vouchers; SLA policies apply to complaints registered in kesu. Rows without a category or priority
are assessed by the triage engine when asked for (``triage``): the same reading of the text as at
intake, without the search for the customer's open duplicates.
"""

from __future__ import annotations

import codecs
import csv
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from kesu.complaints.service import new_tracking_number
from kesu.core.actors import SYSTEM, Actor
from kesu.core.clock import Clock
from kesu.core.errors import Bilingual, InvalidInput
from kesu.intake.bulk.columns import (
    COLUMNS,
    ENCODINGS,
    IMPORTABLE_STATUSES,
    REJECT_COLUMNS,
    REQUIRED_COLUMNS,
    Row,
    RowInvalid,
    Source,
    check_row,
)
from kesu.intake.bulk.writing import IMPORT_ACTION, BatchWriter
from kesu.intake.errors import ImportFileInvalid, ImportRefused, RowError
from kesu.triage.service import TriageEngine

__all__ = [
    "COLUMNS",
    "ENCODINGS",
    "IMPORTABLE_STATUSES",
    "IMPORT_ACTION",
    "MAX_BATCH",
    "MIN_BATCH",
    "REJECT_COLUMNS",
    "REQUIRED_COLUMNS",
    "ImportFileInvalid",
    "ImportOptions",
    "ImportProgress",
    "ImportRefused",
    "ImportReport",
    "Phase",
    "ProgressCallback",
    "RowError",
    "import_complaints",
    "rejects_path_for",
]

MIN_BATCH, MAX_BATCH = 100, 10_000
"""The upper bound keeps each batch's IN lists within every database's parameter limit."""
_VALIDATE_REPORT_EVERY = 1000


class Phase(StrEnum):
    VALIDATE = "validate"
    IMPORT = "import"


@dataclass(frozen=True)
class ImportProgress:
    phase: Phase
    bytes_done: int
    bytes_total: int
    rows: int
    """Data rows read so far in this phase."""
    imported: int
    skipped: int
    rejected: int


ProgressCallback = Callable[[ImportProgress], None]


@dataclass(frozen=True)
class ImportOptions:
    encoding: str = "utf-8"
    skip_invalid: bool = False
    """Import the valid rows and write the others to the rejects file, instead of refusing."""
    triage: bool = False
    """Assess rows without a category or priority with the triage engine (slower)."""
    batch_size: int = 1000
    """Rows per transaction. Larger batches are barely faster but hold SQLite's write lock
    longer (about 0.3 s per 1,000 rows), which web intake then waits for."""
    max_errors: int = 20
    """How many invalid rows a refusal lists (all are counted)."""


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0
    """Already imported (by an earlier run, or earlier in this file)."""
    rejected: int = 0
    triaged: int = 0
    customers_created: int = 0
    batches: int = 0
    seconds: float = 0.0
    rejects_path: Path | None = None
    """Written with ``skip_invalid``."""

    @property
    def rows(self) -> int:
        return self.imported + self.skipped + self.rejected

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def rejects_path_for(path: Path) -> Path:
    """``complaints.csv`` → ``complaints.rejected.csv``."""
    return path.with_name(f"{path.stem if path.suffix else path.name}.rejected.csv")


def import_complaints(
    session: Session,
    path: Path,
    *,
    options: ImportOptions,
    max_description_chars: int,
    clock: Clock,
    engine: TriageEngine,
    actor: Actor = SYSTEM,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import the complaints of a CSV file (see the module documentation for its columns).

    Raises ``ImportFileInvalid`` for a file that cannot be read as a complaint table (encoding,
    header, CSV syntax) and, unless ``options.skip_invalid``, ``ImportRefused`` when any row is
    invalid; both before anything is written. Batches already committed stay when a later one
    fails; running the import again resumes it.
    """
    started = time.perf_counter()
    _check_options(options)
    source = Source.open(path, options.encoding)
    run = _Run(
        source=source,
        options=options,
        max_description_chars=max_description_chars,
        clock=clock,
        writer=BatchWriter(
            source=source,
            clock=clock,
            engine=engine,
            actor=actor,
            triage=options.triage,
            # Named here, as the import starts: replacing this package's
            # ``new_tracking_number`` replaces the draws of the whole import.
            draw_tracking_number=new_tracking_number,
        ),
        progress=progress,
        report=ImportReport(),
    )
    if options.skip_invalid:
        run.report.rejects_path = rejects_path_for(path)
        with run.report.rejects_path.open(
            "w", encoding=_reject_encoding(options.encoding), newline=""
        ) as rejects:
            writer = csv.writer(rejects)
            writer.writerow([*source.header, *REJECT_COLUMNS])
            run.write(
                session,
                reject=lambda cells, error: writer.writerow(
                    [*cells, error.line, f"{error.reason.zh} | {error.reason.en}"]
                ),
            )
    else:
        run.check_all()
        run.write(session, reject=None)
    if run.report.imported:
        _refresh_statistics(session)
    run.report.seconds = time.perf_counter() - started
    return run.report


_IMPORTED_TABLES = ("complaint", "customer", "timeline_event", "intake_request", "triage_decision")


def _refresh_statistics(session: Session) -> None:
    """Let the query planner see the imported rows at once instead of at the next autovacuum.

    Without it, PostgreSQL plans queue filters on an emptier table's statistics and may scan and
    sort every complaint; SQLite's planner likewise reads the statistics ANALYZE gathers.
    """
    session.commit()
    if session.get_bind().dialect.name == "sqlite":
        # A sample of each index is enough for the planner and keeps this to a moment at 1M rows.
        session.execute(text("PRAGMA analysis_limit = 2000"))
        session.execute(text("ANALYZE"))
    else:
        session.execute(text("ANALYZE " + ", ".join(_IMPORTED_TABLES)))
    session.commit()


def _check_options(options: ImportOptions) -> None:
    if not MIN_BATCH <= options.batch_size <= MAX_BATCH:
        raise InvalidInput(
            reason=Bilingual(
                f"每批行数应在 {MIN_BATCH} 到 {MAX_BATCH} 之间",
                f"the batch size must be {MIN_BATCH} to {MAX_BATCH} rows",
            )
        )
    if options.max_errors < 1:
        raise InvalidInput(
            reason=Bilingual("列出的错误数至少为 1", "max_errors must be at least 1")
        )
    try:
        codecs.lookup(options.encoding)
    except LookupError as error:
        raise InvalidInput(
            reason=Bilingual(
                f"不支持的编码 {options.encoding}", f"unknown encoding {options.encoding}"
            )
        ) from error


def _reject_encoding(encoding: str) -> str:
    # A UTF-8 rejects file starts with a byte-order mark so that Excel shows the Chinese text.
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


@dataclass
class _Run:
    source: Source
    options: ImportOptions
    max_description_chars: int
    clock: Clock
    writer: BatchWriter
    progress: ProgressCallback | None
    report: ImportReport

    def _tell(self, phase: Phase, rows: int, bytes_done: int) -> None:
        if self.progress is not None:
            self.progress(
                ImportProgress(
                    phase=phase,
                    bytes_done=bytes_done,
                    bytes_total=self.source.size,
                    rows=rows,
                    imported=self.report.imported,
                    skipped=self.report.skipped,
                    rejected=self.report.rejected,
                )
            )

    def _check(self, line: int, cells: list[str], now: datetime) -> Row:
        return check_row(
            line, cells, self.source, now=now, max_description_chars=self.max_description_chars
        )

    def check_all(self) -> None:
        """First pass of an all-or-nothing import: raise ``ImportRefused`` if any row is invalid."""
        errors: list[RowError] = []
        invalid = rows = bytes_done = 0
        now = self.clock.now()
        for line, cells, bytes_done in self.source.rows():
            rows += 1
            try:
                self._check(line, cells, now)
            except RowInvalid as problem:
                invalid += 1
                if len(errors) < self.options.max_errors:
                    errors.append(RowError(line, problem.reason))
            if rows % _VALIDATE_REPORT_EVERY == 0:
                self._tell(Phase.VALIDATE, rows, bytes_done)
        self._tell(Phase.VALIDATE, rows, self.source.size)
        if invalid:
            raise ImportRefused(count=invalid, errors=errors)

    def write(
        self, session: Session, *, reject: Callable[[list[str], RowError], object] | None
    ) -> None:
        """Read the rows and write the valid ones batch by batch; ``reject`` takes the invalid
        ones (None: they were refused already, by ``check_all``)."""
        batch: list[Row] = []
        rows = bytes_done = 0
        now = self.clock.now()
        for line, cells, bytes_done in self.source.rows():
            rows += 1
            try:
                batch.append(self._check(line, cells, now))
            except RowInvalid as problem:
                if reject is None:  # the file changed since it was checked
                    raise ImportFileInvalid(line=line, reason=problem.reason) from problem
                reject(cells, RowError(line, problem.reason))
                self.report.rejected += 1
            if len(batch) >= self.options.batch_size:
                self._write_batch(session, batch)
                batch = []
                self._tell(Phase.IMPORT, rows, bytes_done)
        if batch:
            self._write_batch(session, batch)
        self._tell(Phase.IMPORT, rows, self.source.size)

    def _write_batch(self, session: Session, rows: list[Row]) -> None:
        result = self.writer.write(session, rows)
        self.report.imported += result.imported
        self.report.skipped += result.skipped
        self.report.customers_created += result.customers_created
        self.report.triaged += result.triaged
        self.report.batches += 1 if result.imported else 0
