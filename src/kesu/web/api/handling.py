"""REST API of handling: the contact log."""

from __future__ import annotations

from fastapi import APIRouter, status

from kesu.complaints import queries as complaint_queries
from kesu.complaints.schemas import ComplaintRead
from kesu.core.errors import NotFound
from kesu.handling import accountability, guidance, queries, remedies, service
from kesu.handling.guidance import SettlementGuidance
from kesu.handling.replies import ReplyTemplate
from kesu.handling.schemas import (
    AccountabilityCreate,
    AccountabilityDecision,
    AccountabilityRead,
    CauseCreate,
    CauseRead,
    ContactCreate,
    ContactRead,
    InvestigationRead,
    InvestigationWrite,
    RemedyCreate,
    RemedyDecision,
    RemedyRead,
    VersionRequest,
)
from kesu.web.deps import CurrentUser, DbSession, KesuApp, RequestLanguage, actor_of

router = APIRouter(prefix="/api/v1/complaints", tags=["handling"])


@router.get("/{complaint_id}/contacts")
def list_contacts(complaint_id: int, session: DbSession, user: CurrentUser) -> list[ContactRead]:
    """Every recorded contact with the customer, oldest first."""
    complaint = complaint_queries.access_complaint(session, actor_of(user), complaint_id)
    return queries.contacts(session, complaint.id)


@router.post(
    "/{complaint_id}/contacts",
    status_code=status.HTTP_201_CREATED,
    responses={422: {"description": "`invalid_input`, `validation_error`"}},
)
def record_contact(
    complaint_id: int, body: ContactCreate, session: DbSession, user: CurrentUser, kesu: KesuApp
) -> ContactRead:
    """Log a call, SMS, e-mail, visit or chat with the customer."""
    record = service.record_contact(
        session, complaint_id=complaint_id, contact=body, actor=actor_of(user), clock=kesu.clock
    )
    return ContactRead.model_validate(record)


_REMEDY_ERRORS: dict[int | str, dict[str, str]] = {
    403: {"description": "`permission_denied` (outside your authority limit)"},
    409: {"description": "`invalid_transition`, `concurrent_update`, `no_remedy_proposed`"},
    422: {"description": "`invalid_input`, `validation_error`"},
}


@router.get("/{complaint_id}/remedies")
def list_remedies(complaint_id: int, session: DbSession, user: CurrentUser) -> list[RemedyRead]:
    complaint = complaint_queries.access_complaint(session, actor_of(user), complaint_id)
    return queries.remedies(session, complaint.id)


@router.post(
    "/{complaint_id}/remedies", status_code=status.HTTP_201_CREATED, responses=_REMEDY_ERRORS
)
def propose_remedy(
    complaint_id: int, body: RemedyCreate, session: DbSession, user: CurrentUser, kesu: KesuApp
) -> RemedyRead:
    """Propose a remedy (the first moves an investigated complaint to 已提出处理方案); amounts in yuan."""
    proposal = remedies.propose_remedy(
        session, complaint_id=complaint_id, draft=body, actor=actor_of(user), clock=kesu.clock
    )
    return RemedyRead.model_validate(proposal)


@router.post("/{complaint_id}/remedies/submit", responses=_REMEDY_ERRORS)
def submit_remedies(
    complaint_id: int,
    body: VersionRequest,
    session: DbSession,
    user: CurrentUser,
    kesu: KesuApp,
    language: RequestLanguage,
) -> ComplaintRead:
    """Within the proposer's authority (agent ¥200, handler ¥500, supervisor ¥5,000) the remedies
    are carried out at once; above it they wait for approval (主管批示)."""
    complaint = remedies.submit_remedies(
        session,
        complaint_id=complaint_id,
        expected_version=body.version,
        actor=actor_of(user),
        clock=kesu.clock,
    )
    return complaint_queries.staff_view(session, complaint, language)


@router.post("/{complaint_id}/remedies/decision", responses=_REMEDY_ERRORS)
def decide_remedies(
    complaint_id: int,
    body: RemedyDecision,
    session: DbSession,
    user: CurrentUser,
    kesu: KesuApp,
    language: RequestLanguage,
) -> ComplaintRead:
    """Approve (within your own limit) or return to the handler with a comment."""
    complaint = remedies.decide_remedies(
        session,
        complaint_id=complaint_id,
        expected_version=body.version,
        approve=body.approve,
        comment=body.comment,
        actor=actor_of(user),
        clock=kesu.clock,
    )
    return complaint_queries.staff_view(session, complaint, language)


