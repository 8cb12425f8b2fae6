from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from kesu.sla.calendar import ClockType


class ClockRead(BaseModel):
    kind: str
    label: str
    policy_name: str
    clock_type: str
    started_at: datetime
    due_at: datetime
    state: str
    breached: bool
    breached_at: datetime | None
    met_at: datetime | None
    remaining_seconds: int | None
    """Until the deadline now (negative once missed); while paused, what was left."""


class BreachRead(BaseModel):
    complaint_id: int
    tracking_number: str
    kind: str
    label: str
    due_at: datetime
    breached_at: datetime
    escalation_level: int
    status: str


class PolicyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "物流投诉 48 小时",
                    "category": "logistics",
                    "first_response_minutes": 120,
                    "resolution_minutes": 2880,
                    "clock_type": "calendar",
                    "warn_before_minutes": 240,
                    "compensation_voucher": "10 元运费券",
                }
            ]
        },
    )

    name: Annotated[str, Field(min_length=1, max_length=120)]
    category: Annotated[str, Field(max_length=32)] | None = None
    priority: Annotated[str, Field(pattern="^P[1-4]$")] | None = None
    customer_tag: Annotated[str, Field(max_length=32)] | None = None
    first_response_minutes: Annotated[int, Field(ge=1, le=60 * 24 * 90)]
    resolution_minutes: Annotated[int, Field(ge=1, le=60 * 24 * 365)]
    first_response_clock_type: ClockType = ClockType.CALENDAR
    clock_type: ClockType = ClockType.WORKING
    warn_before_minutes: Annotated[int, Field(ge=0, le=60 * 24 * 30)] = 120
    compensation_voucher: Annotated[str, Field(max_length=120)] | None = None


class PolicyRead(PolicyCreate):
    model_config = ConfigDict(from_attributes=True)

    id: int
    is_active: bool


class CalendarDayWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"day": "2027-01-31", "is_working": True, "note": "年终促销调休"}]
        },
    )

    day: date
    is_working: bool
    note: Annotated[str, Field(max_length=200)] | None = None
