from __future__ import annotations

from kesu.core.errors import Conflict, InvalidInput, NotFound


class NoMatchingRule(NotFound):
    code = "no_matching_rule"
    message_zh = "没有适用于该投诉的派单规则，请人工派单。"
    message_en = "No routing rule matches this complaint; assign it by hand."


class UnknownDepartment(InvalidInput):
    code = "unknown_department"
    message_zh = "未知的部门代码：{code}"
    message_en = "Unknown department code: {code}"


class BadRuleFile(InvalidInput):
    code = "bad_rule_file"
    message_zh = "规则文件第 {line} 行有误：{reason}"
    message_en = "Rule file line {line} is invalid: {reason}"


class TransferAlreadyAnswered(Conflict):
    code = "transfer_already_answered"
    message_zh = "该转办单已答复。"
    message_en = "This transfer order has already been answered."
