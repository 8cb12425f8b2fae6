"""Reads of handling: a complaint's contact log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.complaints.models import Complaint
from kesu.handling import replies
from kesu.handling.models import (
    AccountabilityRecord,
    CauseCode,
    ContactRecord,
    Investigation,
    RemedyProposal,
)
from kesu.handling.replies import ReplyTemplate
from kesu.handling.schemas import (
    AccountabilityRead,
    CauseRead,
    ContactRead,
    InvestigationRead,
    RemedyRead,
)


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


def causes(session: Session) -> list[CauseRead]:
    return [
        CauseRead.model_validate(c)
        for c in session.scalars(select(CauseCode).order_by(CauseCode.code))
    ]


def investigation(session: Session, complaint_id: int) -> InvestigationRead | None:
    row = session.scalar(select(Investigation).where(Investigation.complaint_id == complaint_id))
    if row is None:
        return None
    cause = session.get(CauseCode, row.cause_code) if row.cause_code else None
    return InvestigationRead.model_validate(row).model_copy(
        update={"cause_name": cause.name if cause else None}
    )


def reply_templates(session: Session, complaint: Complaint) -> list[ReplyTemplate]:
    investigation_row = session.scalar(
        select(Investigation).where(Investigation.complaint_id == complaint.id)
    )
    approved = list(
        session.scalars(
            select(RemedyProposal).where(
                RemedyProposal.complaint_id == complaint.id, RemedyProposal.status == "approved"
            )
        )
    )
    return replies.reply_templates(complaint, investigation_row, approved)


def accountability(session: Session, complaint_id: int) -> list[AccountabilityRead]:
    return [
        AccountabilityRead.model_validate(row)
        for row in session.scalars(
            select(AccountabilityRecord)
            .where(AccountabilityRecord.complaint_id == complaint_id)
            .order_by(AccountabilityRecord.id)
        )
    ]
