"""Reply templates (答复模板) per category and situation, filled from the case: never a bare apology."""

from __future__ import annotations

from pydantic import BaseModel

from kesu.complaints.models import Complaint
from kesu.handling.models import Investigation, RemedyProposal

_CATEGORY_FACT = {
    "product_quality": "您反映的{target}质量问题",
    "service_attitude": "您反映的工作人员服务态度问题",
    "logistics": "您反映的{target}配送问题",
    "billing_refund": "您反映的{target}费用与退款问题",
    "misinformation": "您反映的{target}宣传与实际不符问题",
    "communication": "您反映的沟通不及时问题",
    "safety": "您反映的{target}安全隐患",
    "privacy": "您反映的个人信息问题",
    "other": "您反映的{target}问题",
}


class ReplyTemplate(BaseModel):
    situation: str
    title: str
    text: str


def reply_templates(
    complaint: Complaint, investigation: Investigation | None, approved: list[RemedyProposal]
) -> list[ReplyTemplate]:
    """Ready-to-adapt replies for this case: acknowledgement, findings, remedy and closing."""
    name, number = complaint.complainant_name, complaint.tracking_number
    fact = _CATEGORY_FACT.get(complaint.category or "other", _CATEGORY_FACT["other"]).format(
        target=complaint.target
    )
    templates = [
        ReplyTemplate(
            situation="first_response",
            title="首次回复",
            text=f"{name}您好，我是负责您投诉（受理编号 {number}）的工作人员。{fact}我们已经登记并开始核实，"
            "会在核实后第一时间告诉您结果和处理方案。请问方便补充购买凭证或照片吗？",
        )
    ]
    if investigation is not None:
        templates.append(
            ReplyTemplate(
                situation="findings",
                title="调查结果",
                text=f"{name}您好，关于{fact}，我们核实的情况是：{investigation.findings}。"
                "这是我们的问题，给您带来的麻烦我们很抱歉，接下来会按下面的方案处理。",
            )
        )
    if approved:
        remedies = "；".join(p.description for p in approved)
        templates.append(
            ReplyTemplate(
                situation="remedy",
                title="处理方案",
                text=f"{name}您好，针对{fact}，我们的处理方案是：{remedies}。如您同意，我们今天就安排落实，"
                "落实后会再与您确认。",
            )
        )
    templates.append(
        ReplyTemplate(
            situation="closing",
            title="结案回访",
            text=f"{name}您好，您的投诉（受理编号 {number}）已处理完毕。想确认一下问题是否已经彻底解决？"
            "您的意见会用于改进我们的产品和服务。",
        )
    )
    return templates
