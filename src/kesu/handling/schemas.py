from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class ContactChannel(StrEnum):
    CALL = "call"
    SMS = "sms"
    EMAIL = "email"
    VISIT = "visit"
    CHAT = "chat"
    LETTER = "letter"


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


CONTACT_CHANNEL_LABELS = {
    ContactChannel.CALL: ("电话", "Call"),
    ContactChannel.SMS: ("短信", "SMS"),
    ContactChannel.EMAIL: ("邮件", "E-mail"),
    ContactChannel.VISIT: ("上门/面谈", "Visit"),
    ContactChannel.CHAT: ("在线沟通", "Chat"),
    ContactChannel.LETTER: ("信函", "Letter"),
}
DIRECTION_LABELS = {
    Direction.OUTBOUND: ("去电/发出", "Outbound"),
    Direction.INBOUND: ("来电/收到", "Inbound"),
}


class ContactCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "channel": "call",
                    "direction": "outbound",
                    "summary": "致电王女士，说明检测安排在周四上午，客户同意。",
                    "contacted_at": "2026-11-23T10:30:00+08:00",
                }
            ]
        },
    )

    channel: ContactChannel
    direction: Direction = Direction.OUTBOUND
    summary: Annotated[str, Field(min_length=1, max_length=5000)]
    contacted_at: datetime | None = None
    """When it happened; default now. Must carry a timezone."""


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: str
    direction: str
    summary: str
    contacted_at: datetime
    recorded_by_name: str


class RemedyKind(StrEnum):
    RETURN = "return"
    EXCHANGE = "exchange"
    REPAIR = "repair"
    DISCOUNT = "discount"
    COMPENSATION = "compensation"
    VOUCHER = "voucher"
    APOLOGY = "apology"
    EXPLANATION = "explanation"


REMEDY_LABELS = {
    RemedyKind.RETURN: ("退货退款", "Return"),
    RemedyKind.EXCHANGE: ("换货", "Exchange"),
    RemedyKind.REPAIR: ("维修", "Repair"),
    RemedyKind.DISCOUNT: ("折扣", "Discount"),
    RemedyKind.COMPENSATION: ("赔偿", "Compensation"),
    RemedyKind.VOUCHER: ("代金券", "Voucher"),
    RemedyKind.APOLOGY: ("道歉", "Apology"),
    RemedyKind.EXPLANATION: ("解释说明", "Explanation"),
}


class RemedyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "version": 4,
                    "kind": "compensation",
                    "amount": "386.00",
                    "description": "赔偿医药费",
                }
            ]
        },
    )

    version: Annotated[int, Field(ge=1)]
    kind: RemedyKind
    amount: Annotated[Decimal, Field(ge=0, le=10_000_000, decimal_places=2)] | None = None
    """Yuan (CNY), at most two decimals; for money remedies."""
    description: Annotated[str, Field(min_length=1, max_length=5000)]


class RemedyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    amount_fen: int | None
    currency: str
    description: str
    status: str
    proposed_by_name: str
    proposed_at: datetime
    decided_by_name: str | None
    decided_at: datetime | None
    decision_comment: str | None


class VersionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"version": 5}]})

    version: Annotated[int, Field(ge=1)]


class RemedyDecision(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"version": 6, "approve": False, "comment": "金额过高，请按半数再谈"}]
        },
    )

    version: Annotated[int, Field(ge=1)]
    approve: bool
    comment: Annotated[str, Field(max_length=5000)] | None = None


class CauseCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"code": "LOGISTICS_DAMAGE", "name": "运输途中损坏"}]},
    )

    code: Annotated[str, Field(min_length=1, max_length=40, pattern="^[A-Z0-9_]+$")]
    name: Annotated[str, Field(min_length=1, max_length=120)]


class CauseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    is_active: bool


class InvestigationWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "cause_code": "PRODUCTION_DEFECT",
                    "findings": "恒温阀批次 B2311 密封圈老化，导致水温骤变。",
                    "responsible_department_id": 2,
                    "responsible_person": "生产二组",
                    "appraisal_requested": True,
                    "appraisal_party": "省质检院",
                    "appraisal_cost_bearer": "company",
                }
            ]
        },
    )

    cause_code: Annotated[str, Field(max_length=40)] | None = None
    findings: Annotated[str, Field(min_length=1, max_length=10_000)]
    responsible_department_id: int | None = None
    responsible_person: Annotated[str, Field(max_length=120)] | None = None
    appraisal_requested: bool = False
    appraisal_party: Annotated[str, Field(max_length=200)] | None = None
    appraisal_cost_bearer: (
        Annotated[str, Field(pattern="^(company|customer|respondent|shared)$")] | None
    ) = None


class InvestigationRead(InvestigationWrite):
    model_config = ConfigDict(from_attributes=True)

    cause_name: str | None = None
    updated_at: datetime


class AccountabilityCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "subject_kind": "department",
                    "subject_id": 2,
                    "finding": "安装前未检测恒温阀",
                    "penalty": "通报批评",
                    "loss_share_percent": 50,
                }
            ]
        },
    )

    subject_kind: Annotated[str, Field(pattern="^(staff|department)$")]
    subject_id: int
    finding: Annotated[str, Field(min_length=1, max_length=5000)]
    penalty: Annotated[str, Field(max_length=200)] | None = None
    loss_share_percent: Annotated[int, Field(ge=0, le=100)] | None = None


class AccountabilityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    subject_kind: str
    subject_id: int | None
    subject_name: str
    finding: str
    penalty: str | None
    loss_share_percent: int | None
    source: str
    status: str
    proposed_at: datetime
    decided_at: datetime | None


class AccountabilityDecision(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"confirm": True}]})

    confirm: bool
