from __future__ import annotations

from kesu.core.errors import InvalidInput


class UnknownCategory(InvalidInput):
    code = "unknown_category"
    message_zh = "未知的投诉类别：{category}"
    message_en = "Unknown complaint category: {category}"


class NothingToCorrect(InvalidInput):
    code = "nothing_to_correct"
    message_zh = "请指定要更正的类别或优先级。"
    message_en = "Give a category or a priority to correct."
