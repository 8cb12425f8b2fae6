"""Input normalisation shared by every domain that accepts free text from the outside world."""

from __future__ import annotations

import re
import unicodedata

from kesu.core.errors import Bilingual, InvalidInput

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str, *, field: Bilingual, max_length: int, required: bool = True) -> str:
    """Strip control characters and surrounding blanks; refuse empty or over-long text."""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", value)).strip()
    if required and not text:
        raise InvalidInput(reason=Bilingual(f"{field.zh}不能为空", f"{field.en} is empty"))
    if len(text) > max_length:
        raise InvalidInput(
            reason=Bilingual(
                f"{field.zh}不能超过 {max_length} 个字符",
                f"{field.en} is longer than {max_length} characters",
            )
        )
    return text


_PHONE_DIGITS = re.compile(r"\D")


def normalise_phone(value: str) -> str:
    """Digits only, without the +86/0086 country prefix; refuse anything that is not a phone."""
    digits = _PHONE_DIGITS.sub("", unicodedata.normalize("NFKC", value))
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
            digits = digits[len(prefix) :]
    if not 7 <= len(digits) <= 15:
        raise InvalidInput(
            reason=Bilingual("电话号码应为 7 到 15 位数字", "phone must have 7 to 15 digits")
        )
    return digits


def mask_phone(phone: str) -> str:
    """138****0001 — enough for a customer or agent to recognise, not enough to dial."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
