"""REST API of handling: the contact log."""

from __future__ import annotations

from fastapi import APIRouter, status

from kesu.complaints import queries as complaint_queries
from kesu.handling import queries, service
from kesu.handling.schemas import ContactCreate, ContactRead
from kesu.web.deps import CurrentUser, DbSession, KesuApp, actor_of

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
