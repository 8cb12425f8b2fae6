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
import hashlib
import io
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, TextIO, TypeVar

from pydantic import ValidationError
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kesu.audit import service as audit
from kesu.complaints import search
from kesu.complaints.events import EventKind
from kesu.complaints.lifecycle import STATUS_LABELS, Status
from kesu.complaints.models import (
    CHANNEL_LABELS,
    DEMAND_LABELS,
    TARGET_LABELS,
    Complaint,
    TimelineEvent,
)
from kesu.complaints.schemas import ComplaintDraft
from kesu.complaints.service import new_tracking_number
from kesu.core.actors import SYSTEM, Actor
from kesu.core.clock import Clock
from kesu.core.errors import Bilingual, InvalidInput
from kesu.core.i18n import Labels, Language
from kesu.core.text_limits import clean_text
from kesu.customers.models import Customer
from kesu.customers.service import VIP_TAG
from kesu.db.engine import transaction
from kesu.intake.models import IntakeRequest
from kesu.sla.calendar import CHINA
from kesu.text import analysis
from kesu.text.classify import CATEGORY_LABELS
from kesu.triage.assessment import Assessment, explanation
from kesu.triage.models import TriageDecision
from kesu.triage.service import TriageEngine

COLUMNS: Mapping[str, str] = {
    "external_id": "外部编号",
    "complainant_name": "投诉人",
    "phone": "联系电话",
    "email": "电子邮箱",
    "channel": "渠道",
    "region": "地区",
    "target_type": "投诉对象类型",
    "target": "投诉对象",
    "product_line": "产品线",
    "order_number": "订单号",
    "description": "投诉内容",
    "demands": "诉求",
    "occurred_at": "发生时间",
    "received_at": "受理时间",
    "status": "状态",
    "category": "投诉类别",
    "priority": "优先级",
}
"""Column code → its Chinese header. Every field of ``ComplaintDraft`` is a column."""

REQUIRED_COLUMNS = ("complainant_name", "target", "description", "demands")
REJECT_COLUMNS = ("line", "error")
_IGNORED_HEADERS = frozenset({"line", "error", "行号", "错误原因"})

IMPORTABLE_STATUSES = (
    Status.RECEIVED,
    Status.TRIAGED,
    Status.REJECTED,
    Status.APPEALED,
    Status.REOPENED,
    Status.RESOLVED,
    Status.CLOSED,
    Status.ARCHIVED,
    Status.WITHDRAWN,
)
"""Statuses whose next steps need nothing a CSV row lacks. A case in the hands of a department
(assigned … carrying out, waiting for the customer, follow-up) needs its department, handler,
remedy proposals or visit: import it as received, or reopened, and assign it in kesu."""

ENCODINGS = ("utf-8", "gb18030")
MIN_BATCH, MAX_BATCH = 100, 10_000
"""The upper bound keeps each batch's IN lists within every database's parameter limit."""
IMPORT_ACTION = "complaints.imported"
"""The audit action of one batch (per-complaint actions are ``complaint.<event>``)."""
_EXTERNAL_ID_MAX = 180  # the key "import:ext:<id>" fits intake_request's 200 characters
_WRITE_ATTEMPTS = 3
_VALIDATE_REPORT_EVERY = 1000
_LIST_SEPARATORS = re.compile(r"[;；、,，]")
_HASH_CHUNK = 1 << 20
_T = TypeVar("_T")


class ImportFileInvalid(InvalidInput):
    code = "import_file_invalid"
    message_zh = "导入文件第 {line} 行有误：{reason}"
    message_en = "Import file line {line}: {reason}"


class ImportRefused(InvalidInput):
    """All or nothing: some rows are invalid, so none was imported; ``errors`` lists the first."""

    code = "import_refused"
    message_zh = "导入文件有 {count} 行无效，未导入任何投诉。"
    message_en = "{count} rows of the import file are invalid; nothing was imported."

    def __init__(self, *, count: int, errors: Sequence[RowError]) -> None:
        super().__init__(count=count)
        self.errors = list(errors)


