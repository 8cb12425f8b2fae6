"""REST API of complaints: intake, tracking, the staff queue and lifecycle actions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import (
    APIRouter,
    File,
    Form,
    Header,
    HTTPException,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from kesu.complaints import queries, service
from kesu.complaints.lifecycle import STATUS_LABELS, Action, Status
from kesu.complaints.schemas import (
    AppealRequest,
    AssignRequest,
    ComplaintDraft,
    ComplaintPublic,
    ComplaintRead,
    ComplaintSummary,
    EvidenceRead,
    TransitionRequest,
)
from kesu.core.i18n import label
from kesu.customers.service import CustomerTag
from kesu.intake import inbox
from kesu.intake.schemas import IntakeReceipt
from kesu.web.deps import (
    CurrentUser,
    DbSession,
    KesuApp,
    RequestLanguage,
    actor_of,
    has_token,
    kesu_of,
    staff_of,
)
from kesu.web.errors import request_language

router = APIRouter(prefix="/api/v1/complaints", tags=["complaints"])

_JSON = "application/json"

REF_TEMPLATE = "#/components/schemas/{model}"
"""Where the OpenAPI document keeps a model's schema (the app adds ``BODY_MODELS`` there)."""

_ERRORS: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "Conflict: `invalid_transition`, `concurrent_update`, `idempotency_key_reused`"
    },
    422: {"description": "Invalid input: `validation_error`, `invalid_input`, `evidence_refused`"},
}


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=IntakeReceipt,
    responses={
        200: {"description": "A retry with the same Idempotency-Key: the first receipt"},
        400: {"description": "`malformed_request`: the body is not UTF-8"},
        **_ERRORS,
    },
    # The body is read by the endpoint itself (``_draft``); the schema is still documented.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                _JSON: {"schema": {"$ref": REF_TEMPLATE.format(model=ComplaintDraft.__name__)}}
            },
        }
    },
)
async def submit_complaint(
    request: Request,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """File a complaint from any channel. Staff tokens register it as agent entry.

    The complaint is checked and kept at once (202) with its tracking number, which works for
    tracking immediately; registration (triage, routing, deadlines from the time of receipt,
    acknowledgement) follows within about a second. Send an `Idempotency-Key` header: a retry
    with the same key and body returns the first receipt (200) instead of a second complaint.
    """
    # The busiest endpoint resolves no dependencies, waits for its write without holding a
    # thread (the inbox's group commit) and serialises its own answer: FastAPI's dependency
    # solving, thread hops and response validation cost as much as the inbox write itself
    # (bench/http_intake.py measures intake against the echo endpoint).
    draft = _draft(await request.body())
    kesu = kesu_of(request)
    user = await run_in_threadpool(staff_of, request, kesu) if has_token(request) else None
    accepted = await kesu.inbox.accept(
        draft, idempotency_key=idempotency_key, agent=actor_of(user) if user is not None else None
    )
    receipt = IntakeReceipt(
        tracking_number=accepted.tracking_number,
        status=accepted.status,
        status_label=label(STATUS_LABELS, accepted.status, request_language(request)),
        received_at=accepted.received_at,
        first_response_hours=kesu.intake_policy.first_response_hours,
        track_url=f"{kesu.intake_policy.public_url.rstrip('/')}/track",
    )
    if accepted.created:
        return Response(receipt.model_dump_json(), status.HTTP_202_ACCEPTED, media_type=_JSON)
    return Response(
        receipt.model_dump_json(),
        status.HTTP_200_OK,
        headers={"Idempotent-Replayed": "true"},
        media_type=_JSON,
    )


BODY_MODELS: tuple[type[BaseModel], ...] = (ComplaintDraft,)
"""Bodies that endpoints read themselves: the app adds their schemas to the OpenAPI document."""


def _draft(body: bytes) -> ComplaintDraft:
    """The registration form, parsed and validated in one pass by pydantic's JSON parser.

    FastAPI would decode the JSON to Python objects and then validate those: at the busiest
    endpoint that was a tenth of a request's CPU. Errors keep FastAPI's shape: 422 naming the
    fields under ``body``, and 400 for a body that is not UTF-8 text.
    """
    try:
        return ComplaintDraft.model_validate_json(body)
    except ValidationError as error:
        problems = error.errors(include_url=False)
        if any(problem["type"] == "json_invalid" for problem in problems) and not _is_text(body):
            raise HTTPException(status.HTTP_400_BAD_REQUEST) from None
        raise RequestValidationError(
            [{**problem, "loc": ("body", *problem["loc"])} for problem in problems]
        ) from None


def _is_text(body: bytes) -> bool:
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


@router.get("/track", responses={404: {"description": "`complaint_not_found`"}})
def track_complaint(
    kesu: KesuApp,
    session: DbSession,
    language: RequestLanguage,
    tracking_number: Annotated[
        str, Query(min_length=1, max_length=20, examples=["KS261123-R8DJCG"])
    ],
    phone: Annotated[
        str,
        Query(
            min_length=1,
            max_length=254,
            description="The phone number (or e-mail) given when filing",
            examples=["13800138001"],
        ),
    ],
) -> ComplaintPublic:
    """Progress of one complaint for its complainant, without an account."""
    complaint = inbox.access_by_tracking_number(
        session, kesu.registration, tracking_number=tracking_number, contact=phone
    )
    return queries.public_view(session, complaint, language)


@router.post(
    "/track/appeal",
    responses={
        404: {"description": "`complaint_not_found`: no complaint with this number and contact"},
        409: {"description": "`invalid_transition` (only a rejected complaint can be appealed)"},
        422: {"description": "`reason_required` or `validation_error`"},
    },
)
def appeal_complaint(
    kesu: KesuApp, session: DbSession, language: RequestLanguage, body: AppealRequest
) -> ComplaintPublic:
    """The complainant appeals a rejection; the complaint goes back to be assessed again, with a
    fresh resolution deadline. No account: the tracking number and contact are the proof."""
    complaint = inbox.access_by_tracking_number(
        session, kesu.registration, tracking_number=body.tracking_number, contact=body.phone
    )
    complaint = service.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.APPEAL,
        expected_version=complaint.version,
        actor=queries.customer_actor(complaint),
        clock=kesu.clock,
        note=body.reason,
    )
    return queries.public_view(session, complaint, language)


