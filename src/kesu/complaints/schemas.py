"""Pydantic shapes of the complaint aggregate: the draft that registers one and the views of it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator

from kesu.complaints.lifecycle import Action
from kesu.complaints.models import Channel, Demand, TargetType
from kesu.core.errors import InvalidInput
from kesu.core.text_limits import normalise_phone


def _phone(value: str) -> str:
    try:
        return normalise_phone(value)
    except InvalidInput as error:
        raise ValueError("phone must have 7 to 15 digits") from error


PhoneNumber = Annotated[str, AfterValidator(_phone)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]


class ComplaintDraft(BaseModel):
    """The registration form (客户投诉登记表) as any channel submits it."""

    model_config = ConfigDict(
        str_strip_whitespace=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "complainant_name": "王芳",
                    "phone": "13800138001",
                    "email": "wangfang@example.com",
                    "channel": "web",
                    "region": "浙江省杭州市西湖区",
                    "target_type": "product",
                    "target": "澜泉 JSQ25-12 燃气热水器",
                    "product_line": "热水器",
                    "order_number": "202611034512",
                    "description": "11月3日安装的热水器，用了一周就点不着火，师傅上门两次都没修好，洗澡只能烧水。",
                    "demands": ["exchange", "compensation"],
                    "occurred_at": "2026-11-03T10:00:00+08:00",
                }
            ]
        },
    )

    complainant_name: Annotated[str, Field(min_length=1, max_length=120)]
    phone: PhoneNumber | None = None
    email: EmailStr | None = None
    channel: Channel = Channel.WEB
    region: Annotated[str, Field(max_length=120)] | None = None
    target_type: TargetType = TargetType.PRODUCT
    target: ShortText
    product_line: Annotated[str, Field(max_length=60)] | None = None
    order_number: Annotated[str, Field(max_length=60)] | None = None
    description: Annotated[str, Field(min_length=1, max_length=100_000)]
    demands: Annotated[list[Demand], Field(min_length=1, max_length=7)]
    occurred_at: datetime | None = None

    @model_validator(mode="after")
    def _needs_a_way_to_reach_the_customer(self) -> ComplaintDraft:
        if self.phone is None and self.email is None:
            raise ValueError("give a phone number or an e-mail address")
        if self.occurred_at is not None and self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at needs a timezone, e.g. 2026-11-03T10:00:00+08:00")
        self.demands = list(dict.fromkeys(self.demands))
        if self.email is not None:
            self.email = self.email.lower()
        return self


class TimelineEventRead(BaseModel):
    at: datetime
    kind: str
    label: str
    actor_name: str
    from_status: str | None
    to_status: str | None
    note: str | None
    detail: str | None = None
    """A short fact about the event, e.g. the department a complaint was assigned to."""


class EvidenceRead(BaseModel):
    id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str


class ComplaintPublic(BaseModel):
    """What the complainant sees when tracking a case: their own case, no staff internals."""

    tracking_number: str
    status: str
    status_label: str
    received_at: datetime
    updated_at: datetime
    target: str
    demands: list[str]
    timeline: list[TimelineEventRead]


class ComplaintRead(BaseModel):
    """The staff view."""

    id: int
    tracking_number: str
    status: str
    status_label: str
    version: int
    customer_id: int
    complainant_name: str
    contact_phone: str | None
    contact_email: str | None
    channel: str
    region: str | None
    target_type: str
    target: str
    product_line: str | None
    order_number: str | None
    description: str
    demands: list[str]
    occurred_at: datetime | None
    received_at: datetime
    updated_at: datetime
    category: str | None
    priority: str | None
    department_id: int | None
    department_name: str | None = None
    assignee_id: int | None
    allowed_actions: list[str]
    evidence: list[EvidenceRead]
    timeline: list[TimelineEventRead]


class ComplaintSummary(BaseModel):
    id: int
    tracking_number: str
    status: str
    status_label: str
    complainant_name: str
    channel: str
    target: str
    category: str | None
    priority: str | None
    received_at: datetime
    version: int


class TransitionRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"action": "triage", "version": 1, "note": "信息完整，受理。"}]
        },
    )

    action: Action
    version: Annotated[int, Field(ge=1)]
    """The version the caller last saw; a different current version is a conflict."""
    note: Annotated[str, Field(max_length=5000)] | None = None


class AppealRequest(BaseModel):
    """A complainant appeals a rejection (不予受理), proving who they are as tracking does."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "tracking_number": "KS261123-R8DJCG",
                    "phone": "13800138001",
                    "reason": "热水器确实有质量问题，检测报告已上传，请重新受理。",
                }
            ]
        },
    )

    tracking_number: Annotated[str, Field(min_length=1, max_length=20)]
    phone: Annotated[str, Field(min_length=1, max_length=254)]
    """The phone number (or e-mail) given when filing."""
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Annotated[int, Field(ge=1)]
    department_id: int | None = None
    assignee_id: int | None = None
    note: Annotated[str, Field(max_length=5000)] | None = None
