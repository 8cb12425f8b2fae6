from __future__ import annotations

from kesu.core.errors import Conflict


class NothingToSubmit(Conflict):
    code = "no_remedy_proposed"
    message_zh = "还没有待提交的处理方案。"
    message_en = "There is no proposed remedy to submit."


class CauseCodeTaken(Conflict):
    # Keeps the code ``conflict`` the causes API has always answered with.
    code = "conflict"
    message_zh = "原因代码 {code} 已在目录中。"
    message_en = "The cause code {code} is already in the catalogue."
