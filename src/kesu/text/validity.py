"""Validity hints (投诉是否成立): facts that are missing, a period that has passed, an opinion that
is not a complaint. Hints only — a person decides."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from kesu.text.normalize import has_content


class Suggestion(StrEnum):
    ACCEPT = "accept"
    REQUEST_INFO = "request_info"
    LIKELY_INVALID = "likely_invalid"


class Hint(StrEnum):
    NO_CONTENT = "no_content"
    TOO_SHORT = "too_short"
    MISSING_FACTS = "missing_facts"
    OUTSIDE_PERIOD = "outside_period"
    OPINION_ONLY = "opinion_only"
    DUPLICATE_OPEN_CASE = "duplicate_open_case"


HINT_LABELS = {
    Hint.NO_CONTENT: ("内容中没有可读的文字", "The text has no readable words"),
    Hint.TOO_SHORT: ("描述过短，无法判断事实", "Too short to establish the facts"),
    Hint.MISSING_FACTS: (
        "缺少时间、金额、订单或型号等事实",
        "No time, amount, order or model is given",
    ),
    Hint.OUTSIDE_PERIOD: (
        "可能已超出保修或政策期限",
        "Possibly outside the warranty or policy period",
    ),
    Hint.OPINION_ONLY: (
        "更像是评价或意见，而非可处理的投诉",
        "Reads as an opinion rather than an actionable complaint",
    ),
    Hint.DUPLICATE_OPEN_CASE: (
        "与该客户尚未办结的投诉重复",
        "Duplicates an open complaint of the same customer",
    ),
}
SUGGESTION_LABELS = {
    Suggestion.ACCEPT: ("建议受理", "Accept"),
    Suggestion.REQUEST_INFO: ("建议补充材料", "Ask for more information"),
    Suggestion.LIKELY_INVALID: ("可能不成立，请人工判断", "Possibly invalid — a person decides"),
}

_HAN = re.compile(r"[\u4e00-\u9fff]")
_FACTS = re.compile(
    r"\d|[一二两三四五六七八九十]+(?:月|日|号|天|周|年|元|块|次|个|件)|昨天|今天|前天|上周|本周|"
    r"上个月|这个月|订单|单号|型号|发票|小票|收据|元|块钱"
)
_NUMERAL = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_YEARS_OF_USE = re.compile(
    r"(?:用了|买了|使用了|购买了|已经)(\d+|[一二两三四五六七八九十]+)(?:多)?年"
)
MIN_FACT_CHARS = 8


def _years(token: str) -> int:
    if token.isdigit():
        return int(token)
    if token.startswith("十"):
        return 10 + _NUMERAL.get(token[1:], 0)
    if "十" in token:
        tens, _, ones = token.partition("十")
        return _NUMERAL.get(tens, 1) * 10 + _NUMERAL.get(ones, 0)
    return _NUMERAL.get(token, 0)


@dataclass(frozen=True)
class ValidityReading:
    suggestion: Suggestion
    hints: tuple[Hint, ...]


def read_validity(
    text: str,
    *,
    category: str,
    category_confidence: float,
    occurred_at: datetime | None,
    received_at: datetime,
    policy_days: int,
) -> ValidityReading:
    """Hints from normalised ``text`` and dates; ``policy_days`` is the warranty or policy period."""
    hints: list[Hint] = []
    if not has_content(text):
        hints.append(Hint.NO_CONTENT)
    elif len(_HAN.findall(text)) < MIN_FACT_CHARS and not re.search(r"[a-zA-Z]{3,}", text):
        hints.append(Hint.TOO_SHORT)
    elif not _FACTS.search(text):
        hints.append(Hint.MISSING_FACTS)
    years = [_years(match.group(1)) for match in _YEARS_OF_USE.finditer(text)]
    period = timedelta(days=policy_days)
    if (occurred_at is not None and received_at - occurred_at > period) or any(
        year * 365 > policy_days for year in years
    ):
        hints.append(Hint.OUTSIDE_PERIOD)
    if category == "other" and category_confidence >= 0.6:
        hints.append(Hint.OPINION_ONLY)
    return ValidityReading(suggestion=suggest(hints), hints=tuple(hints))


def suggest(hints: list[Hint] | tuple[Hint, ...]) -> Suggestion:
    if any(
        h in {Hint.NO_CONTENT, Hint.OUTSIDE_PERIOD, Hint.OPINION_ONLY, Hint.DUPLICATE_OPEN_CASE}
        for h in hints
    ):
        return Suggestion.LIKELY_INVALID
    if any(h in {Hint.TOO_SHORT, Hint.MISSING_FACTS} for h in hints):
        return Suggestion.REQUEST_INFO
    return Suggestion.ACCEPT
