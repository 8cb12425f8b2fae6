"""Commands of handling: the contact log."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kesu.accounts import permissions
from kesu.complaints.errors import ComplaintNotFound
from kesu.complaints.events import EventKind, record_event
from kesu.complaints.models import Complaint
from kesu.core.actors import Actor
from kesu.core.clock import Clock
from kesu.core.errors import Bilingual, InvalidInput
from kesu.core.text_limits import clean_text
from kesu.db.engine import transaction
from kesu.handling.models import ContactRecord
from kesu.handling.schemas import ContactCreate


def record_contact(
    session: Session, *, complaint_id: int, contact: ContactCreate, actor: Actor, clock: Clock
) -> ContactRecord:
    """Log one contact with the customer; it joins the timeline and the escalation packet."""
    with transaction(session):
        permissions.require(actor.role, permissions.Permission.HANDLE_COMPLAINTS)
        complaint = session.get(Complaint, complaint_id)
        if complaint is None:
            raise ComplaintNotFound()
        now = clock.now()
        when = contact.contacted_at or now
        if when.tzinfo is None:
            raise InvalidInput(
                reason=Bilingual("沟通时间需带时区", "contacted_at needs a timezone")
            )
        if when > now:
            raise InvalidInput(
                reason=Bilingual("沟通时间不能晚于现在", "contacted_at is in the future")
            )
        record = ContactRecord(
            complaint_id=complaint.id,
            channel=contact.channel,
            direction=contact.direction,
            summary=clean_text(
                contact.summary, field=Bilingual("沟通内容", "summary"), max_length=5000
            ),
            contacted_at=when,
            recorded_at=now,
            recorded_by=actor.ref,
            recorded_by_name=actor.name,
        )
        session.add(record)
        session.flush()
        record_event(
            session,
            complaint,
            kind=EventKind.CONTACT_RECORDED,
            actor=actor,
            at=now,
            is_public=False,
            note=record.summary,
            data={
                "contact_id": record.id,
                "channel": record.channel,
                "direction": record.direction,
                "contacted_at": when.isoformat(),
            },
        )
        return record
