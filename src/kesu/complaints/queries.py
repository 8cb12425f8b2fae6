"""Reads of the complaint aggregate. Edges load a complaint for a viewer only through ``access_*``."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from kesu.accounts import permissions
from kesu.accounts.models import Department
from kesu.complaints import lifecycle
from kesu.complaints.errors import ComplaintNotFound
from kesu.complaints.events import EVENT_LABELS, EventKind
from kesu.complaints.lifecycle import STATUS_LABELS, Status
from kesu.complaints.models import Complaint, Evidence, TimelineEvent
from kesu.complaints.schemas import (
    ComplaintPublic,
    ComplaintRead,
    ComplaintSummary,
    EvidenceRead,
    TimelineEventRead,
)
from kesu.core.actors import Actor, ActorKind
from kesu.core.errors import InvalidInput, PermissionDenied
from kesu.core.i18n import Language, label
from kesu.core.text_limits import normalise_phone
from kesu.sla.models import SlaClock

MAX_PAGE = 200


def access_complaint(session: Session, viewer: Actor, complaint_id: int) -> Complaint:
    """The complaint if ``viewer`` may see it; customers see only their own and get "not found"
    for anyone else's, so a guessed id reveals nothing."""
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise ComplaintNotFound()
    if viewer.kind is ActorKind.CUSTOMER:
        if complaint.customer_id != viewer.id:
            raise ComplaintNotFound()
        return complaint
    if viewer.kind is ActorKind.USER and not permissions.allows(
        viewer.role, permissions.Permission.VIEW_COMPLAINTS
    ):
        raise PermissionDenied()
    return complaint


def customer_actor(complaint: Complaint) -> Actor:
    """The complainant of ``complaint`` acting on it (portal tracking, appeal, withdrawal)."""
    return Actor(
        kind=ActorKind.CUSTOMER,
        id=complaint.customer_id,
        role="customer",
        name=complaint.complainant_name,
    )


def access_by_tracking_number(session: Session, *, tracking_number: str, contact: str) -> Complaint:
    """The complaint whose tracking number *and* phone or e-mail both match, else not found.

    This is how a complainant without an account checks progress; a wrong contact looks the same
    as a wrong number so the lookup cannot be used to confirm that a case exists.
    """
    complaint = session.scalar(
        select(Complaint).where(Complaint.tracking_number == tracking_number.strip().upper())
    )
    if complaint is None or not _contact_matches(complaint, contact):
        raise ComplaintNotFound()
    return complaint


def _contact_matches(complaint: Complaint, contact: str) -> bool:
    contact = contact.strip()
    if "@" in contact:
        return complaint.contact_email is not None and hmac.compare_digest(
            complaint.contact_email, contact.lower()
        )
    try:
        phone = normalise_phone(contact)
    except InvalidInput:
        return False
    return complaint.contact_phone is not None and hmac.compare_digest(
        complaint.contact_phone, phone
    )


def _timeline(
    session: Session, complaint: Complaint, *, public_only: bool, language: Language
) -> list[TimelineEventRead]:
    query = select(TimelineEvent).where(TimelineEvent.complaint_id == complaint.id)
    if public_only:
        query = query.where(TimelineEvent.is_public.is_(True))
    customer_ref = f"{ActorKind.CUSTOMER.value}:{complaint.customer_id}"

    def shown_name(event: TimelineEvent) -> str:
        # The customer sees that the centre acted, not which member of staff did it.
        if not public_only or event.actor == customer_ref:
            return event.actor_name
        return "客服中心" if language is Language.ZH else "Complaint centre"

    return [
        TimelineEventRead(
            at=event.at,
            kind=event.kind,
            label=label(EVENT_LABELS, event.kind, language),
            actor_name=shown_name(event),
            from_status=event.from_status,
            to_status=event.to_status,
            note=event.note,
            detail=_detail(event),
        )
        for event in session.scalars(query.order_by(TimelineEvent.id))
    ]


def _detail(event: TimelineEvent) -> str | None:
    if event.kind in {EventKind.ASSIGNED, EventKind.REASSIGNED}:
        names = [event.data.get("department_name"), event.data.get("assignee_name")]
        return " / ".join(str(name) for name in names if name) or None
    if event.kind == EventKind.EVIDENCE_ADDED:
        return "、".join(str(name) for name in event.data.get("filenames", [])) or None
    return None


