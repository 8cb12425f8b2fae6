"""Triage decisions (初步评估) and the corrections agents make to them (kept to retrain the model)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kesu.db.base import Base, BigId, IdPk


class TriageDecision(Base):
    """What the text said about a complaint when it was assessed, with every reason."""

    __tablename__ = "triage_decision"
    __table_args__ = (Index("ix_triage_decision_complaint", "complaint_id", "id"),)

    id: Mapped[IdPk]
    complaint_id: Mapped[int] = mapped_column(BigId, ForeignKey("complaint.id"))
    assessed_at: Mapped[datetime]
    model_version: Mapped[str] = mapped_column(String(60))
    category: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[float]
    needs_review: Mapped[bool]
    anger_level: Mapped[int]
    anger_score: Mapped[float]
    priority: Mapped[str] = mapped_column(String(4))
    has_threat: Mapped[bool]
    has_safety_risk: Mapped[bool]
    suggestion: Mapped[str] = mapped_column(String(24))
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Drivers, scores, anger evidence, threats, safety words, reasons and validity hints."""


class TriageCorrection(Base):
    """An agent's correction of one triage field; the newest per complaint and field wins."""

    __tablename__ = "triage_correction"
    __table_args__ = (Index("ix_triage_correction_complaint", "complaint_id", "id"),)

    id: Mapped[IdPk]
    complaint_id: Mapped[int] = mapped_column(BigId, ForeignKey("complaint.id"))
    field: Mapped[str] = mapped_column(String(16))
    """``category`` or ``priority``."""
    old_value: Mapped[str | None] = mapped_column(String(32))
    new_value: Mapped[str] = mapped_column(String(32))
    corrected_by: Mapped[str] = mapped_column(String(40))
    corrected_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)