@dataclass(frozen=True)
class RowError:
    line: int
    """Line of the file where the row starts (the header is line 1)."""
    reason: Bilingual

    def message(self, language: Language) -> str:
        if language is Language.ZH:
            return f"第 {self.line} 行：{self.reason.zh}"
        return f"line {self.line}: {self.reason.en}"


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
    source = _Source.open(path, options.encoding)
    run = _Run(
        source=source,
        options=options,
        max_description_chars=max_description_chars,
        clock=clock,
        engine=engine,
        actor=actor,
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
    run.report.seconds = time.perf_counter() - started
    return run.report


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


# --- reading the file -------------------------------------------------------------------------


def _header_key(cell: str) -> str:
    return cell.replace("\ufeff", "").strip().lower()


_HEADER_CODES: Mapping[str, str] = {
    **{code: code for code in COLUMNS},
    **{zh: code for code, zh in COLUMNS.items()},
}


@dataclass(frozen=True)
class _Source:
    """The file: its header, size and SHA-256 (named in the audit entries)."""

    path: Path
    encoding: str
    header: list[str]
    """The header cells as written in the file."""
    codes: list[str | None]
    """Per position: the column code, or None for an ignored column."""
    size: int
    sha256: str
    names: dict[str, str]
    """Column code → the column as the file names it (errors speak the file's language)."""

    @classmethod
    def open(cls, path: Path, encoding: str) -> _Source:
        digest = hashlib.sha256()
        with path.open("rb") as raw:
            while chunk := raw.read(_HASH_CHUNK):
                digest.update(chunk)
        with _text(path, encoding) as (_raw, text):
            reader = csv.reader(text)
            try:
                header = next(reader, None)
            except (UnicodeDecodeError, csv.Error) as error:
                raise _unreadable(error, 1, encoding) from error
        if not header or not any(cell.strip() for cell in header):
            raise ImportFileInvalid(
                line=1, reason=Bilingual("缺少表头行", "the header row is missing")
            )
        cells = [cell.replace("\ufeff", "").strip() for cell in header]
        codes = _header_codes(cells)
        return cls(
            path=path,
            encoding=encoding,
            header=cells,
            codes=codes,
            size=path.stat().st_size,
            sha256=digest.hexdigest(),
            names={
                **{code: code for code in COLUMNS},
                **{code: cell for code, cell in zip(codes, cells, strict=True) if code},
            },
        )

    def rows(self) -> Iterator[tuple[int, list[str], int]]:
        """(line where the row starts, cells, bytes read so far) of each non-empty data row."""
        with _text(self.path, self.encoding) as (raw, text):
            reader = csv.reader(text)
            line_after = 0
            try:
                next(reader)
                line_after = reader.line_num
                for cells in reader:
                    start, line_after = line_after + 1, reader.line_num
                    if any(cell.strip() for cell in cells):
                        yield start, cells, raw.tell()
            except (UnicodeDecodeError, csv.Error) as error:
                raise _unreadable(error, line_after + 1, self.encoding) from error


@contextmanager
def _text(path: Path, encoding: str) -> Iterator[tuple[io.BufferedReader, TextIO]]:
    """The file as text for the csv module; the binary handle tells how far reading has got."""
    raw = path.open("rb")
    # utf-8-sig drops a byte-order mark and reads a file without one unchanged.
    name = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    text = io.TextIOWrapper(raw, encoding=name, newline="")
    try:
        yield raw, text
    finally:
        text.close()


def _unreadable(error: Exception, line: int, encoding: str) -> ImportFileInvalid:
    if isinstance(error, UnicodeDecodeError):
        return ImportFileInvalid(
            line=line,
            reason=Bilingual(
                f"无法按 {encoding} 解码（GB18030/GBK 文件请指定 --encoding gb18030）",
                f"cannot be decoded as {encoding} (for GB18030/GBK files use --encoding gb18030)",
            ),
        )
    return ImportFileInvalid(
        line=line, reason=Bilingual(f"CSV 格式错误：{error}", f"not valid CSV: {error}")
    )


def _header_codes(header: Sequence[str]) -> list[str | None]:
    codes: list[str | None] = []
    seen: set[str] = set()
    for cell in header:
        key = _header_key(cell)
        if key in _IGNORED_HEADERS or not key:
            codes.append(None)
            continue
        code = _HEADER_CODES.get(key)
        if code is None:
            known = "、".join(f"{c}/{zh}" for c, zh in COLUMNS.items())
            raise ImportFileInvalid(
                line=1,
                reason=Bilingual(
                    f"未知的列“{cell.strip()}”；可用的列：{known}",
                    f"unknown column '{cell.strip()}'; the columns are {', '.join(COLUMNS)}",
                ),
            )
        if code in seen:
            raise ImportFileInvalid(
                line=1,
                reason=Bilingual(f"列 {code} 出现了两次", f"the column {code} appears twice"),
            )
        seen.add(code)
        codes.append(code)
    missing = [code for code in REQUIRED_COLUMNS if code not in seen]
    if missing:
        names = ", ".join(f"{code}/{COLUMNS[code]}" for code in missing)
        raise ImportFileInvalid(
            line=1, reason=Bilingual(f"缺少列 {names}", f"missing columns {names}")
        )
    if "phone" not in seen and "email" not in seen:
        raise ImportFileInvalid(
            line=1,
            reason=Bilingual(
                "需要 phone/联系电话 或 email/电子邮箱 列",
                "a phone/联系电话 or email/电子邮箱 column is needed",
            ),
        )
    return codes


# --- checking a row ---------------------------------------------------------------------------


def _value_table(labels: Labels, *, words: bool = False) -> dict[str, str]:
    """Codes (any case) and Chinese labels → the code; ``words`` also maps each word of a label."""
    table: dict[str, str] = {}
    for code, (zh, _en) in labels.items():
        table[str(code).lower()] = str(code)
        table[zh] = str(code)
        if words:
            for word in zh.split():
                table.setdefault(word, str(code))
                table.setdefault(word.lower(), str(code))
    return table


_CHANNELS = _value_table(CHANNEL_LABELS)
_TARGET_TYPES = _value_table(TARGET_LABELS)
_DEMANDS = _value_table(DEMAND_LABELS)
_STATUSES = _value_table(STATUS_LABELS)
_CATEGORIES = _value_table(CATEGORY_LABELS)
_PRIORITIES = _value_table(analysis.PRIORITY_LABELS, words=True)


def _code(table: Mapping[str, str], value: str) -> str | None:
    return table.get(value) or table.get(value.lower())


class _RowInvalid(Exception):
    def __init__(self, reason: Bilingual) -> None:
        super().__init__(reason.en)
        self.reason = reason


@dataclass(frozen=True)
class _Row:
    """A valid row, ready to be written."""

    line: int
    cells: list[str]
    draft: ComplaintDraft
    complainant_name: str
    target: str
    description: str
    received_at: datetime | None
    status: Status
    category: str | None
    priority: str | None
    external_id: str | None

    @cached_property
    def key(self) -> str:
        """The idempotency key in ``intake_request``: the external id, else a hash of the
        contact, the given receipt time and the description."""
        if self.external_id is not None:
            return f"import:ext:{self.external_id}"
        received = self.received_at.isoformat() if self.received_at else ""
        natural = json.dumps(
            [self.draft.phone or self.draft.email, received, self.description],
            ensure_ascii=False,
        )
        return f"import:row:{hashlib.sha256(natural.encode()).hexdigest()}"

    @property
    def digest(self) -> str:
        """SHA-256 of the row as the file has it (the idempotency record's request hash)."""
        return hashlib.sha256("\x1f".join(self.cells).encode()).hexdigest()


def _moment(value: str, column: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise _RowInvalid(
            Bilingual(
                f"{column} 不是 ISO 8601 时间（如 2025-03-01T10:00:00+08:00）",
                f"{column} is not an ISO 8601 time (e.g. 2025-03-01T10:00:00+08:00)",
            )
        ) from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA)
    return moment.astimezone(UTC)


def _validation_reason(error: ValidationError, source: _Source) -> Bilingual:
    zh, en = [], []
    for detail in error.errors():
        loc = detail["loc"]
        if loc:
            column = source.names.get(str(loc[0]), str(loc[0]))
            zh.append(f"{column} 无效")
            en.append(f"{column}: {detail['msg']}")
        else:
            zh.append(f"登记内容无效（{detail['msg']}）")
            en.append(detail["msg"])
    return Bilingual("；".join(dict.fromkeys(zh)), "; ".join(dict.fromkeys(en)))


def _check_row(
    line: int, cells: list[str], source: _Source, *, now: datetime, max_description_chars: int
) -> _Row:
    """The row as a ``_Row``, or ``_RowInvalid`` naming every problem found in it."""
    if len(cells) > len(source.codes):
        raise _RowInvalid(
            Bilingual(
                f"有 {len(cells)} 列，表头只有 {len(source.codes)} 列",
                f"{len(cells)} cells but the header has {len(source.codes)} columns",
            )
        )
    values = {
        code: cell.strip()
        for code, cell in zip(source.codes, cells, strict=False)
        if code is not None and cell.strip()
    }
    problems: list[Bilingual] = []
    draft = _collect(problems, lambda: _draft(values, source))
    texts = None
    if draft is not None:
        valid = draft
        texts = _collect(problems, lambda: _texts(valid, values, max_description_chars))
    received_at = _collect(problems, lambda: _received_at(values, source, now))
    status = _collect(problems, lambda: _status(values.get("status"), source))
    category = _collect(
        problems, lambda: _choice(values.get("category"), _CATEGORIES, "category", source)
    )
    priority = _collect(
        problems, lambda: _choice(values.get("priority"), _PRIORITIES, "priority", source)
    )
    if problems or draft is None or texts is None or status is None:
        raise _RowInvalid(
            Bilingual("；".join(p.zh for p in problems), "; ".join(p.en for p in problems))
        )
    complainant_name, target, description, external_id = texts
    return _Row(
        line=line,
        cells=cells,
        draft=draft,
        complainant_name=complainant_name,
        target=target,
        description=description,
        received_at=received_at,
        status=status,
        category=category,
        priority=priority,
        external_id=external_id,
    )


def _collect(problems: list[Bilingual], check: Callable[[], _T]) -> _T | None:
    """The result of ``check``, or None with its problem added to ``problems``."""
    try:
        return check()
    except _RowInvalid as problem:
        problems.append(problem.reason)
        return None


def _draft(values: Mapping[str, str], source: _Source) -> ComplaintDraft:
    """The registration form of the row: codes or Chinese labels, lists split, local times."""
    fields: dict[str, Any] = {
        code: values[code] for code in ComplaintDraft.model_fields if code in values
    }
    for code, table in (("channel", _CHANNELS), ("target_type", _TARGET_TYPES)):
        if code in fields:
            fields[code] = _code(table, fields[code]) or fields[code]
    if "demands" in fields:
        fields["demands"] = [
            _code(_DEMANDS, part.strip()) or part.strip()
            for part in _LIST_SEPARATORS.split(fields["demands"])
            if part.strip()
        ]
    if "occurred_at" in fields:
        fields["occurred_at"] = _moment(fields["occurred_at"], source.names["occurred_at"])
    try:
        return ComplaintDraft.model_validate(fields)
    except ValidationError as error:
        raise _RowInvalid(_validation_reason(error, source)) from error


def _texts(
    draft: ComplaintDraft, values: Mapping[str, str], max_description_chars: int
) -> tuple[str, str, str, str | None]:
    """(complainant name, target, description, external id) within the limits that
    ``register_complaint`` applies to the registration form."""
    try:
        return (
            clean_text(
                draft.complainant_name, field=Bilingual("投诉人", "complainant"), max_length=120
            ),
            clean_text(draft.target, field=Bilingual("投诉对象", "target"), max_length=200),
            clean_text(
                draft.description,
                field=Bilingual("投诉内容", "description"),
                max_length=max_description_chars,
            ),
            clean_text(
                values["external_id"],
                field=Bilingual("外部编号", "external_id"),
                max_length=_EXTERNAL_ID_MAX,
            )
            if "external_id" in values
            else None,
        )
    except InvalidInput as error:
        reason = error.params["reason"]
        raise _RowInvalid(
            reason if isinstance(reason, Bilingual) else Bilingual(str(reason), str(reason))
        ) from error


def _received_at(values: Mapping[str, str], source: _Source, now: datetime) -> datetime | None:
    if "received_at" not in values:
        return None
    column = source.names["received_at"]
    received_at = _moment(values["received_at"], column)
    if received_at > now:
        raise _RowInvalid(Bilingual(f"{column} 晚于现在", f"{column} is in the future"))
    return received_at


def _status(value: str | None, source: _Source) -> Status:
    if value is None:
        return Status.RECEIVED
    code = _code(_STATUSES, value)
    if code is None or Status(code) not in IMPORTABLE_STATUSES:
        allowed = " ".join(IMPORTABLE_STATUSES)
        column = source.names["status"]
        raise _RowInvalid(
            Bilingual(
                f"{column}“{value}”不能导入；可导入的状态：{allowed}",
                f"{column} '{value}' cannot be imported; the statuses are {allowed}",
            )
        )
    return Status(code)


def _choice(value: str | None, table: Mapping[str, str], code: str, source: _Source) -> str | None:
    if value is None:
        return None
    found = _code(table, value)
    if found is None:
        column = source.names[code]
        choices = " ".join(sorted(set(table.values())))
        raise _RowInvalid(
            Bilingual(
                f"{column}“{value}”无效；可选：{choices}",
                f"{column} '{value}' is not one of {choices}",
            )
        )
    return found


# --- writing ----------------------------------------------------------------------------------


@dataclass
class _Profile:
    """A customer profile as a batch sees it: known (``id``) or to be inserted."""

    id: int | None
    name: str
    phone: str | None
    email: str | None
    tags: list[str]
    changed: bool = False


@dataclass
class _Profiles:
    by_phone: dict[str, _Profile] = field(default_factory=dict)
    by_email: dict[str, _Profile] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, rows: Sequence[_Row]) -> _Profiles:
        """The profiles with any phone or e-mail of ``rows``: two queries."""
        profiles = cls()
        phones = sorted({row.draft.phone for row in rows if row.draft.phone})
        emails = sorted({row.draft.email for row in rows if row.draft.email})
        columns = (Customer.id, Customer.name, Customer.phone, Customer.email, Customer.tags)
        known: dict[int, _Profile] = {}
        for column, wanted in ((Customer.phone, phones), (Customer.email, emails)):
            if not wanted:
                continue
            for id_, name, phone, email, tags in session.execute(
                select(*columns).where(column.in_(wanted))
            ):
                profile = known.setdefault(id_, _Profile(id_, name, phone, email, list(tags)))
                profiles.remember(profile)
        return profiles

    def remember(self, profile: _Profile) -> None:
        if profile.phone:
            self.by_phone[profile.phone] = profile
        if profile.email:
            self.by_email[profile.email] = profile

    def find(self, phone: str | None, email: str | None) -> _Profile | None:
        found = self.by_phone.get(phone) if phone else None
        if found is None and email:
            found = self.by_email.get(email)
        return found

    def match(self, name: str, phone: str | None, email: str | None) -> _Profile:
        """As ``customers.match_customer``: the profile with this phone, else this e-mail, else
        a new one; a known profile gains a missing phone or a free e-mail, never loses one."""
        profile = self.find(phone, email)
        if profile is None:
            profile = _Profile(None, name, phone, email, [])
            self.remember(profile)
            return profile
        if profile.phone is None and phone:
            profile.phone, profile.changed = phone, True
            self.by_phone[phone] = profile
        if profile.email is None and email and email not in self.by_email:
            profile.email, profile.changed = email, True
            self.by_email[email] = profile
        return profile


