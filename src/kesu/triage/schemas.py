from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from kesu.text.analysis import Priority


class ReasonRead(BaseModel):
    code: str
    label: str
    words: list[str]


class ThreatRead(BaseModel):
    kind: str
    label: str
    words: list[str]


class TriageRead(BaseModel):
    """Why the complaint was classified and prioritised as it was."""

    assessed_at: datetime
    model_version: str
    category: str
    category_label: str
    confidence: float
    drivers: list[str]
    needs_review: bool
    anger_level: int
    anger_score: float
    anger_evidence: list[str]
    threats: list[ThreatRead]
    safety_words: list[str]
    priority: str
    priority_label: str
    reasons: list[ReasonRead]
    suggestion: str
    suggestion_label: str
    hints: list[str]
    hint_labels: list[str]
    duplicate_of: list[str]
    suggested_reply: str | None
    corrected: bool
    """An agent has corrected the category or priority since."""


class TriageCorrectionRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"category": "logistics", "priority": "P2", "note": "实为快递丢件"}]
        },
    )

    category: str | None = None
    priority: Priority | None = None
    note: Annotated[str, Field(max_length=2000)] | None = None


class AnalyseRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "買的熱水器漏電，孩子被電到了！我要去12315投訴！",
                    "product_line": "热水器",
                }
            ]
        },
    )

    text: Annotated[str, Field(min_length=1, max_length=100_000)]
    product_line: Annotated[str, Field(max_length=60)] | None = None
    is_vip: bool = False
