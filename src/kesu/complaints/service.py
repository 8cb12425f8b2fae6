"""Commands on the complaint aggregate. Each owns its transaction and records what happened."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from kesu.accounts import permissions
from kesu.accounts.models import Department, User
from kesu.audit import service as audit
from kesu.complaints import lifecycle, queries, search
from kesu.complaints.errors import (
    ComplaintNotFound,
    EvidenceRefused,
    InvalidTransition,
    ReasonRequired,
    UseDomainCommand,
)
from kesu.complaints.events import EventKind, record_event
from kesu.complaints.lifecycle import Action, Status, StatusCategory
from kesu.complaints.models import Complaint, Evidence
from kesu.complaints.notify import notify_milestone
from kesu.complaints.schemas import ComplaintDraft
from kesu.core.actors import Actor, ActorKind
from kesu.core.clock import Clock
from kesu.core.errors import Bilingual, ConcurrentUpdate, InvalidInput, NotFound, PermissionDenied
from kesu.core.text_limits import clean_text
from kesu.customers.models import Customer
from kesu.db import outbox
from kesu.db.engine import transaction
from kesu.db.rows import insert_row
from kesu.sla import service as sla

# No 0/O, 1/I/L: tracking numbers are read out over the phone.
_TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_TRACKING_RANDOM_CHARS = 6  # 31^6 ≈ 887 million per day: a clash is rare and retried

FOLLOW_UP_JOB = "followup.schedule"
CUSTOMER_ACTIONS = frozenset({Action.APPEAL, Action.WITHDRAW, Action.CUSTOMER_REPLIED})
_ACTION_PERMISSION = {
    Action.APPROVE_REMEDY: permissions.Permission.APPROVE_REMEDIES,
    Action.RETURN_REMEDY: permissions.Permission.APPROVE_REMEDIES,
    Action.ARCHIVE: permissions.Permission.ARCHIVE_COMPLAINTS,
}


def new_tracking_number(now: datetime) -> str:
    # One draw from the system's random source, written in base 31.
    value = secrets.randbelow(len(_TRACKING_ALPHABET) ** _TRACKING_RANDOM_CHARS)
    suffix = []
    for _ in range(_TRACKING_RANDOM_CHARS):
        value, digit = divmod(value, len(_TRACKING_ALPHABET))
        suffix.append(_TRACKING_ALPHABET[digit])
    return f"KS{now:%y%m%d}-{''.join(suffix)}"


@dataclass(frozen=True)
class DraftText:
    """The free-text fields of a registration form, cleaned and within their limits."""

    complainant_name: str
    target: str
    description: str


def check_draft_text(draft: ComplaintDraft, *, max_description_chars: int) -> DraftText:
    """Refuse a form whose texts registration would refuse; intake checks before it answers."""
    return DraftText(
        complainant_name=clean_text(
            draft.complainant_name, field=Bilingual("投诉人", "complainant"), max_length=120
        ),
        target=clean_text(draft.target, field=Bilingual("投诉对象", "target"), max_length=200),
        description=clean_text(
            draft.description,
            field=Bilingual("投诉内容", "description"),
            max_length=max_description_chars,
        ),
    )


def register_complaint(
    session: Session,
    draft: ComplaintDraft,
    *,
    customer_id: int,
    actor: Actor,
    clock: Clock,
    max_description_chars: int,
    category: str | None = None,
    priority: str | None = None,
    escalation_level: int = 0,
    tracking_number: str,
    received_at: datetime,
) -> Complaint:
    """Register a complaint as received, with its tracking number and first timeline event.

    Intake draws ``tracking_number`` (free among complaints and the API's pending submissions:
    ``kesu.intake.service.free_tracking_number``) and gives ``received_at``: now, or when the
    API's inbox accepted the submission and gave the complainant the number.
    """
    with transaction(session):
        now = clock.now()
        text = check_draft_text(draft, max_description_chars=max_description_chars)
        # Inserted at once for its id, without flushing the rows the transaction's other
        # registrations still hold (kesu.db.rows).
        complaint = insert_row(
            session,
            Complaint,
            {
                "tracking_number": tracking_number,
                "status": Status.RECEIVED,
                "version": 1,
                "resume_status": None,
                "customer_id": customer_id,
                "complainant_name": text.complainant_name,
                "contact_phone": draft.phone,
                "contact_email": draft.email,
                "channel": draft.channel,
                "region": draft.region or None,
                "target_type": draft.target_type,
                "target": text.target,
                "product_line": draft.product_line or None,
                "order_number": draft.order_number or None,
                "description": text.description,
                "demands": [demand.value for demand in draft.demands],
                "category": category,
                "priority": priority,
                "escalation_level": escalation_level,
                "special_attention": False,
                "occurred_at": draft.occurred_at,
                "received_at": received_at,
                "updated_at": now,
                "registered_by": actor.ref,
            },
        )
        search.index_complaints(session, [complaint])
        record_event(
            session,
            complaint,
            kind=EventKind.REGISTERED,
            actor=actor,
            at=received_at,
            is_public=True,
            to_status=Status.RECEIVED,
            data={"channel": draft.channel.value},
        )
        return complaint


def open_complaint(
    session: Session, viewer: Actor, complaint_id: int, *, clock: Clock
) -> Complaint:
    """Load a complaint for a member of staff and record the view of its personal data."""
    with transaction(session):
        complaint = queries.access_complaint(session, viewer, complaint_id)
        audit.record(
            session,
            at=clock.now(),
            actor=viewer.ref,
            action="complaint.viewed",
            subject_type="complaint",
            subject_id=complaint.id,
            data={"tracking_number": complaint.tracking_number},
        )
        return complaint


def load_for_update(session: Session, complaint_id: int, expected_version: int) -> Complaint:
    """The complaint, locked for the caller's transaction, if it is still at the version the caller
    read; raises ``ComplaintNotFound`` or ``ConcurrentUpdate``."""
    complaint = session.get(Complaint, complaint_id, with_for_update=True, populate_existing=True)
    if complaint is None:
        raise ComplaintNotFound()
    if complaint.version != expected_version:
        raise ConcurrentUpdate()
    return complaint


def _authorise(actor: Actor, complaint: Complaint, action: Action) -> None:
    if actor.kind is ActorKind.SYSTEM:
        return
    if actor.kind is ActorKind.CUSTOMER:
        if action not in CUSTOMER_ACTIONS or actor.id != complaint.customer_id:
            raise PermissionDenied()
        return
    permissions.require(
        actor.role, _ACTION_PERMISSION.get(action, permissions.Permission.HANDLE_COMPLAINTS)
    )


def _flush_or_conflict(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as error:
        raise ConcurrentUpdate() from error


def _move_clocks(
    session: Session,
    complaint: Complaint,
    actor: Actor,
    current: Status,
    target: Status,
    now: datetime,
) -> None:
    """Keep the SLA clocks in step with the lifecycle (keyed on status categories, not names)."""
    complaint_id = complaint.id
    # A reopened case and an appealed rejection are handled again: a fresh resolution deadline.
    if target in (Status.REOPENED, Status.APPEALED):
        customer = session.get(Customer, complaint.customer_id)
        terms = sla.select_terms(
            session,
            category=complaint.category,
            priority=complaint.priority,
            tags=list(customer.tags) if customer is not None else [],
        )
        sla.restart_resolution(session, complaint_id=complaint_id, terms=terms, now=now)
        return
    stopping: tuple[sla.ClockKind, ...] = ()
    if actor.kind is ActorKind.USER:
        # A person has acted on it: the first response is given.
        stopping += (sla.ClockKind.FIRST_RESPONSE,)
    if target is Status.RESOLVED or lifecycle.CATEGORY[target] is StatusCategory.DONE:
        stopping += (sla.ClockKind.FIRST_RESPONSE, sla.ClockKind.RESOLUTION)
    if stopping:
        sla.stop_clocks(session, complaint_id=complaint_id, kinds=stopping, now=now)
    if lifecycle.CATEGORY[target] is StatusCategory.WAITING:
        sla.pause_clocks(session, complaint_id=complaint_id, now=now)
    elif lifecycle.CATEGORY[current] is StatusCategory.WAITING:
        sla.resume_clocks(session, complaint_id=complaint_id, now=now)


def transition_complaint(
    session: Session,
    *,
    complaint_id: int,
    action: Action,
    expected_version: int,
    actor: Actor,
    clock: Clock,
    note: str | None = None,
    via_command: bool = False,
) -> Complaint:
    """Apply one lifecycle action; refused actions raise before anything is written.

    Raises ``InvalidTransition`` if the table does not allow ``action`` now, ``ReasonRequired``
    if the action needs a note and none was given, ``ConcurrentUpdate`` if the complaint is no
    longer at ``expected_version``, ``PermissionDenied`` if the actor may not take the action.
    """
    with transaction(session):
        if action in lifecycle.COMMAND_ACTIONS and not via_command:
            raise UseDomainCommand(action=action.value)
        complaint = load_for_update(session, complaint_id, expected_version)
        _authorise(actor, complaint, action)
        current = Status(complaint.status)
        resume = Status(complaint.resume_status) if complaint.resume_status else None
        target = lifecycle.plan(current, action, resume_status=resume)
        note = (
            clean_text(note or "", field=Bilingual("说明", "note"), max_length=5000, required=False)
            or None
        )
        if lifecycle.needs_reason(action) and note is None:
            raise ReasonRequired(action=action.value)
        now = clock.now()
        complaint.resume_status = current if action is Action.WAIT_FOR_CUSTOMER else None
        complaint.status = target
        complaint.updated_at = now
        _flush_or_conflict(session)
        _move_clocks(session, complaint, actor, current, target, now)
        notify_milestone(session, complaint, target, note, now)
        if target is Status.RESOLVED:
            # The follow-up visit (回访) is scheduled after commit, through the outbox.
            outbox.enqueue(
                session,
                FOLLOW_UP_JOB,
                {"complaint_id": complaint.id},
                now=now,
                dedupe_key=f"{FOLLOW_UP_JOB}:{complaint.id}:{complaint.version}",
            )
        record_event(
            session,
            complaint,
            kind=EventKind.STATUS_CHANGED,
            actor=actor,
            at=now,
            is_public=True,
            from_status=current,
            to_status=target,
            note=note,
            data={"action": action.value},
        )
        return complaint


@dataclass(frozen=True)
class _Assignment:
    department: Department | None
    assignee: User | None

    @property
    def department_id(self) -> int | None:
        return self.department.id if self.department is not None else None

    def event_data(self) -> dict[str, object]:
        return {
            "department_id": self.department_id,
            "department_name": self.department.name if self.department is not None else None,
            "assignee_id": self.assignee.id if self.assignee is not None else None,
            "assignee_name": self.assignee.display_name if self.assignee is not None else None,
        }


def _assignment(
    session: Session, department_id: int | None, assignee_id: int | None
) -> _Assignment:
    """Who a complaint goes to: the department (default: the assignee's own) and an active handler."""
    if department_id is None and assignee_id is None:
        raise InvalidInput(
            reason=Bilingual("请指定责任部门或处理人", "name a department or a handler")
        )
    assignee = session.get(User, assignee_id) if assignee_id is not None else None
    if assignee_id is not None and (assignee is None or not assignee.is_active):
        raise NotFound()
    if department_id is None and assignee is not None:
        department_id = assignee.department_id
    department = session.get(Department, department_id) if department_id is not None else None
    if department_id is not None and department is None:
        raise NotFound()
    return _Assignment(department=department, assignee=assignee)


def assign_complaint(
    session: Session,
    *,
    complaint_id: int,
    expected_version: int,
    department_id: int | None,
    assignee_id: int | None,
    actor: Actor,
    clock: Clock,
    note: str | None = None,
) -> Complaint:
    """Hand the complaint to a responsible department and, optionally, a handler in it."""
    with transaction(session):
        complaint = load_for_update(session, complaint_id, expected_version)
        _authorise(actor, complaint, Action.ASSIGN)
        assignment = _assignment(session, department_id, assignee_id)
        current = Status(complaint.status)
        target = lifecycle.plan(current, Action.ASSIGN)
        now = clock.now()
        complaint.status = target
        complaint.department_id = assignment.department_id
        complaint.assignee_id = assignee_id
        complaint.updated_at = now
        _flush_or_conflict(session)
        _move_clocks(session, complaint, actor, current, target, now)
        notify_milestone(session, complaint, target, None, now)
        record_event(
            session,
            complaint,
            kind=EventKind.ASSIGNED,
            actor=actor,
            at=now,
            is_public=True,
            from_status=current,
            to_status=target,
            note=note,
            data=assignment.event_data(),
        )
        return complaint


# Reassignment moves work between people or departments without changing what stage it is in.
REASSIGNABLE = frozenset(
    {
        Status.ASSIGNED,
        Status.INVESTIGATING,
        Status.REMEDY_PROPOSED,
        Status.AWAITING_APPROVAL,
        Status.CARRYING_OUT,
        Status.WAITING_CUSTOMER,
    }
)


def reassign_complaint(
    session: Session,
    *,
    complaint_id: int,
    expected_version: int,
    department_id: int | None,
    assignee_id: int | None,
    reason: str,
    actor: Actor,
    clock: Clock,
) -> Complaint:
    """Transfer an assigned complaint to another department or handler, with the reason on record."""
    with transaction(session):
        complaint = load_for_update(session, complaint_id, expected_version)
        _authorise(actor, complaint, Action.ASSIGN)
        if Status(complaint.status) not in REASSIGNABLE:
            raise InvalidTransition(status=complaint.status, action="reassign")
        reason = clean_text(reason, field=Bilingual("转派原因", "reason"), max_length=2000)
        assignment = _assignment(session, department_id, assignee_id)
        before = {"department_id": complaint.department_id, "assignee_id": complaint.assignee_id}
        now = clock.now()
        complaint.department_id = assignment.department_id
        complaint.assignee_id = assignee_id
        complaint.updated_at = now
        _flush_or_conflict(session)
        record_event(
            session,
            complaint,
            kind=EventKind.REASSIGNED,
            actor=actor,
            at=now,
            is_public=False,
            note=reason,
            data={"from": before, **assignment.event_data()},
        )
        return complaint


class EvidenceStore(Protocol):
    """Keeps evidence bytes outside the database, addressed by their SHA-256."""

    def save(self, sha256: str, data: bytes) -> None: ...

    def load(self, sha256: str) -> bytes: ...


@dataclass(frozen=True)
class EvidenceUpload:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class EvidenceLimits:
    max_bytes: int
    max_files: int


# Declared type → the leading bytes the file must start with. A file whose bytes do not match
# its declared type is refused: browsers and apps send whatever the file name suggests.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
    "application/pdf": (b"%PDF-",),
    "audio/mpeg": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
    "audio/amr": (b"#!AMR",),
    "video/mp4": (),  # checked by the 'ftyp' box below
    "text/plain": (),
}


