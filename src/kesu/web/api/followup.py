"""REST API of closing the loop: follow-up visits and the archive check."""

from __future__ import annotations

from fastapi import APIRouter

from kesu.complaints import queries as complaint_queries
from kesu.complaints.schemas import ComplaintRead
from kesu.followup import service
from kesu.followup.schemas import ArchiveCheck, VisitAnswer
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
