"""Commands of handling: the contact log, the cause catalogue and the investigation record."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.accounts import permissions
from kesu.accounts.models import Department
from kesu.audit import service as audit
from kesu.complaints.errors import ComplaintNotFound, InvalidTransition
from kesu.complaints.events import EventKind, record_event
from kesu.complaints.lifecycle import Status
from kesu.complaints.models import Complaint
from kesu.core.actors import Actor
from kesu.core.clock import Clock
from kesu.core.errors import Bilingual, Conflict, InvalidInput
from kesu.core.text_limits import clean_text
from kesu.db.engine import transaction
from kesu.handling.models import CauseCode, ContactRecord, Investigation
from kesu.handling.schemas import CauseCreate, ContactCreate, InvestigationWrite


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


INVESTIGATING_STATUSES = frozenset(
    {
        Status.INVESTIGATING,
        Status.REMEDY_PROPOSED,
        Status.AWAITING_APPROVAL,
        Status.CARRYING_OUT,
        Status.WAITING_CUSTOMER,
    }
)


def add_cause(session: Session, draft: CauseCreate, *, actor: Actor, clock: Clock) -> CauseCode:
    """Add a root cause to the catalogue (administrators)."""
    with transaction(session):
        permissions.require(actor.role, permissions.Permission.MANAGE_SETTINGS)
        if session.get(CauseCode, draft.code) is not None:
            raise Conflict()
        cause = CauseCode(
            code=draft.code,
            name=clean_text(draft.name, field=Bilingual("原因名称", "name"), max_length=120),
            is_active=True,
        )
        session.add(cause)
        audit.record(
            session,
            at=clock.now(),
            actor=actor.ref,
            action="handling.cause_added",
            subject_type="cause_code",
            subject_id=draft.code,
            data=draft.model_dump(),
        )
        return cause


def record_investigation(
    session: Session, *, complaint_id: int, record: InvestigationWrite, actor: Actor, clock: Clock
) -> Investigation:
    """Write (or update) the investigation record while the complaint is being worked on."""
    with transaction(session):
        permissions.require(actor.role, permissions.Permission.HANDLE_COMPLAINTS)
        complaint = session.get(Complaint, complaint_id)
        if complaint is None:
            raise ComplaintNotFound()
        if Status(complaint.status) not in INVESTIGATING_STATUSES:
            raise InvalidTransition(status=complaint.status, action="record_investigation")
        if record.cause_code is not None:
            cause = session.get(CauseCode, record.cause_code)
            if cause is None or not cause.is_active:
                raise InvalidInput(
                    reason=Bilingual(
                        f"原因目录中没有 {record.cause_code}",
                        f"no cause {record.cause_code} in the catalogue",
                    )
                )
        if (
            record.responsible_department_id is not None
            and session.get(Department, record.responsible_department_id) is None
        ):
            raise InvalidInput(reason=Bilingual("责任部门不存在", "no such responsible department"))
        if record.appraisal_requested and not (
            record.appraisal_party and record.appraisal_cost_bearer
        ):
            raise InvalidInput(
                reason=Bilingual(
                    "申请鉴定需写明鉴定机构和费用承担方",
                    "an appraisal needs its party and who bears the cost",
                )
            )
        now = clock.now()
        investigation = session.scalar(
            select(Investigation).where(Investigation.complaint_id == complaint_id)
        )
        if investigation is None:
            investigation = Investigation(complaint_id=complaint_id)
            session.add(investigation)
        values = record.model_dump()
        values["findings"] = clean_text(
            record.findings, field=Bilingual("调查结论", "findings"), max_length=10_000
        )
        for field, value in values.items():
            setattr(investigation, field, value)
        investigation.updated_at, investigation.updated_by = now, actor.ref
        session.flush()
        record_event(
            session,
            complaint,
            kind=EventKind.INVESTIGATION_RECORDED,
            actor=actor,
            at=now,
            is_public=False,
            note=investigation.findings,
            data={"cause_code": record.cause_code, "appraisal": record.appraisal_requested},
        )
        return investigation
