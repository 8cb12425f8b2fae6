"""Courteous explanations (委婉答复) for complaints that may not stand, specific to the case."""

from __future__ import annotations

from kesu.text.validity import Hint

_PARAGRAPHS = {
    Hint.NO_CONTENT: "我们没能从您的留言中读到具体的问题经过",
    Hint.TOO_SHORT: "目前的描述还不足以让我们核实问题",
    Hint.MISSING_FACTS: "为了尽快核实，我们还需要事情发生的时间、订单号或产品型号等信息",
    Hint.OUTSIDE_PERIOD: "根据记录，此事可能已超出保修或售后政策的期限，但我们仍会认真查看是否有可以为您做的",
    Hint.OPINION_ONLY: "您的意见我们已如实记录，并会转给相关部门参考改进",
    Hint.DUPLICATE_OPEN_CASE: "您反映的情况与您此前提交、正在处理中的投诉相同，我们会合并处理，避免您重复沟通",
}


def courteous_reply(
    *, name: str, target: str, hints: tuple[Hint, ...], tracking_number: str
) -> str:
    """A reply that names the case and the reason; never a mechanical apology."""
    reasons = "；".join(_PARAGRAPHS[hint] for hint in hints if hint in _PARAGRAPHS)
    return (
        f"{name}您好：感谢您就“{target}”与我们联系（受理编号 {tracking_number}）。{reasons}。"
        "如您能补充相关凭证（照片、订单截图、购买日期等），请直接回复或凭受理编号在查询页上传，"
        "我们收到后会在 1 个工作日内重新核实并回复您。如对处理结果有异议，您也可以申诉。"
    )
