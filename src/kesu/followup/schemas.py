from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class VisitAnswer(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"csat": 4, "nps": 8, "comment": "处理及时，师傅很专业。", "channel": "call"}
            ]
        },
    )

    csat: Annotated[int, Field(ge=1, le=5)]
    nps: Annotated[int, Field(ge=0, le=10)] | None = None
    comment: Annotated[str, Field(max_length=2000)] | None = None
    channel: Annotated[str, Field(pattern="^(call|sms|email|visit|chat|portal)$")] = "call"


class VisitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    scheduled_at: datetime
    done_at: datetime | None
    csat: int | None
    nps: int | None
    comment: str | None
    channel: str | None


class ArchiveCheck(BaseModel):
    complete: bool
    missing: list[str]
    """Codes: ``communication``, ``result``, ``follow_up``."""
    missing_labels: list[str]


class ActionDraft(BaseModel):
    department_id: int
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    due_at: datetime


class EvaluationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "lessons": "安装前未检测恒温阀；售后两次上门均未解决。",
                    "root_cause_class": "process",
                    "actions": [
                        {
                            "department_id": 2,
                            "description": "安装流程增加恒温阀检测项",
                            "due_at": "2026-12-31T18:00:00+08:00",
                        }
                    ],
                }
            ]
        },
    )

    lessons: Annotated[str, Field(min_length=1, max_length=10_000)]
    root_cause_class: Annotated[
        str, Field(pattern="^(product|process|people|communication|supplier|customer|other)$")
    ]
    actions: Annotated[list[ActionDraft], Field(max_length=20)] = []


class ActionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    complaint_id: int
    department_id: int
    description: str
    due_at: datetime
    done_at: datetime | None
    done_note: str | None
    reminders: int


class ActionDone(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "已修订安装规范 V2.3"}]}
    )

    note: Annotated[str, Field(min_length=1, max_length=2000)]
