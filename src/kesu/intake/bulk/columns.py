"""The column table, reading the CSV (encodings, byte-order mark, header) and checking rows."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, TextIO, TypeVar

from pydantic import ValidationError

from kesu.complaints.lifecycle import STATUS_LABELS, Status
from kesu.complaints.models import CHANNEL_LABELS, DEMAND_LABELS, TARGET_LABELS
from kesu.complaints.schemas import ComplaintDraft
from kesu.core.errors import Bilingual, InvalidInput
from kesu.core.i18n import Labels
from kesu.core.text_limits import clean_text
from kesu.intake.errors import ImportFileInvalid
from kesu.sla.calendar import CHINA
from kesu.text import analysis
from kesu.text.classify import CATEGORY_LABELS

# Names without a leading underscore are shared with the other modules of the package; what
# callers use is re-exported by ``kesu.intake.bulk`` (its ``__all__``).

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
_EXTERNAL_ID_MAX = 180  # the key "import:ext:<id>" fits intake_request's 200 characters
_LIST_SEPARATORS = re.compile(r"[;；、,，]")
_HASH_CHUNK = 1 << 20
_T = TypeVar("_T")


# --- reading the file -------------------------------------------------------------------------


def _header_key(cell: str) -> str:
    return cell.replace("\ufeff", "").strip().lower()


_HEADER_CODES: Mapping[str, str] = {
    **{code: code for code in COLUMNS},
    **{zh: code for code, zh in COLUMNS.items()},
}


@dataclass(frozen=True)
class Source:
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
    def open(cls, path: Path, encoding: str) -> Source:
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


class RowInvalid(Exception):
    def __init__(self, reason: Bilingual) -> None:
        super().__init__(reason.en)
        self.reason = reason


@dataclass(frozen=True)
class Row:
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
        raise RowInvalid(
            Bilingual(
                f"{column} 不是 ISO 8601 时间（如 2025-03-01T10:00:00+08:00）",
                f"{column} is not an ISO 8601 time (e.g. 2025-03-01T10:00:00+08:00)",
            )
        ) from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA)
    return moment.astimezone(UTC)


def _validation_reason(error: ValidationError, source: Source) -> Bilingual:
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


def check_row(
    line: int, cells: list[str], source: Source, *, now: datetime, max_description_chars: int
) -> Row:
    """The row as a ``Row``, or ``RowInvalid`` naming every problem found in it."""
    if len(cells) > len(source.codes):
        raise RowInvalid(
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
        raise RowInvalid(
            Bilingual("；".join(p.zh for p in problems), "; ".join(p.en for p in problems))
        )
    complainant_name, target, description, external_id = texts
    return Row(
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
    except RowInvalid as problem:
        problems.append(problem.reason)
        return None


def _draft(values: Mapping[str, str], source: Source) -> ComplaintDraft:
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
        raise RowInvalid(_validation_reason(error, source)) from error


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
        raise RowInvalid(
            reason if isinstance(reason, Bilingual) else Bilingual(str(reason), str(reason))
        ) from error


def _received_at(values: Mapping[str, str], source: Source, now: datetime) -> datetime | None:
    if "received_at" not in values:
        return None
    column = source.names["received_at"]
    received_at = _moment(values["received_at"], column)
    if received_at > now:
        raise RowInvalid(Bilingual(f"{column} 晚于现在", f"{column} is in the future"))
    return received_at


def _status(value: str | None, source: Source) -> Status:
    if value is None:
        return Status.RECEIVED
    code = _code(_STATUSES, value)
    if code is None or Status(code) not in IMPORTABLE_STATUSES:
        allowed = " ".join(IMPORTABLE_STATUSES)
        column = source.names["status"]
        raise RowInvalid(
            Bilingual(
                f"{column}“{value}”不能导入；可导入的状态：{allowed}",
                f"{column} '{value}' cannot be imported; the statuses are {allowed}",
            )
        )
    return Status(code)


def _choice(value: str | None, table: Mapping[str, str], code: str, source: Source) -> str | None:
    if value is None:
        return None
    found = _code(table, value)
    if found is None:
        column = source.names[code]
        choices = " ".join(sorted(set(table.values())))
        raise RowInvalid(
            Bilingual(
                f"{column}“{value}”无效；可选：{choices}",
                f"{column} '{value}' is not one of {choices}",
            )
        )
    return found
