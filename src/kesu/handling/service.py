"""Commands of handling: the contact log, the cause catalogue, the investigation record and the
organisation's own wording of reply templates."""

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
from kesu.core.errors import Bilingual, InvalidInput, NotFound
from kesu.core.text_limits import clean_text
from kesu.db.engine import transaction
from kesu.handling.errors import CauseCodeTaken
from kesu.handling.models import CauseCode, ContactRecord, Investigation, ReplyTemplateText
from kesu.handling.replies import MAX_TEMPLATE_LENGTH, Situation, check_wording
from kesu.handling.schemas import CauseCreate, ContactCreate, InvestigationWrite
from kesu.text.classify import CATEGORIES


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
            raise CauseCodeTaken(code=draft.code)
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


def set_cause_active(
    session: Session, *, code: str, active: bool, actor: Actor, clock: Clock
) -> CauseCode:
    """Take a cause out of the catalogue for new investigations, or bring it back.

    Investigations that already name it keep it: a cause is never deleted.
    """
    with transaction(session):
        permissions.require(actor.role, permissions.Permission.MANAGE_SETTINGS)
        cause = session.get(CauseCode, code)
        if cause is None:
            raise NotFound()
        if cause.is_active == active:
            return cause
        cause.is_active = active
        audit.record(
            session,
            at=clock.now(),
            actor=actor.ref,
            action="handling.cause_reactivated" if active else "handling.cause_deactivated",
            subject_type="cause_code",
            subject_id=code,
            data={"name": cause.name},
        )
        return cause


def _template_key(category: str, situation: str) -> tuple[str, Situation]:
    if category not in CATEGORIES:
        raise InvalidInput(
            reason=Bilingual(f"未知的投诉类别 {category}", f"unknown category {category}")
        )
    try:
        return category, Situation(situation)
    except ValueError:
        raise InvalidInput(
            reason=Bilingual(f"未知的答复场景 {situation}", f"unknown situation {situation}")
        ) from None


def _reply_template(
    session: Session, category: str, situation: Situation
) -> ReplyTemplateText | None:
    return session.scalar(
        select(ReplyTemplateText).where(
            ReplyTemplateText.category == category, ReplyTemplateText.situation == situation
        )
    )


def save_reply_template(
    session: Session, *, category: str, situation: str, text: str, actor: Actor, clock: Clock
) -> ReplyTemplateText:
    """Word a category's reply for one situation the organisation's own way (administrators)."""
    with transaction(session):
        permissions.require(actor.role, permissions.Permission.MANAGE_SETTINGS)
        category, checked = _template_key(category, situation)
        wording = clean_text(
            text, field=Bilingual("模板内容", "template text"), max_length=MAX_TEMPLATE_LENGTH
        )
        check_wording(checked, wording)
        row = _reply_template(session, category, checked)
        if row is not None and row.text == wording:
            return row
        before = row.text if row is not None else None
        now = clock.now()
        if row is None:
            row = ReplyTemplateText(category=category, situation=checked.value)
            session.add(row)
        row.text, row.updated_at, row.updated_by = wording, now, actor.ref
        session.flush()
        audit.record(
            session,
            at=now,
            actor=actor.ref,
            action="handling.reply_template_saved",
            subject_type="reply_template",
            subject_id=row.id,
            data={"category": category, "situation": checked, "before": before, "after": wording},
        )
        return row


def restore_reply_template(
    session: Session, *, category: str, situation: str, actor: Actor, clock: Clock
) -> None:
    """Go back to the built-in wording for a category and situation."""
    with transaction(session):
        permissions.require(actor.role, permissions.Permission.MANAGE_SETTINGS)
        category, checked = _template_key(category, situation)
        row = _reply_template(session, category, checked)
        if row is None:
            raise NotFound()
        audit.record(
            session,
            at=clock.now(),
            actor=actor.ref,
            action="handling.reply_template_restored",
            subject_type="reply_template",
            subject_id=row.id,
            data={"category": category, "situation": checked, "before": row.text},
        )
        session.delete(row)


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
