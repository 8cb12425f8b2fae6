"""The API's intake inbox: accept at once with a tracking number, register a moment later.

A complaint sent through the REST API is checked like any registration form and written as one
``intake_submission`` row, with its tracking number and time of receipt drawn then; the request
answers 202 with the receipt. The worker registers pending rows oldest first, several in one
transaction: customer profile, complaint, triage, deadlines (from the time of receipt), timeline,
audit and acknowledgement, exactly as a synchronous registration does. Tracking a number whose
submission is still pending registers it on the spot, so a customer never meets a number that
finds nothing, whether or not a worker is running.

Nothing acknowledged is lost: the row is committed before the answer, and a registration that
fails is retried with backoff and finally parked as ``failed`` for an operator, never dropped.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kesu.accounts import permissions
from kesu.accounts.permissions import Permission
from kesu.audit import service as audit
from kesu.complaints import queries
from kesu.complaints import service as complaints
from kesu.complaints.lifecycle import Status
from kesu.complaints.models import Complaint
from kesu.complaints.schemas import ComplaintDraft
from kesu.core.actors import Actor, ActorKind
from kesu.core.clock import Clock
from kesu.db import outbox
from kesu.db.batching import GroupWriter
from kesu.db.engine import KeptConnection, transaction
from kesu.intake.errors import IdempotencyKeyReused
from kesu.intake.models import IntakeSubmission, SubmissionStatus
from kesu.intake.service import (
    Registration,
    check_key,
    hash_request,
    read_submission,
    register_read,
    replay,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
"""Failed registrations of one submission before it is parked as ``failed``."""
BATCH_SIZE = 50
SECONDS_PER_RUN = 0.05
"""A run registers submissions one after another in one transaction until this long has passed
(or ``BATCH_SIZE`` are done): on SQLite every other writer waits for the run, and an intake
request that waits 50 ms is still fast; the rest follow at once in the next run."""


@dataclass(frozen=True)
class Accepted:
    """What the complainant is told when the API accepts a submission."""

    tracking_number: str
    status: str
    """``received`` until registered; a replay of a registered one gives its current status."""
    received_at: datetime
    created: bool
    """False when an earlier submission with the same idempotency key is returned."""


@dataclass(frozen=True)
class _Submission:
    """A checked form on its way into the inbox."""

    key: str | None
    digest: str
    payload: dict[str, Any]
    received_at: datetime


class Inbox:
    """The API's intake inbox of one process: accepts submissions, several in one transaction.

    Concurrent requests of the process hand their rows to a ``GroupWriter``: one write serves
    all of them, and each request answers once its row is committed. The writer keeps its
    connection between batches (``KeptConnection``); on PostgreSQL a batch is one statement in
    autocommit, on SQLite one transaction with a multi-row INSERT. The checks run on the event
    loop (they are pure and take microseconds).
    """

    def __init__(self, engine: Engine, registration: Registration, *, max_batch: int = 100) -> None:
        self.registration = registration
        self._engine = engine
        self._connection = KeptConnection(engine)
        self._writer: GroupWriter[_Submission, Accepted] = GroupWriter(
            self._write, max_batch=max_batch
        )

    async def accept(
        self,
        draft: ComplaintDraft,
        *,
        idempotency_key: str | None = None,
        agent: Actor | None = None,
    ) -> Accepted:
        """Check a registration form and keep it for the worker to register.

        Bad input is refused here, with the errors a synchronous registration gives, so that a
        submission once accepted always registers. With an ``idempotency_key``, a retry returns
        the first receipt and the same key with another body is refused.
        """
        return await self._writer.submit(self._checked(draft, idempotency_key, agent))

    def accept_now(
        self,
        draft: ComplaintDraft,
        *,
        idempotency_key: str | None = None,
        agent: Actor | None = None,
    ) -> Accepted:
        """``accept`` for a caller without an event loop, in a transaction of its own."""
        return self._writer.write_now(self._checked(draft, idempotency_key, agent))

    def _checked(
        self, draft: ComplaintDraft, idempotency_key: str | None, agent: Actor | None
    ) -> _Submission:
        key = check_key(idempotency_key) if idempotency_key is not None else None
        complaints.check_draft_text(
            draft, max_description_chars=self.registration.policy.max_description_chars
        )
        return _Submission(
            key=key,
            digest=hash_request(draft),
            payload={"draft": draft.model_dump(mode="json"), "agent": _agent(agent)},
            received_at=self.registration.clock.now(),
        )

    def close(self) -> None:
        self._writer.close()
        self._connection.give_back()

    def _write(self, submissions: Sequence[_Submission]) -> list[Accepted | Exception]:
        numbers = [complaints.new_tracking_number(s.received_at) for s in submissions]
        # Receipts of rows known to be committed: a failure after them must not write them twice.
        written: dict[int, Accepted] = {}
        try:
            with self._connection.write() as connection:
                if self._connection.autocommit:
                    _insert_unless_held(connection, submissions, numbers, written)
                else:
                    _insert_checked(connection, submissions, numbers)
            for index, submission in enumerate(submissions):
                written.setdefault(index, _receipt(submission, numbers[index]))
        except IntegrityError:
            # A key used before (a retry) or a number another submission holds: each of the
            # rest on its own, so that each gets its own answer.
            with Session(self._engine) as session:
                return [
                    written.get(index) or _accept_alone(session, submission)
                    for index, submission in enumerate(submissions)
                ]
        return [written[index] for index in range(len(submissions))]


_INSERT_UNLESS_HELD = text(
    """
    INSERT INTO intake_submission
        (tracking_number, status, received_at, payload, idempotency_key, request_hash, attempts)
    SELECT row.tracking_number, row.status, row.received_at, row.payload, row.idempotency_key,
           row.request_hash, 0
    FROM json_to_recordset(CAST(:rows AS json)) AS row(
        tracking_number text, status text, received_at timestamptz, payload json,
        idempotency_key text, request_hash text)
    WHERE NOT EXISTS (
        SELECT 1 FROM complaint WHERE complaint.tracking_number = row.tracking_number)
    RETURNING tracking_number
    """
)
"""PostgreSQL: a whole batch in one statement (one round trip, committed by itself), skipping
rows whose number a complaint already holds. The rows travel as one JSON document, so the text
is the same for any batch size: compiled once, and prepared by the server after a few uses. An
IN list of held numbers cost as much as the INSERT; a text array more, escaped element by element.
A number another submission holds is left to the unique index."""


def _insert_unless_held(
    connection: Connection,
    submissions: Sequence[_Submission],
    numbers: list[str],
    written: dict[int, Accepted],
) -> None:
    waiting = list(range(len(submissions)))
    while waiting:
        rows = json.dumps(
            [_row(submissions[index], numbers[index], as_text=True) for index in waiting],
            ensure_ascii=False,
        )
        stored = set(connection.scalars(_INSERT_UNLESS_HELD, {"rows": rows}))
        for index in waiting:
            if numbers[index] in stored:
                written[index] = _receipt(submissions[index], numbers[index])
        # Only the rows whose number a complaint holds go again, with numbers drawn afresh.
        waiting = [index for index in waiting if index not in written]
        for index in waiting:
            numbers[index] = complaints.new_tracking_number(submissions[index].received_at)


def _insert_checked(
    connection: Connection, submissions: Sequence[_Submission], numbers: list[str]
) -> None:
    """SQLite: skip the numbers complaints hold, then one multi-row INSERT, in the transaction
    that holds the write lock. RETURNING makes it one statement rather than an executemany."""
    numbers[:] = _free_numbers(connection, numbers, [s.received_at for s in submissions])
    connection.execute(
        insert(IntakeSubmission).returning(IntakeSubmission.id),
        [_row(submission, number) for submission, number in zip(submissions, numbers, strict=True)],
    ).all()


def _receipt(submission: _Submission, number: str) -> Accepted:
    return Accepted(
        tracking_number=number,
        status=Status.RECEIVED,
        received_at=submission.received_at,
        created=True,
    )


def _free_numbers(
    connection: Connection, numbers: Sequence[str], received: Sequence[datetime]
) -> list[str]:
    """These tracking numbers, those a complaint holds drawn again for their receipt times (one
    query a round; a clash with another submission is left to its unique index)."""
    numbers = list(numbers)
    while taken := set(connection.scalars(_holders(numbers))):
        numbers = [
            complaints.new_tracking_number(moment) if number in taken else number
            for number, moment in zip(numbers, received, strict=True)
        ]
    return numbers


def _holders(numbers: Sequence[str]) -> Select[str]:
    column = Complaint.tracking_number
    # One number is the usual case: equality is a cached statement, an IN list is rendered anew.
    return select(column).where(column == numbers[0] if len(numbers) == 1 else column.in_(numbers))


def _row(submission: _Submission, number: str, *, as_text: bool = False) -> dict[str, Any]:
    return {
        "tracking_number": number,
        "status": SubmissionStatus.PENDING.value,
        "received_at": submission.received_at.isoformat() if as_text else submission.received_at,
        "payload": submission.payload,
        "idempotency_key": submission.key,
        "request_hash": submission.digest,
        "attempts": 0,
    }


def _accept_alone(session: Session, submission: _Submission) -> Accepted | Exception:
    try:
        while True:
            try:
                with transaction(session):
                    connection = session.connection()
                    moment = submission.received_at
                    drawn = complaints.new_tracking_number(moment)
                    (number,) = _free_numbers(connection, [drawn], [moment])
                    connection.execute(insert(IntakeSubmission), [_row(submission, number)])
                return Accepted(
                    tracking_number=number,
                    status=Status.RECEIVED,
                    received_at=submission.received_at,
                    created=True,
                )
            except IntegrityError:
                # A retry with the same key was here first (return its receipt), or another
                # submission holds the number (draw again).
                key = submission.key
                if key is not None and (earlier := _replay(session, key, submission.digest)):
                    return earlier
    except Exception as error:  # this caller's own error (a reused key): the others go on
        return error


def _agent(agent: Actor | None) -> dict[str, Any] | None:
    if agent is None:
        return None
    return {"kind": agent.kind.value, "id": agent.id, "role": agent.role, "name": agent.name}


def _actor(stored: dict[str, Any] | None) -> Actor | None:
    if stored is None:
        return None
    return Actor(
        kind=ActorKind(stored["kind"]), id=stored["id"], role=stored["role"], name=stored["name"]
    )


def _replay(session: Session, key: str, digest: str) -> Accepted | None:
    # A key may have registered a complaint synchronously (the portal, or the API before the
    # inbox): that complaint is the answer too.
    if (registered := replay(session, key, digest)) is not None:
        complaint = registered.complaint
        return Accepted(
            tracking_number=complaint.tracking_number,
            status=complaint.status,
            received_at=complaint.received_at,
            created=False,
        )
    earlier = session.scalar(
        select(IntakeSubmission).where(IntakeSubmission.idempotency_key == key)
    )
    if earlier is None:
        return None
    if earlier.request_hash != digest:
        raise IdempotencyKeyReused()
    status: str = Status.RECEIVED
    if earlier.complaint_id is not None:
        status = (
            session.scalar(select(Complaint.status).where(Complaint.id == earlier.complaint_id))
            or status
        )
    return Accepted(
        tracking_number=earlier.tracking_number,
        status=status,
        received_at=earlier.received_at,
        created=False,
    )


def register_pending(
    session: Session,
    registration: Registration,
    *,
    batch_size: int = BATCH_SIZE,
    seconds: float = SECONDS_PER_RUN,
) -> int:
    """One worker run: register due pending submissions, oldest first; returns how many.

    They share one transaction (one audit-chain lock, one commit); if any fails, the run is
    rolled back and each is registered in a transaction of its own, so one bad submission
    records its failure without holding back the others. Many workers may run this at once on
    PostgreSQL: each takes rows the others have not locked.
    """
    now = registration.clock.now()
    due = (
        _pending(or_(IntakeSubmission.retry_at.is_(None), IntakeSubmission.retry_at <= now))
        .order_by(IntakeSubmission.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    )
    ids: list[int] = []
    try:
        with transaction(session):
            started = time.monotonic()
            for submission in session.scalars(due).all():
                ids.append(submission.id)
                _register(session, submission, registration)
                if time.monotonic() - started >= seconds:
                    break
    except Exception:
        log.warning("intake run failed; registering its submissions one by one", exc_info=True)
        return sum(_register_alone(session, submission_id, registration) for submission_id in ids)
    return len(ids)


def _pending(condition: ColumnElement[bool]) -> Select[IntakeSubmission]:
    return select(IntakeSubmission).where(
        IntakeSubmission.status == SubmissionStatus.PENDING, condition
    )


def _register(session: Session, submission: IntakeSubmission, registration: Registration) -> None:
    if submission.payload is None:  # registered rows have no payload; the status says pending
        raise RuntimeError(f"intake submission {submission.id} has no registration form")
    draft = ComplaintDraft.model_validate(submission.payload["draft"])
    read = read_submission(
        draft,
        policy=registration.policy,
        received_at=submission.received_at,
        engine=registration.engine,
    )
    result = register_read(
        session,
        draft,
        read,
        registration,
        request_hash=submission.request_hash,
        agent=_actor(submission.payload.get("agent")),
        tracking_number=submission.tracking_number,
        received_at=submission.received_at,
    )
    submission.status = SubmissionStatus.REGISTERED
    submission.complaint_id = result.complaint.id
    submission.payload = None
    submission.last_error = None
    submission.retry_at = None


def _register_alone(session: Session, submission_id: int, registration: Registration) -> int:
    try:
        with transaction(session):
            submission = session.scalar(
                _pending(IntakeSubmission.id == submission_id).with_for_update(skip_locked=True)
            )
            if submission is None:
                return 0
            _register(session, submission, registration)
            return 1
    except Exception as error:
        _record_failure(session, submission_id, error, registration)
        return 0


def _record_failure(
    session: Session, submission_id: int, error: Exception, registration: Registration
) -> None:
    now = registration.clock.now()
    with transaction(session):
        submission = session.get(IntakeSubmission, submission_id, populate_existing=True)
        if submission is None or submission.status != SubmissionStatus.PENDING:
            return
        submission.attempts += 1
        submission.last_error = "".join(traceback.format_exception_only(error)).strip()[:4000]
        if submission.attempts >= MAX_ATTEMPTS:
            submission.status = SubmissionStatus.FAILED
            log.error("intake submission failed", extra={"submission_id": submission_id})
        else:
            submission.retry_at = now + outbox.backoff(submission.attempts)


def register_now(session: Session, registration: Registration, tracking_number: str) -> bool:
    """Register the pending submission with this tracking number at once, if there is one.

    Tracking calls this first, so a complainant who looks up a number the moment after filing
    sees the registered complaint. It waits for a worker registering the same row, then finds
    it registered. Returns whether it registered one.
    """
    pending = _pending(IntakeSubmission.tracking_number == tracking_number.strip().upper())
    # The common case, no pending submission, is read only: no write lock.
    if session.scalar(pending.with_only_columns(IntakeSubmission.id)) is None:
        return False
    with transaction(session):
        submission = session.scalar(pending.with_for_update())
        if submission is None:
            return False
        _register(session, submission, registration)
        return True


def access_by_tracking_number(
    session: Session, registration: Registration, *, tracking_number: str, contact: str
) -> Complaint:
    """``queries.access_by_tracking_number``, after registering a pending submission of that
    number: the complainant's one way in, for every channel."""
    register_now(session, registration, tracking_number)
    return queries.access_by_tracking_number(
        session, tracking_number=tracking_number, contact=contact
    )


