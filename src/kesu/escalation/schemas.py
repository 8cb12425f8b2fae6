from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from kesu.complaints.schemas import ComplaintRead
from kesu.handling.schemas import ContactRead, RemedyRead
from kesu.sla.schemas import ClockRead


class EscalateRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"version": 5, "reason": "客户威胁媒体曝光，需管理层决定赔偿"}]
        },
    )

    version: Annotated[int, Field(ge=1)]
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class EscalationRead(BaseModel):
    from_level: int
    to_level: int
    trigger: str
    reason: str | None
    actor: str
    at: datetime


class EmotionPoint(BaseModel):
    at: datetime
    anger_level: int
    anger_score: float
    priority: str


class EscalationPacket(BaseModel):
    """Everything a higher level needs before it takes the complaint (no 一问三不知)."""

    complaint: ComplaintRead
    level: int
    level_label: str
    special_attention: bool
    escalations: list[EscalationRead]
    clocks: list[ClockRead]
    emotion_trend: list[EmotionPoint]
    threats: list[str]
    communications: list[ContactRead]
    offers: list[RemedyRead]
    """Remedies proposed so far, with their approval state."""
    prepared_at: datetime
