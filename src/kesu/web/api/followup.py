"""REST API of closing the loop: follow-up visits and the archive check."""

from __future__ import annotations

from fastapi import APIRouter, status

from kesu.complaints import queries as complaint_queries
from kesu.complaints.schemas import ComplaintRead
from kesu.followup import evaluation, queries, service
from kesu.followup.schemas import (
    ActionDone,
    ActionRead,
    ArchiveCheck,
    EvaluationCreate,
    VisitAnswer,
)
from kesu.handling.schemas import VersionRequest
from kesu.web.deps import CurrentUser, DbSession, KesuApp, RequestLanguage, actor_of

router = APIRouter(prefix="/api/v1/complaints", tags=["follow-up"])


@router.post("/{complaint_id}/follow-up", responses={409: {"description": "`invalid_transition`"}})
def record_visit(
    complaint_id: int,
    body: VisitAnswer,
    session: DbSession,
    user: CurrentUser,
    kesu: KesuApp,
    language: RequestLanguage,
) -> ComplaintRead:
    """Record a follow-up visit (回访); CSAT 1–2 reopens the complaint with the reason."""
    complaint = service.record_visit(
        session, complaint_id=complaint_id, answer=body, actor=actor_of(user), clock=kesu.clock
    )
    return complaint_queries.staff_view(session, complaint, language)


@router.get("/{complaint_id}/archive-check")
def archive_check(
    complaint_id: int, session: DbSession, user: CurrentUser, language: RequestLanguage
) -> ArchiveCheck:
    """What the record still lacks before it may be archived."""
    complaint = complaint_queries.access_complaint(session, actor_of(user), complaint_id)
    return service.archive_check(session, complaint, language)


@router.post(
    "/{complaint_id}/archive",
    responses={409: {"description": "`archive_incomplete`, `invalid_transition`"}},
)
def archive(
    complaint_id: int,
    body: VersionRequest,
    session: DbSession,
    user: CurrentUser,
    kesu: KesuApp,
    language: RequestLanguage,
) -> ComplaintRead:
    """Archive a closed complaint whose record is complete (supervisors)."""
    complaint = service.archive_complaint(
        session,
        complaint_id=complaint_id,
        expected_version=body.version,
        actor=actor_of(user),
        clock=kesu.clock,
    )
    return complaint_queries.staff_view(session, complaint, language)


@router.post(
    "/{complaint_id}/evaluation",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "`invalid_transition`, `conflict`"}},
)
def evaluate(
    complaint_id: int, body: EvaluationCreate, session: DbSession, user: CurrentUser, kesu: KesuApp
) -> list[ActionRead]:
    """Summary evaluation (总结评价): lessons, root-cause class, improvement actions with due dates."""
    evaluation.evaluate_complaint(
        session, complaint_id=complaint_id, draft=body, actor=actor_of(user), clock=kesu.clock
    )
    return queries.actions(session, complaint_id=complaint_id)


actions_router = APIRouter(prefix="/api/v1/improvement-actions", tags=["follow-up"])


@actions_router.get("")
def list_actions(
    session: DbSession, _user: CurrentUser, open_only: bool = True
) -> list[ActionRead]:
    """Improvement actions across complaints (open ones by default), earliest due first."""
    return queries.actions(session, open_only=open_only)


@actions_router.post("/{action_id}/done", responses={409: {"description": "`conflict`"}})
def complete(
    action_id: int, body: ActionDone, session: DbSession, user: CurrentUser, kesu: KesuApp
) -> ActionRead:
    return ActionRead.model_validate(
        evaluation.complete_action(
            session, action_id=action_id, note=body.note, actor=actor_of(user), clock=kesu.clock
        )
    )
