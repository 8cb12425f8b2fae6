"""Reads of escalation: the list of missed deadlines supervisors work from."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.accounts import permissions
from kesu.complaints.models import Complaint
from kesu.core.actors import Actor
from kesu.core.i18n import Language, label
from kesu.sla.models import SlaClock
from kesu.sla.schemas import BreachRead
from kesu.sla.service import CLOCK_LABELS

MAX_BREACHES = 200


def breaches(
    session: Session, viewer: Actor, language: Language, *, limit: int = 100
) -> list[BreachRead]:
    """Missed deadlines, newest first."""
    permissions.require(viewer.role, permissions.Permission.VIEW_COMPLAINTS)
    rows = session.execute(
        select(SlaClock, Complaint)
        .join(Complaint, Complaint.id == SlaClock.complaint_id)
        .where(SlaClock.breached_at.is_not(None))
        .order_by(SlaClock.breached_at.desc(), SlaClock.id.desc())
        .limit(min(max(limit, 1), MAX_BREACHES))
    ).all()
    return [
        BreachRead(
            complaint_id=complaint.id,
            tracking_number=complaint.tracking_number,
            kind=clock.kind,
            label=label(CLOCK_LABELS, clock.kind, language),
            due_at=clock.due_at,
            breached_at=clock.breached_at,
            escalation_level=complaint.escalation_level,
            status=complaint.status,
        )
        for clock, complaint in rows
        if clock.breached_at is not None
    ]
