"""Commands of triage: assess a complaint's text, and record an agent's correction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.accounts import permissions
from kesu.complaints.errors import ComplaintNotFound
from kesu.complaints.events import EventKind, record_event
from kesu.complaints.lifecycle import CATEGORY, Status, StatusCategory
from kesu.complaints.models import Complaint
from kesu.core.actors import SYSTEM, Actor, ActorKind
from kesu.core.clock import Clock
from kesu.core.errors import Bilingual
from kesu.core.text_limits import clean_text
from kesu.customers.models import Customer
from kesu.customers.service import VIP_TAG
from kesu.db.engine import transaction
from kesu.text import analysis, similarity
from kesu.text.classify import CATEGORIES
from kesu.text.normalize import normalise
from kesu.text.validity import Hint, ValidityReading, suggest
from kesu.triage.assessment import Assessment, explanation
from kesu.triage.errors import NothingToCorrect, UnknownCategory
from kesu.triage.models import TriageCorrection, TriageDecision

DUPLICATE_SIMILARITY = 0.6
"""Character-bigram Jaccard above which an open complaint of the same customer is a duplicate."""
_OPEN_STATUSES = [status.value for status in Status if CATEGORY[status] is not StatusCategory.DONE]


@dataclass(frozen=True)
class TriageEngine:
    models: analysis.TextModels
    review_threshold: float
    """Category confidence below this flags the complaint for a person."""
    policy_days: int
    """Warranty/policy period for the "outside period" hint."""


def _duplicates(session: Session, customer_id: int, exclude_id: int | None, text: str) -> list[str]:
    mine = similarity.bigrams(text)
    query = select(Complaint.tracking_number, Complaint.description).where(
        Complaint.customer_id == customer_id, Complaint.status.in_(_OPEN_STATUSES)
    )
    if exclude_id is not None:
        query = query.where(Complaint.id != exclude_id)
    # Rows the caller has pending (an audit entry, a profile change) do not change the answer;
    # without autoflush they go out with the caller's next flush instead of one of their own.
    with session.no_autoflush:
        rows = session.execute(query).all()
    return [
        number
        for number, description in rows
        if similarity.jaccard(mine, similarity.bigrams(normalise(description).text))
        >= DUPLICATE_SIMILARITY
    ]


def read_text(
    description: str,
    *,
    product_line: str | None,
    occurred_at: datetime | None,
    received_at: datetime,
    engine: TriageEngine,
) -> analysis.TextAnalysis:
    """The reading of a complaint text as for any customer: pure CPU work, so intake does it
    before taking the write lock; ``assess`` adjusts it for an important customer."""
    return analysis.analyse(
        description,
        models=engine.models,
        product_line=product_line,
        occurred_at=occurred_at,
        received_at=received_at,
        review_threshold=engine.review_threshold,
        policy_days=engine.policy_days,
    )


def assess(
    session: Session,
    *,
    customer_id: int,
    description: str,
    product_line: str | None,
    occurred_at: datetime | None,
    received_at: datetime,
    engine: TriageEngine,
    exclude_id: int | None = None,
    new_customer: bool = False,
    reading: analysis.TextAnalysis | None = None,
) -> Assessment:
    """Read one complaint text in the context of its customer (VIP tag, open complaints).

    ``new_customer``: the profile was created for this complaint, so it has no open complaint
    this one could duplicate. ``reading``: the text already read by ``read_text``.
    """
    customer = session.get(Customer, customer_id)
    is_vip = customer is not None and VIP_TAG in customer.tags
    if reading is None:
        reading = read_text(
            description,
            product_line=product_line,
            occurred_at=occurred_at,
            received_at=received_at,
            engine=engine,
        )
    result = analysis.as_vip(reading) if is_vip else reading
    duplicates = (
        []
        if new_customer
        else _duplicates(session, customer_id, exclude_id, normalise(description).text)
    )
    hints = result.validity.hints + ((Hint.DUPLICATE_OPEN_CASE,) if duplicates else ())
    return Assessment(
        result=result,
        validity=ValidityReading(suggestion=suggest(hints), hints=hints),
        duplicates=duplicates,
    )


def record_assessment(
    session: Session,
    complaint: Complaint,
    assessment: Assessment,
    *,
    engine: TriageEngine,
    clock: Clock,
) -> TriageDecision:
    """Store an assessment of ``complaint`` with its reasons (the complaint's own category and
    priority are set by the caller: at registration, or by ``reassess_complaint``)."""
    with transaction(session):
        now = clock.now()
        result = assessment.result
        decision = TriageDecision(
            complaint_id=complaint.id,
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
            suggestion=assessment.validity.suggestion,
            explanation=explanation(assessment),
        )
        session.add(decision)
        record_event(
            session,
            complaint,
            kind=EventKind.TRIAGE_ASSESSED,
            actor=SYSTEM,
            at=now,
            is_public=False,
            data={
                "category": decision.category,
                "confidence": decision.confidence,
                "priority": decision.priority,
                "threat": decision.has_threat,
                "safety": decision.has_safety_risk,
                "suggestion": decision.suggestion,
            },
        )
        return decision


def reassess_complaint(
    session: Session, complaint: Complaint, *, engine: TriageEngine, clock: Clock
) -> TriageDecision:
    """Assess an existing complaint again (e.g. with a retrained model) and take its results."""
    with transaction(session):
        assessment = assess(
            session,
            customer_id=complaint.customer_id,
            description=complaint.description,
            product_line=complaint.product_line,
            occurred_at=complaint.occurred_at,
            received_at=complaint.received_at,
            engine=engine,
            exclude_id=complaint.id,
        )
        complaint.category = assessment.result.category.label
        complaint.priority = assessment.result.priority
        complaint.updated_at = clock.now()
        return record_assessment(session, complaint, assessment, engine=engine, clock=clock)


def correct_triage(
    session: Session,
    *,
    complaint_id: int,
    category: str | None,
    priority: analysis.Priority | None,
    actor: Actor,
    clock: Clock,
    note: str | None = None,
) -> Complaint:
    """Record an agent's correction; the corrected category trains the next model."""
    with transaction(session):
        if actor.kind is not ActorKind.SYSTEM:
            permissions.require(actor.role, permissions.Permission.HANDLE_COMPLAINTS)
        if category is None and priority is None:
            raise NothingToCorrect()
        if category is not None and category not in CATEGORIES:
            raise UnknownCategory(category=category)
        complaint = session.get(Complaint, complaint_id, with_for_update=True)
        if complaint is None:
            raise ComplaintNotFound()
        note = (
            clean_text(note or "", field=Bilingual("说明", "note"), max_length=2000, required=False)
            or None
        )
        now = clock.now()
        changes: dict[str, Any] = {}
        for field, value in (("category", category), ("priority", priority)):
            old = getattr(complaint, field)
            if value is None or value == old:
                continue
            session.add(
                TriageCorrection(
                    complaint_id=complaint.id,
                    field=field,
                    old_value=old,
                    new_value=str(value),
                    corrected_by=actor.ref,
                    corrected_at=now,
                    note=note,
                )
            )
            setattr(complaint, field, str(value))
            changes[field] = {"from": old, "to": str(value)}
        if not changes:
            return complaint
        complaint.updated_at = now
        session.flush()
        record_event(
            session,
            complaint,
            kind=EventKind.TRIAGE_CORRECTED,
            actor=actor,
            at=now,
            is_public=False,
            note=note,
            data=changes,
        )
        return complaint
