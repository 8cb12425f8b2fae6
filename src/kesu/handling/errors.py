from __future__ import annotations

from kesu.core.errors import Conflict


class NothingToSubmit(Conflict):
    code = "no_remedy_proposed"
    message_zh = "还没有待提交的处理方案。"
    message_en = "There is no proposed remedy to submit."
