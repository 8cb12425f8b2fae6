from __future__ import annotations

from datetime import datetime
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