@dataclass(frozen=True)
class _Assessed:
    category: str
    priority: str
    decision: dict[str, Any]
    """The ``triage_decision`` row, without the complaint id."""


@dataclass
class _Run:
    source: _Source
    options: ImportOptions
    max_description_chars: int
    clock: Clock
    engine: TriageEngine
    actor: Actor
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

    def _check(self, line: int, cells: list[str], now: datetime) -> _Row:
        return _check_row(
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
            except _RowInvalid as problem:
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
        batch: list[_Row] = []
        rows = bytes_done = 0
        now = self.clock.now()
        for line, cells, bytes_done in self.source.rows():
            rows += 1
            try:
                batch.append(self._check(line, cells, now))
            except _RowInvalid as problem:
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

    def _write_batch(self, session: Session, rows: list[_Row]) -> None:
        # The text is read outside the write transaction, so a slow assessment never holds
        # the database's write lock; only the VIP tag comes from the database.
        assessed = self._assess(session, rows) if self.options.triage else {}
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                with transaction(session):
                    result = self._insert(session, rows, assessed)
            except IntegrityError:
                # A concurrent writer took a phone, e-mail, tracking number or key first;
                # everything of this batch rolled back, and a new attempt sees their rows.
                if attempt == _WRITE_ATTEMPTS:
                    raise
                continue
            self.report.imported += result.imported
            self.report.skipped += result.skipped
            self.report.customers_created += result.customers_created
            self.report.triaged += result.triaged
            self.report.batches += 1 if result.imported else 0
            return

    def _assess(self, session: Session, rows: list[_Row]) -> dict[int, _Assessed]:
        profiles = _Profiles.load(session, rows)
        assessed = {}
        now = self.clock.now()
        for row in rows:
            if row.category is not None and row.priority is not None:
                continue
            profile = profiles.find(row.draft.phone, row.draft.email)
            result = analysis.analyse(
                row.description,
                models=self.engine.models,
                product_line=row.draft.product_line,
                is_vip=profile is not None and VIP_TAG in profile.tags,
                occurred_at=row.draft.occurred_at,
                received_at=row.received_at or now,
                review_threshold=self.engine.review_threshold,
                policy_days=self.engine.policy_days,
            )
            assessment = Assessment(result=result, validity=result.validity, duplicates=[])
            assessed[row.line] = _Assessed(
                category=row.category or result.category.label,
                priority=row.priority or result.priority.value,
                decision={
                    "assessed_at": now,
                    "model_version": self.engine.models.version,
                    "category": result.category.label,
                    "confidence": result.category.confidence,
                    "needs_review": result.needs_review,
                    "anger_level": result.anger.level,
                    "anger_score": result.anger.score,
                    "priority": result.priority.value,
                    "has_threat": bool(result.threats),
                    "has_safety_risk": result.safety is not None,
                    "suggestion": result.validity.suggestion.value,
                    "explanation": explanation(assessment),
                },
            )
        return assessed

    def _insert(
        self, session: Session, rows: list[_Row], assessed: Mapping[int, _Assessed]
    ) -> _BatchResult:
        now = self.clock.now()
        fresh = _not_yet_imported(session, rows)
        if not fresh:
            return _BatchResult(skipped=len(rows))
        profiles = _Profiles.load(session, fresh)
        matched = [
            profiles.match(row.complainant_name, row.draft.phone, row.draft.email) for row in fresh
        ]
        created, updated = _save_profiles(session, matched, now)
        received = [row.received_at or now for row in fresh]
        numbers = _tracking_numbers(session, received)
        connection = session.connection()
        # Plain executemany, then one SELECT for the ids: on PostgreSQL a multi-row INSERT ..
        # RETURNING costs the driver four times as much (it parses every placeholder of it).
        connection.execute(
            insert(Complaint),
            [
                _complaint_values(row, number, profile, at, now, assessed.get(row.line), self.actor)
                for row, number, profile, at in zip(fresh, numbers, matched, received, strict=True)
            ],
        )
        complaint_ids: dict[str, int] = dict(
            connection.execute(
                select(Complaint.tracking_number, Complaint.id).where(
                    Complaint.tracking_number.in_(numbers)
                )
            ).all()
        )
        ids = [complaint_ids[number] for number in numbers]
        # Found by full-text search like any complaint; these transient objects carry only what
        # the index reads and are never added to the session.
        search.index_complaints(
            session,
            [
                Complaint(id=complaint_id, description=row.description, target=row.target)
                for row, complaint_id in zip(fresh, ids, strict=True)
            ],
        )
        connection.execute(
            insert(TimelineEvent),
            [
                _event_values(row, complaint_id, self.source.path.name, now, self.actor)
                for row, complaint_id in zip(fresh, ids, strict=True)
            ],
        )
        connection.execute(
            insert(IntakeRequest),
            [
                {
                    "idempotency_key": row.key,
                    "request_hash": row.digest,
                    "complaint_id": complaint_id,
                    "created_at": now,
                }
                for row, complaint_id in zip(fresh, ids, strict=True)
            ],
        )
        decisions = [
            {**assessed[row.line].decision, "complaint_id": complaint_id}
            for row, complaint_id in zip(fresh, ids, strict=True)
            if row.line in assessed
        ]
        if decisions:
            connection.execute(insert(TriageDecision), decisions)
        # Last, so that the audit head (locked until commit) waits for no other work.
        audit.record(
            session,
            at=now,
            actor=self.actor.ref,
            action=IMPORT_ACTION,
            subject_type="import_file",
            subject_id=self.source.sha256,
            data={
                "file": self.source.path.name,
                "file_sha256": self.source.sha256,
                "lines": [fresh[0].line, fresh[-1].line],
                "count": len(fresh),
                "complaint_ids": [min(ids), max(ids)],
                "statuses": dict(Counter(row.status.value for row in fresh)),
                "skipped": len(rows) - len(fresh),
                "customers_created": created,
                "customers_updated": updated,
                "triaged": len(decisions),
            },
        )
        return _BatchResult(
            imported=len(fresh),
            skipped=len(rows) - len(fresh),
            customers_created=created,
            triaged=len(decisions),
        )


@dataclass(frozen=True)
class _BatchResult:
    imported: int = 0
    skipped: int = 0
    customers_created: int = 0
    triaged: int = 0


def _not_yet_imported(session: Session, rows: list[_Row]) -> list[_Row]:
    """The rows whose key is neither in the database nor earlier in the batch."""
    keys = sorted({row.key for row in rows})
    seen = set(
        session.scalars(
            select(IntakeRequest.idempotency_key).where(IntakeRequest.idempotency_key.in_(keys))
        )
    )
    fresh = []
    for row in rows:
        if row.key not in seen:
            seen.add(row.key)
            fresh.append(row)
    return fresh


def _save_profiles(session: Session, matched: list[_Profile], now: datetime) -> tuple[int, int]:
    """Insert the new profiles (their ids set on them) and add gained contacts to known ones;
    returns (created, updated)."""
    new = list({id(p): p for p in matched if p.id is None}.values())
    changed = list({p.id: p for p in matched if p.id is not None and p.changed}.values())
    connection = session.connection()
    if new:
        connection.execute(
            insert(Customer),
            [
                {
                    "name": p.name,
                    "phone": p.phone,
                    "email": p.email,
                    "tags": [],
                    "created_at": now,
                    "updated_at": now,
                }
                for p in new
            ],
        )
        # The ids, by the unique phone, else e-mail (see ``_insert`` for why not RETURNING).
        by_phone = {p.phone: p for p in new if p.phone}
        by_email = {p.email: p for p in new if not p.phone and p.email}
        if by_phone:
            for id_, phone in connection.execute(
                select(Customer.id, Customer.phone).where(Customer.phone.in_(list(by_phone)))
            ):
                if phone is not None:  # always: the WHERE matched it
                    by_phone[phone].id = id_
        if by_email:
            for id_, email in connection.execute(
                select(Customer.id, Customer.email).where(Customer.email.in_(list(by_email)))
            ):
                if email is not None:
                    by_email[email].id = id_
    if changed:
        connection.execute(
            update(Customer)
            .where(Customer.id == bindparam("profile_id"))
            .values(
                phone=bindparam("new_phone"),
                email=bindparam("new_email"),
                updated_at=bindparam("at"),
            ),
            [
                {"profile_id": p.id, "new_phone": p.phone, "new_email": p.email, "at": now}
                for p in changed
            ],
        )
    return len(new), len(changed)


def _tracking_numbers(session: Session, received: list[datetime]) -> list[str]:
    """One new tracking number per complaint, dated on its receipt, unique in the batch and in
    the database. The generator draws at random, like at intake: a clash is rare and drawn
    again, and only the new draws are looked up again."""
    numbers = [new_tracking_number(moment) for moment in received]
    pending = set(range(len(numbers)))
    while pending:
        taken = set(
            session.scalars(
                select(Complaint.tracking_number).where(
                    Complaint.tracking_number.in_([numbers[i] for i in pending])
                )
            )
        )
        seen: set[str] = set()
        redraw = set()
        for i, number in enumerate(numbers):
            if number in seen or (i in pending and number in taken):
                redraw.add(i)
            else:
                seen.add(number)
        for i in redraw:
            numbers[i] = new_tracking_number(received[i])
        pending = redraw
    return numbers


def _complaint_values(
    row: _Row,
    tracking_number: str,
    profile: _Profile,
    received_at: datetime,
    now: datetime,
    assessed: _Assessed | None,
    actor: Actor,
) -> dict[str, Any]:
    draft = row.draft
    return {
        "tracking_number": tracking_number,
        "status": row.status.value,
        "resume_status": None,
        "version": 1,
        "customer_id": profile.id,
        "complainant_name": row.complainant_name,
        "contact_phone": draft.phone,
        "contact_email": draft.email,
        "channel": draft.channel.value,
        "region": draft.region or None,
        "target_type": draft.target_type.value,
        "target": row.target,
        "product_line": draft.product_line or None,
        "order_number": draft.order_number or None,
        "description": row.description,
        "demands": [demand.value for demand in draft.demands],
        "occurred_at": draft.occurred_at,
        "received_at": received_at,
        "updated_at": now,
        "category": assessed.category if assessed else row.category,
        "priority": assessed.priority if assessed else row.priority,
        "escalation_level": 0,
        "special_attention": False,
        "department_id": None,
        "assignee_id": None,
        "registered_by": actor.ref,
    }


def _event_values(
    row: _Row, complaint_id: int, file_name: str, now: datetime, actor: Actor
) -> dict[str, Any]:
    return {
        "complaint_id": complaint_id,
        "at": now,
        "kind": EventKind.IMPORTED.value,
        "actor": actor.ref,
        "actor_name": actor.name,
        "from_status": None,
        "to_status": row.status.value,
        "note": None,
        "data": {
            "file": file_name,
            "line": row.line,
            "external_id": row.external_id,
            "channel": row.draft.channel.value,
        },
        "is_public": True,
    }
