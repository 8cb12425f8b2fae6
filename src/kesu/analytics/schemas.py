"""The dashboard summary as the API returns it (统计分析)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Bucket(StrEnum):
    DAY = "day"
    WEEK = "week"
    """Monday to Sunday, cut at the period's ends."""


class ChangeKind(StrEnum):
    PERCENT = "percent"
    """Relative change in % of the previous value (counts, times)."""
    POINTS = "points"
    """Difference in percentage points (rates)."""
    DIFFERENCE = "difference"
    """Plain difference (CSAT on its 1–5 scale, NPS points)."""


class Period(BaseModel):
    start: date
    end: date
    """Inclusive; both are China Standard Time days."""
    days: int


class Totals(BaseModel):
    """The period's complaints, by the day they were received, and how they fared.

    Rates are shares of ``complaints`` (0–1); compliance is the share of decided clocks that were
    met on time; averages are in hours. ``None`` where there is nothing to divide by.
    """

    complaints: int
    resolved: int
    resolution_rate: float | None
    escalated: int
    escalation_rate: float | None
    reopened: int
    reopen_rate: float | None
    repeated: int
    """From customers who had complained in the 90 days before."""
    repeat_rate: float | None
    first_response_hours: float | None
    resolution_hours: float | None
    """From receipt to resolution, over resolved complaints with a resolution clock."""
    first_response_compliance: float | None
    resolution_compliance: float | None
    sla_compliance: float | None
    """Both kinds of clock together."""
    sla_breaches: int
    csat_average: float | None
    """1–5, over answered follow-up visits."""
    csat_responses: int
    nps: float | None
    """Promoters less detractors, in % of answers (−100 to 100)."""
    nps_responses: int


class Kpi(BaseModel):
    """One headline figure with its period-over-period change."""

    key: str
    label: str
    value: float | None
    previous: float | None
    change: float | None
    change_kind: ChangeKind
    higher_is_better: bool


class BreakdownRow(BaseModel):
    key: str
    """Category, channel or status code, province name, or department id (``none``: not yet
    assigned; ``uncategorised``: not yet categorised)."""
    label: str
    complaints: int
    previous_complaints: int
    share: float | None
    """Of the period's complaints."""
    change: float | None
    """Relative to the previous period, in %; ``None`` when it had none."""


class GroupRow(BreakdownRow):
    """A category or department, with how its complaints fared."""

    sla_compliance: float | None
    resolution_hours: float | None
    csat_average: float | None
    escalation_rate: float | None


class SeriesPoint(BaseModel):
    start: date
    end: date
    complaints: int
    resolved: int
    escalated: int


class AnalyticsSummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "period": {"start": "2026-10-25", "end": "2026-11-23", "days": 30},
                    "previous_period": {"start": "2026-09-25", "end": "2026-10-24", "days": 30},
                    "bucket": "day",
                    "department_id": None,
                    "category": None,
                    "departments_in_scope": None,
                    "refreshed_at": "2026-11-23T09:29:00Z",
                    "pending_days": 0,
                    "current": {
                        "complaints": 1284,
                        "resolved": 1010,
                        "resolution_rate": 0.787,
                        "escalated": 96,
                        "escalation_rate": 0.075,
                        "reopened": 21,
                        "reopen_rate": 0.016,
                        "repeated": 140,
                        "repeat_rate": 0.109,
                        "first_response_hours": 3.2,
                        "resolution_hours": 61.5,
                        "first_response_compliance": 0.97,
                        "resolution_compliance": 0.91,
                        "sla_compliance": 0.94,
                        "sla_breaches": 118,
                        "csat_average": 4.1,
                        "csat_responses": 640,
                        "nps": 22.5,
                        "nps_responses": 600,
                    },
                    "previous": {
                        "complaints": 1190,
                        "resolved": 1102,
                        "resolution_rate": 0.926,
                        "escalated": 101,
                        "escalation_rate": 0.085,
                        "reopened": 30,
                        "reopen_rate": 0.025,
                        "repeated": 120,
                        "repeat_rate": 0.101,
                        "first_response_hours": 4.0,
                        "resolution_hours": 70.2,
                        "first_response_compliance": 0.95,
                        "resolution_compliance": 0.88,
                        "sla_compliance": 0.915,
                        "sla_breaches": 170,
                        "csat_average": 3.9,
                        "csat_responses": 700,
                        "nps": 15.0,
                        "nps_responses": 660,
                    },
                    "kpis": [
                        {
                            "key": "complaints",
                            "label": "投诉量",
                            "value": 1284,
                            "previous": 1190,
                            "change": 7.9,
                            "change_kind": "percent",
                            "higher_is_better": False,
                        }
                    ],
                    "by_category": [
                        {
                            "key": "logistics",
                            "label": "物流/运输",
                            "complaints": 402,
                            "previous_complaints": 350,
                            "share": 0.313,
                            "change": 14.9,
                            "sla_compliance": 0.9,
                            "resolution_hours": 48.0,
                            "csat_average": 3.8,
                            "escalation_rate": 0.06,
                        }
                    ],
                    "by_department": [],
                    "by_channel": [
                        {
                            "key": "phone",
                            "label": "电话",
                            "complaints": 530,
                            "previous_complaints": 501,
                            "share": 0.413,
                            "change": 5.8,
                        }
                    ],
                    "by_province": [],
                    "by_status": [],
                    "series": [
                        {
                            "start": "2026-11-23",
                            "end": "2026-11-23",
                            "complaints": 45,
                            "resolved": 3,
                            "escalated": 2,
                        }
                    ],
                }
            ]
        }
    )

    period: Period
    previous_period: Period
    """As long as ``period`` and just before it."""
    bucket: Bucket
    """Of ``series``: days up to 62 days, weeks beyond."""
    department_id: int | None
    """The department asked for (0: complaints not yet assigned)."""
    category: str | None
    departments_in_scope: list[int] | None
    """The departments a department-scoped viewer is limited to; ``None``: all."""
    refreshed_at: datetime | None
    """When the rollup was last complete; changes since then are counted within a minute."""
    pending_days: int = Field(ge=0)
    """Receipt days with changes not yet counted."""
    current: Totals
    previous: Totals
    kpis: list[Kpi]
    by_category: list[GroupRow]
    by_department: list[GroupRow]
    by_channel: list[BreakdownRow]
    by_province: list[BreakdownRow]
    by_status: list[BreakdownRow]
    series: list[SeriesPoint]
