from __future__ import annotations

from kesu.core.errors import Conflict, NotFound


class ArchiveIncomplete(Conflict):
    code = "archive_incomplete"
    message_zh = "记录不完整，暂不能归档：缺少{missing}。"
    message_en = "The record is incomplete and cannot be archived: missing {missing}."


class NoVisitPending(NotFound):
    code = "no_follow_up_pending"
    message_zh = "该回访不存在或已完成。"
    message_en = "This follow-up visit does not exist or is already done."