@router.get("/{complaint_id}/investigation", responses={404: {"description": "`not_found`"}})
def get_investigation(
    complaint_id: int, session: DbSession, user: CurrentUser
) -> InvestigationRead:
    complaint = complaint_queries.access_complaint(session, actor_of(user), complaint_id)
    record = queries.investigation(session, complaint.id)
    if record is None:
        raise NotFound()
    return record


@router.put(
    "/{complaint_id}/investigation",
    responses={
        409: {"description": "`invalid_transition`"},
        422: {"description": "`invalid_input`"},
    },
)
def record_investigation(
    complaint_id: int,
    body: InvestigationWrite,
    session: DbSession,
    user: CurrentUser,
    kesu: KesuApp,
) -> InvestigationRead:
    """Root cause (from the catalogue), findings, responsible department and person, appraisal (鉴定)."""
    service.record_investigation(
        session, complaint_id=complaint_id, record=body, actor=actor_of(user), clock=kesu.clock
    )
    record = queries.investigation(session, complaint_id)
    if record is None:
        raise NotFound()
    return record


causes_router = APIRouter(prefix="/api/v1/causes", tags=["handling"])


@causes_router.get("")
def list_causes(session: DbSession, _user: CurrentUser) -> list[CauseRead]:
    """The cause catalogue (原因目录)."""
    return queries.causes(session)


@causes_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={403: {"description": "`permission_denied`"}, 409: {"description": "`conflict`"}},
)
def add_cause(body: CauseCreate, session: DbSession, user: CurrentUser, kesu: KesuApp) -> CauseRead:
    """Add a root cause to the catalogue (administrators)."""
    return CauseRead.model_validate(
        service.add_cause(session, body, actor=actor_of(user), clock=kesu.clock)
    )


@router.get("/{complaint_id}/settlement-guidance")
def settlement_guidance(
    complaint_id: int, session: DbSession, user: CurrentUser
) -> SettlementGuidance:
    """Usual remedy and amount range (median, quartiles, in fen) of similar settled cases, and the
    negotiation rules — for staff only."""
    complaint = complaint_queries.access_complaint(session, actor_of(user), complaint_id)
    return guidance.settlement_guidance(session, complaint)


@router.get("/{complaint_id}/reply-templates")
def reply_templates(
    complaint_id: int, session: DbSession, user: CurrentUser
) -> list[ReplyTemplate]:
    """Replies for this case's category and stage, filled from its facts, findings and remedies."""
    complaint = complaint_queries.access_complaint(session, actor_of(user), complaint_id)
    return queries.reply_templates(session, complaint)


@router.get("/{complaint_id}/accountability")
def list_accountability(
    complaint_id: int, session: DbSession, user: CurrentUser
) -> list[AccountabilityRead]:
    complaint = complaint_queries.access_complaint(session, actor_of(user), complaint_id)
    return queries.accountability(session, complaint.id)


@router.post(
    "/{complaint_id}/accountability",
    status_code=status.HTTP_201_CREATED,
    responses={422: {"description": "`invalid_input`"}},
)
def propose_accountability(
    complaint_id: int,
    body: AccountabilityCreate,
    session: DbSession,
    user: CurrentUser,
    kesu: KesuApp,
) -> AccountabilityRead:
    """Propose responsibility (责任追究) of a person or department: finding, penalty, share of the loss."""
    record = accountability.propose_accountability(
        session, complaint_id=complaint_id, draft=body, actor=actor_of(user), clock=kesu.clock
    )
    return AccountabilityRead.model_validate(record)


decisions_router = APIRouter(prefix="/api/v1", tags=["handling"])


@decisions_router.post(
    "/accountability/{record_id}/decision",
    responses={403: {"description": "`permission_denied`"}, 409: {"description": "`conflict`"}},
)
def decide_accountability(
    record_id: int,
    body: AccountabilityDecision,
    session: DbSession,
    user: CurrentUser,
    kesu: KesuApp,
) -> AccountabilityRead:
    """A supervisor confirms or dismisses a proposed responsibility."""
    record = accountability.decide_accountability(
        session, record_id=record_id, confirm=body.confirm, actor=actor_of(user), clock=kesu.clock
    )
    return AccountabilityRead.model_validate(record)
