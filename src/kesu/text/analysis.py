"""One call that reads everything triage needs from a complaint's text, with the reasons."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from kesu.text import anger, features, signals, validity
from kesu.text.classify import ANGER_MODEL, LinearModel, Prediction, load_model


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


PRIORITY_LABELS = {
    Priority.P1: ("P1 紧急", "P1 urgent"),
    Priority.P2: ("P2 高", "P2 high"),
    Priority.P3: ("P3 中", "P3 normal"),
    Priority.P4: ("P4 低", "P4 low"),
}


@dataclass(frozen=True)
class Reason:
    """Why a priority was given: a code (``safety``, ``threat``, ``anger``, ``vip``) and its evidence."""

    code: str
    detail: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class TextAnalysis:
    category: Prediction
    needs_review: bool
    """The category's confidence is below the threshold: a person should confirm it."""
    anger: anger.AngerReading
    threats: tuple[signals.Evidence, ...]
    safety: signals.Evidence | None
    priority: Priority
    reasons: tuple[Reason, ...]
    validity: validity.ValidityReading
    converted_traditional: bool
    truncated: bool


def prioritise(
    *,
    anger_level: int,
    threats: tuple[signals.Evidence, ...],
    safety: signals.Evidence | None,
    is_vip: bool,
) -> tuple[Priority, tuple[Reason, ...]]:
    """P1 safety risk, or a threat from an angry or VIP customer; P2 any threat, fury, or an angry
    VIP; P3 anger or a VIP; P4 the rest."""
    reasons: list[Reason] = []
    if safety is not None:
        reasons.append(Reason("safety", "safety", safety.words))
    reasons.extend(Reason("threat", evidence.kind, evidence.words) for evidence in threats)
    if anger_level >= 2:
        reasons.append(Reason("anger", str(anger_level), ()))
    if is_vip:
        reasons.append(Reason("vip", "vip", ()))
    threatened = bool(threats)
    if safety is not None or (threatened and (anger_level >= 2 or is_vip)):
        priority = Priority.P1
    elif threatened or anger_level == 3 or (is_vip and anger_level >= 2):
        priority = Priority.P2
    elif anger_level == 2 or is_vip:
        priority = Priority.P3
    else:
        priority = Priority.P4
    return priority, tuple(reasons)


@dataclass(frozen=True)
class TextModels:
    """The two linear models analysis reads with: category, and anger level."""

    category: LinearModel
    anger: LinearModel

    @property
    def version(self) -> str:
        return f"{self.category.version}/{self.anger.version}"


def load_models(category_path: Path | None = None, anger_path: Path | None = None) -> TextModels:
    return TextModels(
        category=load_model(category_path),
        anger=load_model(anger_path, packaged=ANGER_MODEL),
    )


def analyse(
    raw: str,
    *,
    models: TextModels,
    product_line: str | None = None,
    is_vip: bool = False,
    occurred_at: datetime | None = None,
    received_at: datetime,
    review_threshold: float = 0.5,
    policy_days: int = 365,
) -> TextAnalysis:
    """Category, anger, threats, safety, priority and validity hints of one complaint text."""
    reading = features.read(raw, product_line)
    prediction = models.category.predict(reading.category_features)
    # The level comes from the model trained on labelled complaints; the lexicon supplies the
    # score and the evidence a person reads.
    level = int(
        models.anger.predict(reading.anger_features, top_drivers=0, with_scores=False).label
    )
    anger_reading = anger.AngerReading(
        score=reading.anger.score, level=level, evidence=reading.anger.evidence
    )
    priority, reasons = prioritise(
        anger_level=level, threats=reading.threats, safety=reading.safety, is_vip=is_vip
    )
    return TextAnalysis(
        category=prediction,
        needs_review=prediction.confidence < review_threshold,
        anger=anger_reading,
        threats=reading.threats,
        safety=reading.safety,
        priority=priority,
        reasons=reasons,
        validity=validity.read_validity(
            reading.normalised.text,
            category=prediction.label,
            category_confidence=prediction.confidence,
            occurred_at=occurred_at,
            received_at=received_at,
            policy_days=policy_days,
        ),
        converted_traditional=reading.normalised.converted_traditional,
        truncated=reading.normalised.truncated,
    )


def as_vip(reading: TextAnalysis) -> TextAnalysis:
    """The same reading for an important customer: only the priority and its reasons change."""
    priority, reasons = prioritise(
        anger_level=reading.anger.level,
        threats=reading.threats,
        safety=reading.safety,
        is_vip=True,
    )
    return replace(reading, priority=priority, reasons=reasons)
