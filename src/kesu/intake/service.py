"""The "new complaint" workflow across domains: match customer → register → triage → acknowledge.

Every step runs in one transaction, so an acknowledged complaint always has its customer
profile, its timeline, its audit rows and its queued acknowledgement — or none of them exist.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kesu.complaints import service as complaints
from kesu.complaints.events import EventKind, record_event
from kesu.complaints.models import Complaint
from kesu.complaints.notify import notify_customer
from kesu.complaints.schemas import ComplaintDraft
from kesu.complaints.service import EvidenceLimits, EvidenceStore, EvidenceUpload
from kesu.core.actors import SYSTEM, Actor, ActorKind
from kesu.core.clock import Clock
from kesu.core.errors import Bilingual
from kesu.core.text_limits import clean_text
from kesu.customers import service as customers
from kesu.customers.service import VIP_TAG
from kesu.db.engine import transaction
from kesu.escalation import service as escalation
from kesu.intake.errors import IdempotencyKeyReused, InvalidIdempotencyKey
from kesu.intake.models import IntakeRequest, IntakeSubmission
from kesu.sla import service as sla
from kesu.text.analysis import TextAnalysis
from kesu.triage import service as triage
from kesu.triage.service import TriageEngine


@dataclass(frozen=True)
class IntakePolicy:
    max_description_chars: int
    evidence: EvidenceLimits
    first_response_hours: int
    public_url: str


@dataclass(frozen=True)
class IntakeResult:
    complaint: Complaint
    created: bool
    """False when an earlier submission with the same idempotency key is returned."""


def hash_request(draft: ComplaintDraft, uploads: Sequence[EvidenceUpload] = ()) -> str:
    """The digest that tells a retry (same key, same body) from a reused key."""
    digest = hashlib.sha256(draft.model_dump_json().encode())
    for upload in uploads:
        digest.update(hashlib.sha256(upload.data).digest())
    return digest.hexdigest()


def free_tracking_number(session: Session, now: datetime) -> str:
    """A tracking number held by no complaint and no pending submission of the API's inbox.

    A clash is rare (31^6 numbers a day) and drawn again; the unique indexes of both tables
    still guard against two writers drawing the same number at once.
    """
    while True:
        number = complaints.new_tracking_number(now)
        with session.no_autoflush:
            taken = session.scalar(
                select(Complaint.id).where(Complaint.tracking_number == number)
            ) or session.scalar(
                select(IntakeSubmission.id).where(IntakeSubmission.tracking_number == number)
            )
        if not taken:
            return number


def check_key(key: str) -> str:
    key = key.strip()
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise InvalidIdempotencyKey()
    return key


def replay(session: Session, key: str, request_hash: str) -> IntakeResult | None:
    """The complaint an earlier submission with ``key`` registered, if any; a different body
    under the same key is refused."""
    earlier = session.scalar(select(IntakeRequest).where(IntakeRequest.idempotency_key == key))
    if earlier is None:
        return None
    if earlier.request_hash != request_hash:
        raise IdempotencyKeyReused()
    complaint = session.get(Complaint, earlier.complaint_id)
    if complaint is None:  # the foreign key forbids it; a manual deletion would be a data error
        raise RuntimeError(f"intake request {earlier.id} points at a missing complaint")
    return IntakeResult(complaint=complaint, created=False)


def submit_complaint(
    session: Session,
    draft: ComplaintDraft,
    *,
    registration: Registration,
    uploads: Sequence[EvidenceUpload] = (),
    idempotency_key: str | None = None,
    agent: Actor | None = None,
) -> IntakeResult:
    """Register a complaint from any channel and queue its acknowledgement.

    ``agent`` is the member of staff entering it (phone, counter, on-site); self-service
    submissions act as the matched customer. With an ``idempotency_key``, a retry of the same
    submission returns the first complaint, and the same key with another body is refused.
    """
    key = check_key(idempotency_key) if idempotency_key is not None else None
    request_hash = hash_request(draft, uploads)
    if key is not None and (replayed := replay(session, key, request_hash)) is not None:
        return replayed
    # Reading the text is the CPU-heavy part of intake; done here, before the transaction, it
    # never holds the database's write lock (SQLite has one for the whole file).
    read = read_submission(
        draft,
        policy=registration.policy,
        received_at=registration.clock.now(),
        engine=registration.engine,
    )
    try:
        return register_read(
            session,
            draft,
            read,
            registration,
            uploads=uploads,
            key=key,
            request_hash=request_hash,
            agent=agent,
        )
    except IntegrityError:
        # Two retries raced; the loser's transaction rolled back, so return the winner's work.
        if key is None or (replayed := replay(session, key, request_hash)) is None:
            raise
        return replayed


@dataclass(frozen=True)
class Registration:
    """What registering a complaint needs besides the form: one per application."""

    policy: IntakePolicy
    clock: Clock
    store: EvidenceStore
    engine: TriageEngine


@dataclass(frozen=True)
class ReadSubmission:
    """What intake learns from the submission before it takes the write lock."""

    description: str
    reading: TextAnalysis


def read_submission(
    draft: ComplaintDraft, *, policy: IntakePolicy, received_at: datetime, engine: TriageEngine
) -> ReadSubmission:
    """Check the form's texts and read the description (triage's pure part: no database)."""
    description = clean_text(
        draft.description,
        field=Bilingual("投诉内容", "description"),
        max_length=policy.max_description_chars,
    )
    reading = triage.read_text(
        description,
        product_line=draft.product_line,
        occurred_at=draft.occurred_at,
        received_at=received_at,
        engine=engine,
    )
    return ReadSubmission(description, reading)


def register_read(
    session: Session,
    draft: ComplaintDraft,
    read: ReadSubmission,
    registration: Registration,
    *,
    uploads: Sequence[EvidenceUpload] = (),
    key: str | None = None,
    request_hash: str,
    agent: Actor | None,
    tracking_number: str | None = None,
    received_at: datetime | None = None,
) -> IntakeResult:
    """Register a read submission: customer, complaint, triage, deadlines, evidence, idempotency
    record and acknowledgement, in one transaction.

    ``tracking_number`` and ``received_at`` are the ones the API's inbox gave the complainant
    when it accepted the submission; otherwise a free number is drawn and it is received now.
    """
    policy, clock, store, engine = (
        registration.policy,
        registration.clock,
        registration.store,
        registration.engine,
    )
    # The customer and the complaint are inserted at once for their ids (kesu.db.rows); every
    # other row waits in the session and goes out at commit, with those of the transaction's
    # other registrations (the inbox registers several in one): no read of this workflow needs
    # them before, so no flush writes them early, a table at a time.
    with transaction(session), session.no_autoflush:
        now = clock.now()
        received = received_at or now
        customer, new_customer = customers.match_customer(
            session,
            customers.Contact(name=draft.complainant_name, phone=draft.phone, email=draft.email),
            now=now,
        )
        actor = agent or Actor(
            kind=ActorKind.CUSTOMER, id=customer.id, role="customer", name=draft.complainant_name
        )
        assessment = triage.assess(
            session,
            customer_id=customer.id,
            description=read.description,
            product_line=draft.product_line,
            occurred_at=draft.occurred_at,
            received_at=received,
            engine=engine,
            new_customer=new_customer,
            reading=read.reading,
        )
        terms = sla.select_terms(
            session,
            category=assessment.result.category.label,
            priority=assessment.result.priority,
            tags=list(customer.tags),
        )
        calendar = sla.business_calendar(session)
        trigger = escalation.intake_trigger(
            threat=bool(assessment.result.threats),
            angry=assessment.result.anger.level >= 2,
            vip=VIP_TAG in customer.tags,
        )
        complaint = complaints.register_complaint(
            session,
            draft,
            customer_id=customer.id,
            actor=actor,
            clock=clock,
            max_description_chars=policy.max_description_chars,
            category=assessment.result.category.label,
            priority=assessment.result.priority,
            escalation_level=1 if trigger is not None else 0,
            tracking_number=tracking_number or free_tracking_number(session, now),
            received_at=received,
        )
        triage.record_assessment(session, complaint, assessment, engine=engine, clock=clock)
        if trigger is not None:
            escalation.record_intake_escalation(session, complaint, trigger, now=now)
        sla.start_clocks(
            session, complaint_id=complaint.id, terms=terms, now=received, calendar=calendar
        )
        if uploads:
            complaints.attach_evidence(
                session,
                complaint=complaint,
                uploads=uploads,
                store=store,
                limits=policy.evidence,
                actor=actor,
                clock=clock,
            )
        if key is not None:
            session.add(
                IntakeRequest(
                    idempotency_key=key,
                    request_hash=request_hash,
                    complaint_id=complaint.id,
                    created_at=now,
                )
            )
            session.flush()
        _acknowledge(session, complaint, policy, clock)
        return IntakeResult(complaint=complaint, created=True)


def _acknowledge(
    session: Session, complaint: Complaint, policy: IntakePolicy, clock: Clock
) -> None:
    now = clock.now()
    body = (
        f"{complaint.complainant_name}您好：您关于“{complaint.target}”的投诉已受理，"
        f"受理编号 {complaint.tracking_number}。我们将在 {policy.first_response_hours} 小时内"
        f"与您联系。您可凭受理编号和联系电话在 {policy.public_url.rstrip('/')}/track 查询进度。"
    )
    channels = notify_customer(
        session,
        complaint,
        kind="complaint.acknowledged",
        subject=f"投诉已受理（{complaint.tracking_number}）",
        body=body,
        now=now,
    )
    record_event(
        session,
        complaint,
        kind=EventKind.ACKNOWLEDGED,
        actor=SYSTEM,
        at=now,
        is_public=True,
        data={"channels": [channel.value for channel in channels]},
    )
