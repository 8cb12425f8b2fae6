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
