"""Reads of handling: a complaint's contact log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.handling.models import ContactRecord
from kesu.handling.schemas import ContactRead


def contacts(session: Session, complaint_id: int) -> list[ContactRead]:
    return [
        ContactRead.model_validate(row)
        for row in session.scalars(
            select(ContactRecord)
            .where(ContactRecord.complaint_id == complaint_id)
            .order_by(ContactRecord.contacted_at, ContactRecord.id)
        )
    ]
