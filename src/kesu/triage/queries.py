"""Reads of triage: the explanation shown to staff."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from kesu.complaints.models import Complaint
from kesu.core.i18n import Language, label
from kesu.text import analysis
from kesu.text.analysis import PRIORITY_LABELS
from kesu.text.classify import CATEGORY_LABELS
from kesu.text.signals import THREAT_LABELS
from kesu.text.validity import HINT_LABELS, SUGGESTION_LABELS, Hint, Suggestion
from kesu.triage.assessment import Assessment, explanation
from kesu.triage.models import TriageCorrection, TriageDecision
from kesu.triage.replies import courteous_reply
from kesu.triage.schemas import AnalyseRequest, ReasonRead, ThreatRead, TriageRead
from kesu.triage.service import TriageEngine

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
    # Whether staff corrected it comes with the decision, in the same statement.
    row = session.execute(
        select(
            TriageDecision,
            exists().where(TriageCorrection.complaint_id == complaint.id).label("corrected"),
        )
        .where(TriageDecision.complaint_id == complaint.id)
        .order_by(TriageDecision.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    decision, corrected = row
    return _render(
        decision,
        category=complaint.category or decision.category,
        priority=complaint.priority or decision.priority,
        reply_to=(complaint.complainant_name, complaint.target, complaint.tracking_number),
        corrected=bool(corrected),
        language=language,
    )


def dry_run(
    body: AnalyseRequest, *, engine: TriageEngine, now: datetime, language: Language
) -> TriageRead:
    """Assess a text as intake would, without a complaint or a customer (no duplicate check)."""
    result = analysis.analyse(
        body.text,
        models=engine.models,
        product_line=body.product_line,
        is_vip=body.is_vip,
        received_at=now,
        review_threshold=engine.review_threshold,
        policy_days=engine.policy_days,
    )
    assessment = Assessment(result=result, validity=result.validity, duplicates=[])
    decision = TriageDecision(
        assessed_at=now,
        model_version=engine.models.version,
        category=result.category.label,
        confidence=result.category.confidence,
        needs_review=result.needs_review,
        anger_level=result.anger.level,
        anger_score=result.anger.score,
        priority=result.priority,
        has_threat=bool(result.threats),
        has_safety_risk=result.safety is not None,
        suggestion=result.validity.suggestion,
        explanation=explanation(assessment),
    )
    return _render(
        decision,
        category=decision.category,
        priority=decision.priority,
        reply_to=None,
        corrected=False,
        language=language,
    )


def _render(
    decision: TriageDecision,
    *,
    category: str,
    priority: str,
    reply_to: tuple[str, str, str] | None,
    corrected: bool,
    language: Language,
) -> TriageRead:
    details = decision.explanation
    hints = tuple(Hint(code) for code in details.get("hints", []))
    reply = None
    if reply_to is not None and decision.suggestion != Suggestion.ACCEPT:
        name, target, tracking_number = reply_to
        reply = courteous_reply(
            name=name, target=target, hints=hints, tracking_number=tracking_number
        )
    return TriageRead(
        assessed_at=decision.assessed_at,
        model_version=decision.model_version,
        category=category,
        category_label=label(CATEGORY_LABELS, category, language),
        confidence=decision.confidence,
        drivers=list(details.get("drivers", [])),
        needs_review=decision.needs_review,
        anger_level=decision.anger_level,
        anger_score=decision.anger_score,
        anger_evidence=list(details.get("anger_evidence", [])),
        threats=[
            ThreatRead(
                kind=t["kind"], label=label(THREAT_LABELS, t["kind"], language), words=t["words"]
            )
            for t in details.get("threats", [])
        ],
        safety_words=list(details.get("safety_words", [])),
        priority=priority,
        priority_label=label(PRIORITY_LABELS, priority, language),
        reasons=[
            ReasonRead(
                code=r["code"],
                label=_reason_label(r["code"], r["detail"], language),
                words=r["words"],
            )
            for r in details.get("reasons", [])
        ],
        suggestion=decision.suggestion,
        suggestion_label=label(SUGGESTION_LABELS, decision.suggestion, language),
        hints=[hint.value for hint in hints],
        hint_labels=[label(HINT_LABELS, hint, language) for hint in hints],
        duplicate_of=list(details.get("duplicate_of", [])),
        suggested_reply=reply,
        corrected=corrected,
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
