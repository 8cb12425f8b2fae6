from __future__ import annotations

from kesu.core.errors import Conflict


class AlreadyAtTop(Conflict):
    code = "already_at_top_level"
    message_zh = "该投诉已在最高级别（总部/监管）处理。"
    message_en = "The complaint is already handled at the top level."


class AlreadyAtBottom(Conflict):
    code = "already_at_front_line"
    message_zh = "该投诉已在一线处理，无法再发还。"
    message_en = "The complaint is already with the front line; it cannot be sent further down."