def public_view(session: Session, complaint: Complaint, language: Language) -> ComplaintPublic:
    timeline = _timeline(session, complaint, public_only=True, language=language)
    return ComplaintPublic(
        tracking_number=complaint.tracking_number,
        status=complaint.status,
        status_label=label(STATUS_LABELS, complaint.status, language),
        received_at=complaint.received_at,
        updated_at=complaint.updated_at,
        target=complaint.target,
        demands=list(complaint.demands),
        timeline=timeline,
    )


def staff_view(session: Session, complaint: Complaint, language: Language) -> ComplaintRead:
    evidence = session.scalars(
        select(Evidence).where(Evidence.complaint_id == complaint.id).order_by(Evidence.id)
    )
    return ComplaintRead(
        id=complaint.id,
        tracking_number=complaint.tracking_number,
        status=complaint.status,
        status_label=label(STATUS_LABELS, complaint.status, language),
        version=complaint.version,
        customer_id=complaint.customer_id,
        complainant_name=complaint.complainant_name,
        contact_phone=complaint.contact_phone,
        contact_email=complaint.contact_email,
        channel=complaint.channel,
        region=complaint.region,
        target_type=complaint.target_type,
        target=complaint.target,
        product_line=complaint.product_line,
        order_number=complaint.order_number,
        description=complaint.description,
        demands=list(complaint.demands),
        occurred_at=complaint.occurred_at,
        received_at=complaint.received_at,
        updated_at=complaint.updated_at,
        category=complaint.category,
        priority=complaint.priority,
        department_id=complaint.department_id,
        department_name=_department_name(session, complaint.department_id),
        assignee_id=complaint.assignee_id,
        allowed_actions=[a.value for a in lifecycle.allowed_actions(Status(complaint.status))],
        evidence=[
            EvidenceRead(
                id=row.id,
                filename=row.filename,
                content_type=row.content_type,
                size_bytes=row.size_bytes,
                sha256=row.sha256,
            )
            for row in evidence
        ],
        timeline=_timeline(session, complaint, public_only=False, language=language),
    )


def _department_name(session: Session, department_id: int | None) -> str | None:
    department = session.get(Department, department_id) if department_id is not None else None
    return department.name if department is not None else None


def departments(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.code)))


@dataclass(frozen=True)
class ComplaintFilter:
    statuses: Sequence[Status] = ()
    categories: Sequence[str] = ()
    priorities: Sequence[str] = ()
    department_id: int | None = None
    assignee_id: int | None = None
    breached: bool = False
    """Only complaints with a missed deadline (a breached SLA clock)."""
    before_id: int | None = None
    """Keyset pagination: only complaints with a smaller id (newest first)."""
    limit: int = 50


def list_complaints(
    session: Session, viewer: Actor, query: ComplaintFilter, language: Language
) -> list[ComplaintSummary]:
    """Newest first, for staff who may view complaints."""
    if viewer.kind is not ActorKind.USER or not permissions.allows(
        viewer.role, permissions.Permission.VIEW_COMPLAINTS
    ):
        raise PermissionDenied()
    statement = (
        select(Complaint).order_by(Complaint.id.desc()).limit(min(max(query.limit, 1), MAX_PAGE))
    )
    if query.statuses:
        statement = statement.where(Complaint.status.in_([s.value for s in query.statuses]))
    if query.categories:
        statement = statement.where(Complaint.category.in_(list(query.categories)))
    if query.priorities:
        statement = statement.where(Complaint.priority.in_(list(query.priorities)))
    if query.department_id is not None:
        statement = statement.where(Complaint.department_id == query.department_id)
    if query.assignee_id is not None:
        statement = statement.where(Complaint.assignee_id == query.assignee_id)
    if query.breached:
        statement = statement.where(
            exists().where(SlaClock.complaint_id == Complaint.id, SlaClock.breached_at.is_not(None))
        )
    if query.before_id is not None:
        statement = statement.where(Complaint.id < query.before_id)
    return [
        ComplaintSummary(
            id=row.id,
            tracking_number=row.tracking_number,
            status=row.status,
            status_label=label(STATUS_LABELS, row.status, language),
            complainant_name=row.complainant_name,
            channel=row.channel,
            target=row.target,
            category=row.category,
            priority=row.priority,
            received_at=row.received_at,
            version=row.version,
        )
        for row in session.scalars(statement)
    ]
