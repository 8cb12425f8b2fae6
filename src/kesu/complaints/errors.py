from __future__ import annotations

from kesu.core.errors import Conflict, InvalidInput, NotFound


class ComplaintNotFound(NotFound):
    code = "complaint_not_found"
    message_zh = "未找到该投诉。"
    message_en = "Complaint not found."


class InvalidTransition(Conflict):
    code = "invalid_transition"
    message_zh = "当前状态（{status}）不允许执行“{action}”。"
    message_en = "The action {action} is not allowed while the complaint is {status}."


class ResumeStatusMissing(Conflict):
    code = "resume_status_missing"
    message_zh = "无法确定客户回复后应恢复的状态。"
    message_en = "The status to resume after the customer's reply is unknown."


class ReasonRequired(InvalidInput):
    code = "reason_required"
    message_zh = "执行“{action}”需要填写原因。"
    message_en = "The action {action} needs a reason."


class UseDomainCommand(Conflict):
    code = "use_domain_command"
    message_zh = "“{action}”需通过对应的功能完成（处理方案、主管批示或归档检查）。"
    message_en = (
        "The action {action} is taken through its own command (remedies, approval or archive)."
    )


class EvidenceRefused(InvalidInput):
    code = "evidence_refused"
    message_zh = "附件“{filename}”未被接受：{reason}"
    message_en = "The evidence file {filename} was refused: {reason}"
