"""Reads of handling: a complaint's contact log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.handling.models import ContactRecord, RemedyProposal
from kesu.handling.schemas import ContactRead, RemedyRead


def contacts(session: Session, complaint_id: int) -> list[ContactRead]:
    return [
        ContactRead.model_validate(row)
        for row in session.scalars(
            select(ContactRecord)
            .where(ContactRecord.complaint_id == complaint_id)
            .order_by(ContactRecord.contacted_at, ContactRecord.id)
        )
    ]


def remedies(session: Session, complaint_id: int) -> list[RemedyRead]:
    return [
        RemedyRead.model_validate(row)
        for row in session.scalars(
            select(RemedyProposal)
            .where(RemedyProposal.complaint_id == complaint_id)
            .order_by(RemedyProposal.id)
        )
    ]
