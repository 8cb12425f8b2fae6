"""Languages and label tables: stored values are codes, people read labels."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class Language(StrEnum):
    ZH = "zh-CN"
    EN = "en"


DEFAULT_LANGUAGE = Language.ZH

Labels = Mapping[Any, tuple[str, str]]
"""code (a str or StrEnum member) → (zh-CN label, English label)."""


def label(labels: Labels, code: object, language: Language) -> str:
    """The label of ``code`` in ``language``; an unknown code renders as itself."""
    pair = labels.get(code)
    if pair is None:
        return str(code)
    return pair[0] if language is Language.ZH else pair[1]


def negotiate(accept_language: str | None) -> Language:
    """Pick the language from an Accept-Language header; Chinese unless English is preferred."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    best = accept_language.split(",")[0].strip().lower()
    return Language.EN if best.startswith("en") else Language.ZH