@router.post("/track/evidence", status_code=status.HTTP_201_CREATED, responses=_ERRORS)
def add_customer_evidence(
    kesu: KesuApp,
    session: DbSession,
    tracking_number: Annotated[str, Form(max_length=20)],
    phone: Annotated[str, Form(max_length=254)],
    files: Annotated[list[UploadFile], File(description="Photos, PDF, audio or video")],
) -> list[EvidenceRead]:
    """The complainant adds evidence to their own complaint (tracking number + phone)."""
    complaint = inbox.access_by_tracking_number(
        session, kesu.registration, tracking_number=tracking_number, contact=phone
    )
    uploads = _read_uploads(files, kesu.intake_policy.evidence.max_bytes)
    rows = service.attach_evidence(
        session,
        complaint=complaint,
        uploads=uploads,
        store=kesu.evidence_store,
        limits=kesu.intake_policy.evidence,
        actor=queries.customer_actor(complaint),
        clock=kesu.clock,
    )
    return [EvidenceRead.model_validate(row, from_attributes=True) for row in rows]


def _read_uploads(files: list[UploadFile], max_bytes: int) -> list[service.EvidenceUpload]:
    uploads = []
    for upload in files:
        # Read one byte past the limit: enough to refuse, never the whole of a huge file.
        data = upload.file.read(max_bytes + 1)
        uploads.append(
            service.EvidenceUpload(
                filename=upload.filename or "evidence",
                content_type=upload.content_type or "application/octet-stream",
                data=data,
            )
        )
    return uploads


