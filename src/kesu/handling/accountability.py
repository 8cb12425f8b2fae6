"""Accountability (责任追究): proposed by staff or, on a missed deadline, by the system; a
supervisor confirms or dismisses it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.accounts import permissions
from kesu.accounts.models import Department, User
from kesu.complaints.errors import ComplaintNotFound
from kesu.complaints.events import EventKind, record_event
from kesu.complaints.models import Complaint
from kesu.core.actors import SYSTEM, Actor
from kesu.core.clock import Clock
from kesu.core.errors import Bilingual, Conflict, InvalidInput, NotFound
from kesu.core.text_limits import clean_text
from kesu.db.engine import transaction
from kesu.handling.models import AccountabilityRecord
from kesu.handling.schemas import AccountabilityCreate


def _subject_name(session: Session, kind: str, subject_id: int) -> str:
    row = session.get(User, subject_id) if kind == "staff" else session.get(Department, subject_id)
    if row is None:
        raise InvalidInput(reason=Bilingual("责任对象不存在", "no such person or department"))
    return row.display_name if isinstance(row, User) else row.name


def _add(
    session: Session,
    complaint: Complaint,
    *,
    kind: str,
    subject_id: int,
    finding: str,
    penalty: str | None,
    loss_share: int | None,
    source: str,
    actor: Actor,
    now: datetime,
) -> AccountabilityRecord:
    record = AccountabilityRecord(
        complaint_id=complaint.id,
        subject_kind=kind,
        subject_id=subject_id,
        subject_name=_subject_name(session, kind, subject_id),
        finding=finding,
        penalty=penalty,
        loss_share_percent=loss_share,
        source=source,
        status="proposed",
        proposed_at=now,
        proposed_by=actor.ref,
    )
    session.add(record)
    session.flush()
    record_event(
        session,
        complaint,
        kind=EventKind.ACCOUNTABILITY_PROPOSED,
        actor=actor,
        at=now,
        is_public=False,
        note=f"{record.subject_name}：{finding}",
        data={"record_id": record.id, "source": source},
    )
    return record


def propose_accountability(
    session: Session, *, complaint_id: int, draft: AccountabilityCreate, actor: Actor, clock: Clock
) -> AccountabilityRecord:
    with transaction(session):
        permissions.require(actor.role, permissions.Permission.HANDLE_COMPLAINTS)
        complaint = session.get(Complaint, complaint_id)
        if complaint is None:
            raise ComplaintNotFound()
        return _add(
            session,
            complaint,
            kind=draft.subject_kind,
            subject_id=draft.subject_id,
            finding=clean_text(
                draft.finding, field=Bilingual("责任认定", "finding"), max_length=5000
            ),
            penalty=draft.penalty,
            loss_share=draft.loss_share_percent,
            source="manual",
            actor=actor,
            now=clock.now(),
        )


def propose_for_breach(
    session: Session, complaint: Complaint, *, what: str, now: datetime
) -> AccountabilityRecord | None:
    """A missed deadline proposes responsibility of whoever held the case (confirmed by a supervisor)."""
    if complaint.assignee_id is not None:
        kind, subject_id = "staff", complaint.assignee_id
    elif complaint.department_id is not None:
        kind, subject_id = "department", complaint.department_id
    else:
        return None
    already = session.scalar(
        select(AccountabilityRecord.id).where(
            AccountabilityRecord.complaint_id == complaint.id,
            AccountabilityRecord.source == "sla_breach",
            AccountabilityRecord.finding == f"{what}超时",
        )
    )
    if already is not None:
        return None
    return _add(
        session,
        complaint,
        kind=kind,
        subject_id=subject_id,
        finding=f"{what}超时",
        penalty=None,
        loss_share=None,
        source="sla_breach",
        actor=SYSTEM,
        now=now,
    )


def decide_accountability(
    session: Session, *, record_id: int, confirm: bool, actor: Actor, clock: Clock
) -> AccountabilityRecord:
    with transaction(session):
        permissions.require(actor.role, permissions.Permission.APPROVE_REMEDIES)
        record = session.scalar(
            select(AccountabilityRecord)
            .where(AccountabilityRecord.id == record_id)
            .with_for_update()
        )
        if record is None:
            raise NotFound()
        if record.status != "proposed":
            raise Conflict()
        now = clock.now()
        record.status = "confirmed" if confirm else "dismissed"
        record.decided_at, record.decided_by = now, actor.ref
        complaint = session.get(Complaint, record.complaint_id)
        if complaint is not None:
            record_event(
                session,
                complaint,
                kind=EventKind.ACCOUNTABILITY_DECIDED,
                actor=actor,
                at=now,
                is_public=False,
                note=f"{record.subject_name}：{'确认' if confirm else '不予追究'}",
                data={"record_id": record.id, "status": record.status},
            )
        return record
