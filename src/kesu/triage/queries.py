"""Reads of triage: the explanation shown to staff."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from kesu.complaints.models import Complaint
from kesu.core.i18n import Language, label
from kesu.text.analysis import PRIORITY_LABELS
from kesu.text.classify import CATEGORY_LABELS
from kesu.text.signals import THREAT_LABELS
from kesu.text.validity import HINT_LABELS, SUGGESTION_LABELS, Hint, Suggestion
from kesu.triage.models import TriageCorrection, TriageDecision
from kesu.triage.replies import courteous_reply
from kesu.triage.schemas import ReasonRead, ThreatRead, TriageRead

ANGER_LABELS = {
    0: ("平静", "Calm"),
    1: ("不满", "Unhappy"),
    2: ("愤怒", "Angry"),
    3: ("非常愤怒", "Furious"),
}


def _reason_label(code: str, detail: str, language: Language) -> str:
    if code == "threat":
        return label(THREAT_LABELS, detail, language)
    if code == "anger":
        return label(ANGER_LABELS, int(detail), language)
    if code == "safety":
        return "安全风险" if language is Language.ZH else "Safety risk"
    return "VIP 客户" if language is Language.ZH else "VIP customer"


def triage_view(session: Session, complaint: Complaint, language: Language) -> TriageRead | None:
    """The newest assessment of ``complaint`` with its reasons, or None if never assessed."""
    decision = session.scalars(
        select(TriageDecision)
        .where(TriageDecision.complaint_id == complaint.id)
        .order_by(TriageDecision.id.desc())
        .limit(1)
    ).first()
    if decision is None:
        return None
    explanation = decision.explanation
    hints = tuple(Hint(code) for code in explanation.get("hints", []))
    corrected = session.scalar(
        select(exists().where(TriageCorrection.complaint_id == complaint.id))
    )
    return TriageRead(
        assessed_at=decision.assessed_at,
        model_version=decision.model_version,
        category=complaint.category or decision.category,
        category_label=label(CATEGORY_LABELS, complaint.category or decision.category, language),
        confidence=decision.confidence,
        drivers=list(explanation.get("drivers", [])),
        needs_review=decision.needs_review,
        anger_level=decision.anger_level,
        anger_score=decision.anger_score,
        anger_evidence=list(explanation.get("anger_evidence", [])),
        threats=[
            ThreatRead(
                kind=t["kind"], label=label(THREAT_LABELS, t["kind"], language), words=t["words"]
            )
            for t in explanation.get("threats", [])
        ],
        safety_words=list(explanation.get("safety_words", [])),
        priority=complaint.priority or decision.priority,
        priority_label=label(PRIORITY_LABELS, complaint.priority or decision.priority, language),
        reasons=[
            ReasonRead(
                code=r["code"],
                label=_reason_label(r["code"], r["detail"], language),
                words=r["words"],
            )
            for r in explanation.get("reasons", [])
        ],
        suggestion=decision.suggestion,
        suggestion_label=label(SUGGESTION_LABELS, decision.suggestion, language),
        hints=[hint.value for hint in hints],
        hint_labels=[label(HINT_LABELS, hint, language) for hint in hints],
        duplicate_of=list(explanation.get("duplicate_of", [])),
        suggested_reply=courteous_reply(
            name=complaint.complainant_name,
            target=complaint.target,
            hints=hints,
            tracking_number=complaint.tracking_number,
        )
        if decision.suggestion != Suggestion.ACCEPT
        else None,
        corrected=bool(corrected),
    )


def corrected_examples(session: Session) -> list[tuple[str, str | None, str]]:
    """(description, product line, category) of complaints whose category a person confirmed:
    corrected by an agent, or handled past triage without a correction."""
    corrected_ids = select(TriageCorrection.complaint_id).where(
        TriageCorrection.field == "category"
    )
    handled = Complaint.status.not_in(["received"])
    rows = session.execute(
        select(Complaint.description, Complaint.product_line, Complaint.category).where(
            Complaint.category.is_not(None), Complaint.id.in_(corrected_ids) | handled
        )
    ).all()
    return [(text, product_line, category) for text, product_line, category in rows if category]
