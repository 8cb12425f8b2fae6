"""REST API of triage: the explanation of a complaint's assessment, corrections, and a dry run."""

from __future__ import annotations

from fastapi import APIRouter

from kesu.complaints import queries as complaint_queries
from kesu.complaints.schemas import ComplaintRead
from kesu.core.errors import NotFound
from kesu.triage import queries, service
from kesu.triage.schemas import AnalyseRequest, TriageCorrectionRequest, TriageRead
from kesu.web.deps import CurrentUser, DbSession, KesuApp, RequestLanguage, actor_of

router = APIRouter(prefix="/api/v1", tags=["triage"])


@router.get(
    "/complaints/{complaint_id}/triage", responses={404: {"description": "`complaint_not_found`"}}
)
def get_triage(
    complaint_id: int, session: DbSession, user: CurrentUser, language: RequestLanguage
) -> TriageRead:
    """Category with confidence and driving words, anger with evidence, threats, safety words,
    priority with its reasons, validity hints and, when it may not stand, a courteous reply."""
    complaint = complaint_queries.access_complaint(session, actor_of(user), complaint_id)
    view = queries.triage_view(session, complaint, language)
    if view is None:
        raise NotFound()
    return view


@router.post(
    "/complaints/{complaint_id}/triage/corrections",
    responses={
        422: {"description": "`unknown_category`, `nothing_to_correct`, `validation_error`"}
    },
)
def correct_triage(
    complaint_id: int,
    body: TriageCorrectionRequest,
    session: DbSession,
    user: CurrentUser,
    language: RequestLanguage,
    kesu: KesuApp,
) -> ComplaintRead:
    """Correct the category and/or priority; corrections are kept to retrain the model."""
    complaint = service.correct_triage(
        session,
        complaint_id=complaint_id,
        category=body.category,
        priority=body.priority,
        actor=actor_of(user),
        clock=kesu.clock,
        note=body.note,
    )
    return complaint_queries.staff_view(session, complaint, language)


@router.post("/triage/analyse")
def analyse_text(
    body: AnalyseRequest, _user: CurrentUser, kesu: KesuApp, language: RequestLanguage
) -> TriageRead:
    """Assess a text without storing anything (to try the model, or from an integration)."""
    return queries.dry_run(body, engine=kesu.triage_engine, now=kesu.clock.now(), language=language)
