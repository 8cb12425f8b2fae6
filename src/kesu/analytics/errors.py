from __future__ import annotations

from kesu.core.errors import InvalidInput


class PeriodReversed(InvalidInput):
    code = "period_reversed"
    message_zh = "统计区间的开始日期 {start} 晚于结束日期 {end}。"
    message_en = "The period starts ({start}) after it ends ({end})."


class PeriodTooLong(InvalidInput):
    code = "period_too_long"
    message_zh = "统计区间最长 {years} 年（{start} 至 {end} 超出）。"
    message_en = "A period may span at most {years} years ({start} to {end} is longer)."