@dataclass(frozen=True)
class FailedSubmission:
    tracking_number: str
    received_at: datetime
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class InboxState:
    pending: int
    failed: int
    oldest_pending: datetime | None
    failures: list[FailedSubmission]
    """The newest failed submissions (at most ``FAILURES_SHOWN``), for an operator to read."""


FAILURES_SHOWN = 20


def inbox_state(session: Session, viewer: Actor) -> InboxState:
    """How many submissions wait for registration and since when; which failed, and why."""
    permissions.require(viewer.role, Permission.MANAGE_SETTINGS)
    counts: dict[str, int] = dict(
        session.execute(
            select(IntakeSubmission.status, func.count())
            .where(IntakeSubmission.status != SubmissionStatus.REGISTERED)
            .group_by(IntakeSubmission.status)
        ).all()
    )
    oldest = session.scalar(
        select(func.min(IntakeSubmission.received_at)).where(
            IntakeSubmission.status == SubmissionStatus.PENDING
        )
    )
    failures = [
        FailedSubmission(row.tracking_number, row.received_at, row.attempts, row.last_error)
        for row in session.execute(
            select(
                IntakeSubmission.tracking_number,
                IntakeSubmission.received_at,
                IntakeSubmission.attempts,
                IntakeSubmission.last_error,
            )
            .where(IntakeSubmission.status == SubmissionStatus.FAILED)
            .order_by(IntakeSubmission.id.desc())
            .limit(FAILURES_SHOWN)
        )
    ]
    return InboxState(
        pending=counts.get(SubmissionStatus.PENDING, 0),
        failed=counts.get(SubmissionStatus.FAILED, 0),
        oldest_pending=oldest,
        failures=failures,
    )


def retry_failed(session: Session, actor: Actor, clock: Clock) -> int:
    """Put every failed submission back in line (once the cause is mended); returns how many."""
    permissions.require(actor.role, Permission.MANAGE_SETTINGS)
    with transaction(session):
        numbers = list(
            session.scalars(
                update(IntakeSubmission)
                .where(IntakeSubmission.status == SubmissionStatus.FAILED)
                .values(status=SubmissionStatus.PENDING, attempts=0, retry_at=None)
                .returning(IntakeSubmission.tracking_number)
            )
        )
        if numbers:
            audit.record(
                session,
                at=clock.now(),
                actor=actor.ref,
                action="intake.retried",
                subject_type="intake_submission",
                subject_id="failed",
                data={"count": len(numbers), "tracking_numbers": sorted(numbers)},
            )
        return len(numbers)