def _check_upload(upload: EvidenceUpload, limits: EvidenceLimits) -> str:
    filename = upload.filename.replace("\\", "/").rsplit("/", 1)[-1].strip()[:200] or "evidence"
    content_type = upload.content_type.split(";")[0].strip().lower()

    def refuse(zh: str, en: str) -> EvidenceRefused:
        return EvidenceRefused(filename=filename, reason=Bilingual(zh, en))

    if not upload.data:
        raise refuse("文件为空", "the file is empty")
    if len(upload.data) > limits.max_bytes:
        raise refuse(
            f"超过 {limits.max_bytes // 1024 // 1024} MB",
            f"larger than {limits.max_bytes // 1024 // 1024} MB",
        )
    if content_type not in _SIGNATURES:
        raise refuse("不支持的文件类型", f"the type {content_type} is not accepted")
    signatures = _SIGNATURES[content_type]
    if content_type == "video/mp4":
        matches = upload.data[4:8] == b"ftyp"
    elif content_type == "text/plain":
        matches = _is_text(upload.data)
    else:
        matches = upload.data.startswith(signatures)
    if not matches:
        raise refuse("文件内容与类型不符", "the content does not match its type")
    return filename


def _is_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in data


def attach_evidence(
    session: Session,
    *,
    complaint: Complaint,
    uploads: Sequence[EvidenceUpload],
    store: EvidenceStore,
    limits: EvidenceLimits,
    actor: Actor,
    clock: Clock,
) -> list[Evidence]:
    """Check every file first, then store them all; one refused file refuses the whole batch."""
    with transaction(session):
        existing = len(
            session.scalars(select(Evidence.id).where(Evidence.complaint_id == complaint.id)).all()
        )
        if existing + len(uploads) > limits.max_files:
            raise EvidenceRefused(
                filename=str(len(uploads)),
                reason=Bilingual(
                    f"每件投诉最多 {limits.max_files} 个附件",
                    f"at most {limits.max_files} files per complaint",
                ),
            )
        names = [_check_upload(upload, limits) for upload in uploads]
        now = clock.now()
        rows = []
        for upload, filename in zip(uploads, names, strict=True):
            digest = hashlib.sha256(upload.data).hexdigest()
            # Content-addressed: a file stored for a transaction that then rolls back is an
            # orphan that the next identical upload reuses, never a wrong attachment.
            store.save(digest, upload.data)
            evidence = Evidence(
                complaint_id=complaint.id,
                filename=filename,
                content_type=upload.content_type.split(";")[0].strip().lower(),
                size_bytes=len(upload.data),
                sha256=digest,
                uploaded_at=now,
                uploaded_by=actor.ref,
            )
            session.add(evidence)
            rows.append(evidence)
        session.flush()
        record_event(
            session,
            complaint,
            kind=EventKind.EVIDENCE_ADDED,
            actor=actor,
            at=now,
            is_public=True,
            data={"evidence_ids": [row.id for row in rows], "filenames": names},
        )
        return rows
