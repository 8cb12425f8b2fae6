from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Strategy(StrEnum):
    DEPARTMENT = "department"
    LEAST_LOADED = "least_loaded"
    ROUND_ROBIN = "round_robin"
    SKILL = "skill"
    """The least-loaded handler trained for the complaint's category (else the least-loaded)."""


class RuleDraft(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "物流投诉",
                    "position": 10,
                    "category": "logistics",
                    "department_code": "LOG",
                    "strategy": "least_loaded",
                }
            ]
        },
    )

    name: Annotated[str, Field(min_length=1, max_length=120)]
    position: Annotated[int, Field(ge=0, le=1_000_000)] = 100
    category: Annotated[str, Field(max_length=32)] | None = None
    product_line: Annotated[str, Field(max_length=60)] | None = None
    region_prefix: Annotated[str, Field(max_length=120)] | None = None
    channel: Annotated[str, Field(max_length=16)] | None = None
    customer_tag: Annotated[str, Field(max_length=32)] | None = None
    department_code: Annotated[str, Field(min_length=1, max_length=40)]
    strategy: Strategy = Strategy.DEPARTMENT


class RuleRead(BaseModel):
    id: int
    name: str
    position: int
    category: str | None
    product_line: str | None
    region_prefix: str | None
    channel: str | None
    customer_tag: str | None
    department_id: int
    department_name: str
    strategy: str
    is_active: bool


class RouteSuggestion(BaseModel):
    rule_id: int | None
    rule_name: str | None
    department_id: int | None
    department_name: str | None
    assignee_id: int | None
    assignee_name: str | None


class RouteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"version": 3}]})

    version: Annotated[int, Field(ge=1)]


class ReassignRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"version": 4, "department_id": 3, "reason": "实为运输损坏，转储运部"}]
        },
    )

    version: Annotated[int, Field(ge=1)]
    department_id: int | None = None
    assignee_id: int | None = None
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class RegionRouteRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"version": 3, "respondent_regions": ["浙江省杭州市西湖区", "浙江省杭州市滨江区"]}
            ]
        },
    )

    version: Annotated[int, Field(ge=1)]
    respondent_regions: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=120)]],
        Field(min_length=1, max_length=20),
    ]


class DelegateRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"version": 4, "unit_id": 7, "reason": "属地处理"}]},
    )

    version: Annotated[int, Field(ge=1)]
    unit_id: int
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class TransferOrderCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "respondent": "杭州澜泉电器有限公司",
                    "respondent_contact": "service@example.com",
                    "days": 15,
                }
            ]
        },
    )

    respondent: Annotated[str, Field(min_length=1, max_length=200)]
    respondent_contact: Annotated[str, Field(max_length=254)] | None = None
    days: Annotated[int, Field(ge=1, le=90)] = 15


class TransferAnswer(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"answer": "已为消费者更换新机并补偿 200 元。"}]},
    )

    answer: Annotated[str, Field(min_length=1, max_length=10_000)]


class TransferOrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    complaint_id: int
    unit_id: int | None
    respondent: str
    respondent_contact: str | None
    issued_at: datetime
    due_at: datetime
    answered_at: datetime | None
    answer: str | None
    urge_count: int
    last_urged_at: datetime | None
