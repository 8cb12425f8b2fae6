from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kesu.core.errors import Bilingual, Conflict, InvalidInput
from kesu.core.i18n import Language


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    message_zh = "该幂等键已用于另一份不同的投诉。"
    message_en = "This Idempotency-Key was already used for a different complaint."


class InvalidIdempotencyKey(InvalidInput):
    code = "invalid_idempotency_key"
    message_zh = "幂等键应为 1 到 200 个可见字符。"
    message_en = "An Idempotency-Key must be 1 to 200 visible characters."


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