@router.get("")
def list_complaints(
    session: DbSession,
    user: CurrentUser,
    language: RequestLanguage,
    kesu: KesuApp,
    status_in: Annotated[list[Status] | None, Query(alias="status")] = None,
    category: Annotated[list[str] | None, Query(max_length=32)] = None,
    priority: Annotated[list[str] | None, Query(max_length=4)] = None,
    department_id: Annotated[int | None, Query(ge=1)] = None,
    assignee_id: Annotated[
        int | None, Query(ge=1, description="Only complaints given to this member of staff")
    ] = None,
    unassigned: Annotated[
        bool, Query(description="Only complaints not yet given to a member of staff")
    ] = False,
    breached: Annotated[
        bool, Query(description="Only complaints that missed a deadline, met late or not")
    ] = False,
    sla: Annotated[
        list[queries.SlaState] | None,
        Query(
            description="Where the live deadlines stand now: `overdue` (a running deadline has "
            "passed), `paused` (waiting for the customer), `due_soon` (within the policy's "
            "reminder window or 4 working hours), `on_track`. Repeat for any of several."
        ),
    ] = None,
    customer_tag: Annotated[
        list[CustomerTag] | None,
        Query(description="Only complaints from customers with any of these tags"),
    ] = None,
    q: Annotated[
        str,
        Query(
            max_length=100,
            description="Chinese full-text search in the description and subject: every word "
            "must occur (e.g. `漏水` or `燃气热水 退款`); Traditional script is accepted.",
            examples=["燃气热水 漏水"],
        ),
    ] = "",
    before_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 50,
) -> list[ComplaintSummary]:
    """The staff queue, newest first, filtered by status, category, priority, department, assignee,
    deadline state, customer tag or words of the text; page with `before_id` = the last id you
    received."""
    return queries.list_complaints(
        session,
        actor_of(user),
        queries.ComplaintFilter(
            statuses=status_in or (),
            categories=category or (),
            priorities=priority or (),
            department_id=department_id,
            assignee_id=assignee_id,
            unassigned=unassigned,
            breached=breached,
            sla_states=sla or (),
            customer_tags=[tag.value for tag in customer_tag or ()],
            now=kesu.clock.now(),
            search=q,
            before_id=before_id,
            limit=limit,
        ),
        language,
    )


@router.get("/{complaint_id}", responses={404: {"description": "`complaint_not_found`"}})
def get_complaint(
    complaint_id: int,
    session: DbSession,
    user: CurrentUser,
    language: RequestLanguage,
    kesu: KesuApp,
) -> ComplaintRead:
    """One complaint with its evidence, timeline and the actions allowed now (a personal-data view: audited)."""
    complaint = service.open_complaint(session, actor_of(user), complaint_id, clock=kesu.clock)
    return queries.staff_view(session, complaint, language)


@router.post("/{complaint_id}/transitions", responses=_ERRORS)
def transition_complaint(
    complaint_id: int,
    body: TransitionRequest,
    session: DbSession,
    user: CurrentUser,
    language: RequestLanguage,
    kesu: KesuApp,
) -> ComplaintRead:
    """Apply one lifecycle action; `version` must be the one you read (optimistic lock)."""
    complaint = service.transition_complaint(
        session,
        complaint_id=complaint_id,
        action=body.action,
        expected_version=body.version,
        actor=actor_of(user),
        clock=kesu.clock,
        note=body.note,
    )
    return queries.staff_view(session, complaint, language)


@router.post("/{complaint_id}/assignment", responses=_ERRORS)
def assign_complaint(
    complaint_id: int,
    body: AssignRequest,
    session: DbSession,
    user: CurrentUser,
    language: RequestLanguage,
    kesu: KesuApp,
) -> ComplaintRead:
    """Send the complaint to a responsible department and/or handler."""
    complaint = service.assign_complaint(
        session,
        complaint_id=complaint_id,
        expected_version=body.version,
        department_id=body.department_id,
        assignee_id=body.assignee_id,
        actor=actor_of(user),
        clock=kesu.clock,
        note=body.note,
    )
    return queries.staff_view(session, complaint, language)
