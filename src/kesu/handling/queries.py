"""Reads of handling: a complaint's contact log, remedies, investigation and replies; the cause
catalogue and the reply-template catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from kesu.complaints.models import Complaint
from kesu.db.cache import SharedRead
from kesu.handling import replies
from kesu.handling.models import (
    AccountabilityRecord,
    CauseCode,
    ContactRecord,
    Investigation,
    RemedyProposal,
    ReplyTemplateText,
)
from kesu.handling.replies import (
    BUILT_IN,
    PLACEHOLDERS,
    ReplyTemplate,
    ReplyTemplateEntry,
    Situation,
)
from kesu.handling.schemas import (
    AccountabilityRead,
    CauseRead,
    ContactRead,
    InvestigationRead,
    RemedyRead,
)


@dataclass(frozen=True)
class CaseRecords:
    """What handling has recorded on one complaint, as the complaint page shows it."""

    investigation: InvestigationRead | None
    remedies: list[RemedyRead]
    accountability: list[AccountabilityRead]
    contacts: list[ContactRead]


def case_records(session: Session, complaint_id: int) -> CaseRecords:
    """The four tables of one complaint; one statement first asks which of them have rows.

    Most complaints have none in most of them (no accountability, no contact logged yet, no
    investigation before it reaches a department): a statement per empty table cost more than
    the page's rendering.
    """
    has_investigation, has_remedies, has_accountability, has_contacts = session.execute(
        select(
            exists().where(Investigation.complaint_id == complaint_id),
            exists().where(RemedyProposal.complaint_id == complaint_id),
            exists().where(AccountabilityRecord.complaint_id == complaint_id),
            exists().where(ContactRecord.complaint_id == complaint_id),
        )
    ).one()
    return CaseRecords(
        investigation=investigation(session, complaint_id) if has_investigation else None,
        remedies=remedies(session, complaint_id) if has_remedies else [],
        accountability=accountability(session, complaint_id) if has_accountability else [],
        contacts=contacts(session, complaint_id) if has_contacts else [],
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


def reply_templates(
    session: Session,
    complaint: Complaint,
    *,
    loaded: tuple[InvestigationRead | None, list[RemedyRead]] | None = None,
) -> list[ReplyTemplate]:
    """The case's replies; ``loaded`` is its investigation and remedies when the caller has read
    them already (the complaint page shows both), so only the wording is read here."""
    found, proposals = (
        loaded
        if loaded is not None
        else (investigation(session, complaint.id), remedies(session, complaint.id))
    )
    wording = reply_wording(session).get(complaint.category or "other", {})
    return replies.reply_templates(
        complaint,
        found.findings if found is not None else None,
        [proposal.description for proposal in proposals if proposal.status == "approved"],
        wording,
    )


def _load_wording(session: Session) -> Mapping[str, Mapping[str, str]]:
    by_category: dict[str, dict[str, str]] = {}
    for category, situation, text in session.execute(
        select(ReplyTemplateText.category, ReplyTemplateText.situation, ReplyTemplateText.text)
    ):
        by_category.setdefault(category, {})[situation] = text
    return MappingProxyType(
        {category: MappingProxyType(texts) for category, texts in by_category.items()}
    )


# The organisation's own wording, by category and situation: a few dozen rows that the complaint
# page reads on every view. A per-process copy (kesu.db.cache: a few seconds behind an edit made
# in another process, at once in the one that made it).
reply_wording = SharedRead(_load_wording, ReplyTemplateText)


def reply_template_catalogue(session: Session, category: str) -> list[ReplyTemplateEntry]:
    """Every situation of one category: the wording in use, the built-in one, what may be filled."""
    own = {
        row.situation: row
        for row in session.scalars(
            select(ReplyTemplateText).where(ReplyTemplateText.category == category)
        )
    }
    entries = []
    for situation in Situation:
        row = own.get(situation)
        entries.append(
            ReplyTemplateEntry(
                category=category,
                situation=situation,
                text=row.text if row is not None else BUILT_IN[situation],
                built_in=BUILT_IN[situation],
                customised=row is not None,
                placeholders=list(PLACEHOLDERS[situation]),
                updated_at=row.updated_at if row is not None else None,
                updated_by=row.updated_by if row is not None else None,
            )
        )
    return entries


def accountability(session: Session, complaint_id: int) -> list[AccountabilityRead]:
    return [
        AccountabilityRead.model_validate(row)
        for row in session.scalars(
            select(AccountabilityRecord)
            .where(AccountabilityRecord.complaint_id == complaint_id)
            .order_by(AccountabilityRecord.id)
        )
    ]
