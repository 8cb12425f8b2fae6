"""An assessment of one complaint text, and the explanation stored and shown with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kesu.text import analysis
from kesu.text.validity import ValidityReading


@dataclass(frozen=True)
class Assessment:
    """What the text says, before it is recorded against a complaint."""

    result: analysis.TextAnalysis
    validity: ValidityReading
    duplicates: list[str]


def explanation(assessment: Assessment) -> dict[str, Any]:
    result = assessment.result
    return {
        "drivers": list(result.category.drivers),
        "scores": result.category.scores,
        "anger_evidence": list(result.anger.evidence),
        "threats": [{"kind": t.kind, "words": list(t.words)} for t in result.threats],
        "safety_words": list(result.safety.words) if result.safety else [],
        "reasons": [
            {"code": r.code, "detail": r.detail, "words": list(r.words)} for r in result.reasons
        ],
        "hints": [hint.value for hint in assessment.validity.hints],
        "duplicate_of": assessment.duplicates,
        "converted_traditional": result.converted_traditional,
        "truncated": result.truncated,
    }
