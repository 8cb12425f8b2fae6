"""What front-line staff see of a caller before registering a new complaint (SPEC §1, §7).

An agent on the phone or at the counter looks the caller up first: their earlier complaints and
the warnings worth knowing before answering (VIP, repeat complainant, earlier threats to go to the
regulator or the press, a case still open that this call may duplicate).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from kesu.accounts import permissions
from kesu.audit import service as audit
from kesu.complaints.lifecycle import CATEGORY, STATUS_LABELS, Status, StatusCategory
from kesu.complaints.models import Complaint
from kesu.core.actors import Actor
from kesu.core.i18n import Language, label
from kesu.core.text_limits import normalise_phone
from kesu.customers.models import Customer
from kesu.db.engine import transaction
from kesu.text.signals import THREAT_LABELS
from kesu.triage.models import TriageDecision

HISTORY_LIMIT = 20
"""Earlier complaints listed; the counts below cover all of them."""
OPEN_LIMIT = 5
REPEAT_WINDOW = timedelta(days=90)
REPEAT_THRESHOLD = 3
"""This many complaints within the window make a repeat complainant."""
THREAT_SCAN = 50
"""Newest assessments with a threat read for its kinds: enough to name every kind a person used."""
OPEN_STATUSES = [status.value for status in Status if CATEGORY[status] is not StatusCategory.DONE]


@dataclass(frozen=True)
class PastComplaint:
    id: int
    tracking_number: str
    received_at: datetime
    category: str | None
    status: str
    status_label: str
    is_open: bool


@dataclass(frozen=True)
class CustomerHistory:
    customer_id: int
    name: str
    phone: str | None
    email: str | None
    tags: list[str]
    complaints: list[PastComplaint]
    """Newest first, at most ``HISTORY_LIMIT``."""
    total: int
    recent: int
    """Complaints received within ``REPEAT_WINDOW``."""
    open_complaints: list[PastComplaint]
    """Still being handled (newest first, at most ``OPEN_LIMIT``): the new call may be about one."""
    open_total: int
    threats: list[str]
    """Labels of the threat kinds triage found in this customer's earlier complaints."""

    @property
    def repeat(self) -> bool:
        return self.recent >= REPEAT_THRESHOLD


def find_customer(session: Session, contact: str) -> Customer | None:
    """The profile with this phone number or e-mail address (as intake matched it), else None.

    Raises ``InvalidInput`` for something that is neither a phone number nor an e-mail address.
    """
    contact = contact.strip()
    if "@" in contact:
        return session.scalar(select(Customer).where(Customer.email == contact.lower()))
    return session.scalar(select(Customer).where(Customer.phone == normalise_phone(contact)))


def _past(row: Complaint, language: Language) -> PastComplaint:
    return PastComplaint(
        id=row.id,
        tracking_number=row.tracking_number,
        received_at=row.received_at,
        category=row.category,
        status=row.status,
        status_label=label(STATUS_LABELS, row.status, language),
        is_open=row.status in OPEN_STATUSES,
    )


def customer_history(
    session: Session, customer: Customer, *, now: datetime, language: Language
) -> CustomerHistory:
    """Four bounded reads on the complaint's (customer, received) index, whatever the history."""
    of_customer = Complaint.customer_id == customer.id
    total, recent, open_total = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((Complaint.received_at >= now - REPEAT_WINDOW, 1))), 0),
            func.coalesce(func.sum(case((Complaint.status.in_(OPEN_STATUSES), 1))), 0),
        ).where(of_customer)
    ).one()
    newest_first = (Complaint.received_at.desc(), Complaint.id.desc())
    complaints = session.scalars(
        select(Complaint).where(of_customer).order_by(*newest_first).limit(HISTORY_LIMIT)
    )
    still_open = session.scalars(
        select(Complaint)
        .where(of_customer, Complaint.status.in_(OPEN_STATUSES))
        .order_by(*newest_first)
        .limit(OPEN_LIMIT)
    )
    explanations = session.scalars(
        select(TriageDecision.explanation)
        .join(Complaint, Complaint.id == TriageDecision.complaint_id)
        .where(of_customer, TriageDecision.has_threat.is_(True))
        .order_by(TriageDecision.id.desc())
        .limit(THREAT_SCAN)
    )
    kinds = sorted(
        {str(threat["kind"]) for details in explanations for threat in details.get("threats", [])}
    )
    return CustomerHistory(
        customer_id=customer.id,
        name=customer.name,
        phone=customer.phone,
        email=customer.email,
        tags=sorted(customer.tags),
        complaints=[_past(row, language) for row in complaints],
        total=int(total),
        recent=int(recent),
        open_complaints=[_past(row, language) for row in still_open],
        open_total=int(open_total),
        threats=[label(THREAT_LABELS, kind, language) for kind in kinds],
    )


def look_up_customer(
    session: Session, *, contact: str, viewer: Actor, now: datetime, language: Language
) -> CustomerHistory | None:
    """A caller's history for the member of staff registering their new complaint, or None if
    no profile has this phone or e-mail; a found history is a view of personal data, audited."""
    with transaction(session):
        permissions.require(viewer.role, permissions.Permission.REGISTER_COMPLAINTS)
        customer = find_customer(session, contact)
        if customer is None:
            return None
        history = customer_history(session, customer, now=now, language=language)
        audit.record(
            session,
            at=now,
            actor=viewer.ref,
            action="customer.looked_up",
            subject_type="customer",
            subject_id=customer.id,
            data={"complaints": history.total},
        )
        return history
