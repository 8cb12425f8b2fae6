"""Reply templates (答复模板) per category and situation, filled from the case: never a bare apology.

Each situation has a built-in wording; an organisation may word any category's situation its
own way (``ReplyTemplateText`` rows). Either way the text names the case through placeholders
such as ``{name}``, filled in one pass, so a brace typed by a customer is never read as one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from kesu.complaints.models import Complaint
from kesu.core.errors import Bilingual, InvalidInput

MAX_TEMPLATE_LENGTH = 2000


class Situation(StrEnum):
    FIRST_RESPONSE = "first_response"
    FINDINGS = "findings"
    REMEDY = "remedy"
    CLOSING = "closing"


SITUATION_LABELS = {
    Situation.FIRST_RESPONSE: ("首次回复", "First response"),
    Situation.FINDINGS: ("调查结果", "Findings"),
    Situation.REMEDY: ("处理方案", "Remedy"),
    Situation.CLOSING: ("结案回访", "Closing"),
}

PLACEHOLDER_LABELS = {
    "name": ("投诉人姓名", "the complainant's name"),
    "tracking_number": ("受理编号", "the tracking number"),
    "target": ("投诉对象", "what the complaint is about"),
    "fact": ("按类别概括的投诉事由", "the complaint summed up by its category"),
    "findings": ("调查结论", "the investigation's findings"),
    "remedies": ("已批准的处理方案", "the approved remedies"),
}
_COMMON = ("name", "tracking_number", "target", "fact")
PLACEHOLDERS = {
    Situation.FIRST_RESPONSE: _COMMON,
    Situation.FINDINGS: (*_COMMON, "findings"),
    Situation.REMEDY: (*_COMMON, "remedies"),
    Situation.CLOSING: _COMMON,
}
"""The placeholders each situation can fill: findings exist once investigated, remedies once
approved."""

BUILT_IN = {
    Situation.FIRST_RESPONSE: "{name}您好，我是负责您投诉（受理编号 {tracking_number}）的工作人员。"
    "{fact}我们已经登记并开始核实，会在核实后第一时间告诉您结果和处理方案。"
    "请问方便补充购买凭证或照片吗？",
    Situation.FINDINGS: "{name}您好，关于{fact}，我们核实的情况是：{findings}。"
    "这是我们的问题，给您带来的麻烦我们很抱歉，接下来会按下面的方案处理。",
    Situation.REMEDY: "{name}您好，针对{fact}，我们的处理方案是：{remedies}。"
    "如您同意，我们今天就安排落实，落实后会再与您确认。",
    Situation.CLOSING: "{name}您好，您的投诉（受理编号 {tracking_number}）已处理完毕。"
    "想确认一下问题是否已经彻底解决？您的意见会用于改进我们的产品和服务。",
}

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
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class ReplyTemplate(BaseModel):
    situation: str
    title: str
    text: str


class ReplyTemplateWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"text": "{name}您好，您的投诉（受理编号 {tracking_number}）已处理完毕。"}]
        },
    )

    text: Annotated[str, Field(min_length=1, max_length=MAX_TEMPLATE_LENGTH)]


class ReplyTemplateEntry(BaseModel):
    """One situation of one category as administrators see it: the wording in use and its source."""

    category: str
    situation: str
    text: str
    built_in: str
    customised: bool
    """The organisation's own wording is in use (else the built-in one)."""
    placeholders: list[str]
    updated_at: datetime | None
    updated_by: str | None


def check_wording(situation: Situation, text: str) -> None:
    """Refuse placeholders the situation cannot fill, and stray braces."""
    allowed = PLACEHOLDERS[situation]
    unknown = sorted({name for name in _PLACEHOLDER.findall(text) if name not in allowed})
    if unknown:
        names = "、".join("{" + name + "}" for name in unknown)
        usable = " ".join("{" + name + "}" for name in allowed)
        raise InvalidInput(
            reason=Bilingual(
                f"此处不能使用占位符 {names}，可用：{usable}",
                f"{names} cannot be used here; usable placeholders: {usable}",
            )
        )
    if "{" in _PLACEHOLDER.sub("", text) or "}" in _PLACEHOLDER.sub("", text):
        raise InvalidInput(
            reason=Bilingual(
                "花括号只能用于占位符，如 {name}", "braces are only for placeholders such as {name}"
            )
        )


def _fill(text: str, values: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def reply_templates(
    complaint: Complaint,
    findings: str | None,
    approved: Sequence[str],
    wording: Mapping[str, str] | None = None,
) -> list[ReplyTemplate]:
    """Ready-to-adapt replies for this case: acknowledgement, findings, remedy and closing.

    ``findings`` are the investigation's (None before one is recorded), ``approved`` the
    descriptions of the approved remedies, ``wording`` the organisation's own text by situation
    for the complaint's category.
    """
    own = wording or {}
    values = {
        "name": complaint.complainant_name,
        "tracking_number": complaint.tracking_number,
        "target": complaint.target,
        "fact": _CATEGORY_FACT.get(complaint.category or "other", _CATEGORY_FACT["other"]).format(
            target=complaint.target
        ),
    }
    situations = [Situation.FIRST_RESPONSE]
    if findings is not None:
        situations.append(Situation.FINDINGS)
        values["findings"] = findings
    if approved:
        situations.append(Situation.REMEDY)
        values["remedies"] = "；".join(approved)
    situations.append(Situation.CLOSING)
    return [
        ReplyTemplate(
            situation=situation,
            title=SITUATION_LABELS[situation][0],
            text=_fill(own.get(situation, BUILT_IN[situation]), values),
        )
        for situation in situations
    ]
