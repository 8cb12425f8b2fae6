"""The API's intake inbox: accepted at once, registered by the worker, tracked at any moment."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from kesu.audit import service as audit
from kesu.bootstrap import Kesu
from kesu.complaints import service as complaints_service
from kesu.complaints.models import Complaint, TimelineEvent
from kesu.core.actors import SYSTEM
from kesu.core.clock import FixedClock
from kesu.customers.models import Customer
from kesu.db import migrate
from kesu.db.models import Job
from kesu.intake import inbox
from kesu.intake import service as intake
from kesu.intake.models import IntakeSubmission, SubmissionStatus
from kesu.jobs import registry
from kesu.jobs.worker import Worker, WorkerConfig
from kesu.notifications.models import Notification
from kesu.sla.models import SlaClock
from tests.factories import Personas, draft, file_complaint, register_submissions, see_committed
from tests.fakes import MemoryNotifier

FORM = draft().model_dump(mode="json")


def _count(session: Session, model: type) -> int:
    see_committed(session)
    value = session.scalar(select(func.count()).select_from(model))
    assert value is not None
    return value


def _submission(session: Session, tracking_number: str) -> IntakeSubmission:
    see_committed(session)
    row = session.scalar(
        select(IntakeSubmission).where(IntakeSubmission.tracking_number == tracking_number)
    )
    assert row is not None
    return row


def test_the_api_answers_with_a_tracking_number_and_the_worker_registers_it(
    client: TestClient, kesu: Kesu, session: Session, clock: FixedClock
) -> None:
    response = client.post("/api/v1/complaints", json=FORM)
    assert response.status_code == 202, response.text
    receipt = response.json()
    number = receipt["tracking_number"]
    assert receipt["status"] == "received"
    assert receipt["status_label"] == "已受理"
    received = clock.now()
    # Accepted is kept, not yet registered: one row, no complaint, nothing sent.
    assert _count(session, Complaint) == 0
    assert _count(session, Notification) == 0
    assert _submission(session, number).status == SubmissionStatus.PENDING

    clock.advance(timedelta(seconds=3))
    assert register_submissions(kesu) == 1

    submission = _submission(session, number)
    complaint = session.get(Complaint, submission.complaint_id)
    assert complaint is not None
    assert submission.status == SubmissionStatus.REGISTERED
    assert submission.payload is None  # the complaint holds the form now
    assert complaint.tracking_number == number
    assert complaint.received_at == received  # the time the customer filed, not registration
    assert complaint.category is not None
    assert complaint.priority is not None
    kinds = session.scalars(
        select(TimelineEvent.kind)
        .where(TimelineEvent.complaint_id == complaint.id)
        .order_by(TimelineEvent.id)
    ).all()
    assert kinds == ["registered", "triage_assessed", "acknowledged"]
    registered_at = session.scalar(
        select(TimelineEvent.at).where(
            TimelineEvent.complaint_id == complaint.id, TimelineEvent.kind == "registered"
        )
    )
    assert registered_at == received
    # Deadlines run from receipt: a late registration does not give the centre more time.
    starts = set(
        session.scalars(select(SlaClock.started_at).where(SlaClock.complaint_id == complaint.id))
    )
    assert starts == {received}
    bodies = session.scalars(select(Notification.body)).all()
    assert len(bodies) == 2
    assert all(number in body for body in bodies)
    assert register_submissions(kesu) == 0  # registered once only


def test_bad_input_is_refused_and_nothing_is_kept(client: TestClient, session: Session) -> None:
    too_long = client.post("/api/v1/complaints", json={**FORM, "description": "漏" * 20_001})
    assert too_long.status_code == 422
    assert too_long.json()["code"] == "invalid_input"
    blank = client.post("/api/v1/complaints", json={**FORM, "complainant_name": "   "})
    assert blank.status_code == 422
    bad_key = client.post("/api/v1/complaints", json=FORM, headers={"Idempotency-Key": "a\x01"})
    assert bad_key.status_code == 422
    assert bad_key.json()["code"] == "invalid_idempotency_key"
    assert _count(session, IntakeSubmission) == 0


def test_a_retry_returns_the_first_receipt_before_and_after_registration(
    client: TestClient, kesu: Kesu, session: Session
) -> None:
    headers = {"Idempotency-Key": "shop-order-77"}
    first = client.post("/api/v1/complaints", json=FORM, headers=headers)
    again = client.post("/api/v1/complaints", json=FORM, headers=headers)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["tracking_number"] == first.json()["tracking_number"]
    other = client.post(
        "/api/v1/complaints", json={**FORM, "description": "另一件事：快递丢件。"}, headers=headers
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert _count(session, IntakeSubmission) == 1

    assert register_submissions(kesu) == 1
    later = client.post("/api/v1/complaints", json=FORM, headers=headers)
    assert later.status_code == 200
    assert later.json()["tracking_number"] == first.json()["tracking_number"]
    assert _count(session, Complaint) == 1


def test_a_key_the_api_registered_before_the_inbox_still_replays_its_complaint(
    client: TestClient, kesu: Kesu, session: Session
) -> None:
    # Before the inbox the API registered at once and kept its keys in intake_request.
    earlier = intake.submit_complaint(
        session,
        draft(),
        registration=kesu.registration,
        idempotency_key="app-retry-1",
    ).complaint
    session.close()
    migrate.downgrade(kesu.engine, "0018")
    migrate.upgrade(kesu.engine)  # the inbox's migration takes the keys over
    again = client.post("/api/v1/complaints", json=FORM, headers={"Idempotency-Key": "app-retry-1"})
    assert again.status_code == 200
    assert again.json()["tracking_number"] == earlier.tracking_number
    assert register_submissions(kesu) == 0
    assert _count(session, Complaint) == 1


def test_tracking_a_pending_number_registers_it_on_the_spot(
    client: TestClient, session: Session
) -> None:
    number = client.post("/api/v1/complaints", json=FORM).json()["tracking_number"]
    wrong = client.get(
        "/api/v1/complaints/track", params={"tracking_number": number, "phone": "13900000000"}
    )
    assert wrong.status_code == 404  # a wrong contact learns nothing
    tracked = client.get(
        "/api/v1/complaints/track", params={"tracking_number": number, "phone": "13800138001"}
    )
    assert tracked.status_code == 200, tracked.text
    assert tracked.json()["tracking_number"] == number
    assert [event["kind"] for event in tracked.json()["timeline"]] == [
        "registered",
        "acknowledged",
    ]
    assert _submission(session, number).status == SubmissionStatus.REGISTERED
    page = client.post("/track", data={"tracking_number": number, "phone": "13800138001"})
    assert page.status_code == 200
    assert number in page.text


def test_a_submission_that_cannot_register_waits_without_holding_back_the_others(
    client: TestClient, kesu: Kesu, session: Session, clock: FixedClock
) -> None:
    good = client.post("/api/v1/complaints", json=FORM).json()["tracking_number"]
    # A form kept by an older release that this one cannot read (the failure is the point).
    session.execute(
        insert(IntakeSubmission).values(
            tracking_number="KS261123-BROKEN",
            status=SubmissionStatus.PENDING,
            received_at=clock.now(),
            payload={"draft": {"description": "没有其他字段"}, "agent": None},
            request_hash="0" * 64,
            attempts=0,
        )
    )
    session.commit()
    also_good = client.post("/api/v1/complaints", json=FORM).json()["tracking_number"]

    assert register_submissions(kesu) == 2
    assert _submission(session, good).status == SubmissionStatus.REGISTERED
    assert _submission(session, also_good).status == SubmissionStatus.REGISTERED
    broken = _submission(session, "KS261123-BROKEN")
    assert broken.status == SubmissionStatus.PENDING
    assert broken.attempts == 1
    assert broken.last_error is not None
    assert "ValidationError" in broken.last_error
    assert broken.retry_at == clock.now() + timedelta(seconds=10)

    for _ in range(inbox.MAX_ATTEMPTS):
        clock.advance(timedelta(days=1))
        register_submissions(kesu)
    broken = _submission(session, "KS261123-BROKEN")
    assert broken.status == SubmissionStatus.FAILED
    assert broken.attempts == inbox.MAX_ATTEMPTS
    state = inbox.inbox_state(session, SYSTEM)
    assert (state.pending, state.failed) == (0, 1)
    assert [failure.tracking_number for failure in state.failures] == ["KS261123-BROKEN"]
    assert inbox.retry_failed(session, SYSTEM, clock) == 1
    assert inbox.inbox_state(session, SYSTEM).pending == 1


def test_the_worker_registers_pending_submissions_in_its_rounds(
    client: TestClient, kesu: Kesu, session: Session, notifier: MemoryNotifier
) -> None:
    numbers = [
        client.post("/api/v1/complaints", json=FORM).json()["tracking_number"] for _ in range(3)
    ]
    worker = Worker(
        kesu.sessions,
        registry.build_handlers(notifier=notifier, clock=kesu.clock),
        kesu.clock,
        WorkerConfig(20, 60, 3),
        drains=registry.build_drains(kesu.registration),
    )
    worker.run_until_idle()
    see_committed(session)
    assert sorted(session.scalars(select(Complaint.tracking_number))) == sorted(numbers)
    # The acknowledgements were delivered in the same run; the deadline timers wait.
    assert len(notifier.sent) == 6
    assert (
        session.scalar(select(func.count()).select_from(Job).where(Job.status == "pending")) == 12
    )


def test_a_staff_token_files_as_agent_entry(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    number = client.post(
        "/api/v1/complaints", json={**FORM, "channel": "phone"}, headers=personas.zhang_min.headers
    ).json()["tracking_number"]
    register_submissions(kesu)
    see_committed(session)
    complaint = session.scalar(select(Complaint).where(Complaint.tracking_number == number))
    assert complaint is not None
    assert complaint.registered_by == f"user:{personas.zhang_min.user.id}"
    assert complaint.channel == "phone"


def test_a_number_held_by_a_pending_submission_is_not_drawn_again(
    client: TestClient, kesu: Kesu, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    pending = client.post("/api/v1/complaints", json=FORM).json()["tracking_number"]
    registered = file_complaint(kesu, session).tracking_number
    draws = iter([pending, registered, "KS261123-FRESH2", registered, pending, "KS261123-FRESH3"])
    monkeypatch.setattr(complaints_service, "new_tracking_number", lambda _now: next(draws))
    # Direct registration skips the pending number, and the inbox the registered one.
    assert file_complaint(kesu, session).tracking_number == "KS261123-FRESH2"
    assert (
        client.post("/api/v1/complaints", json=FORM).json()["tracking_number"] == "KS261123-FRESH3"
    )
    register_submissions(kesu)
    see_committed(session)
    numbers = set(session.scalars(select(Complaint.tracking_number)))
    assert numbers == {pending, registered, "KS261123-FRESH2", "KS261123-FRESH3"}


def test_concurrent_submissions_and_retries_each_get_one_receipt(
    kesu: Kesu, session: Session
) -> None:
    forms = [draft(phone=f"1380013{n:04d}") for n in range(12)]

    async def burst() -> list[inbox.Accepted]:
        # Every form is sent three times at once under its key, as a client's retries.
        return await asyncio.gather(
            *(
                kesu.inbox.accept(forms[n % 12], idempotency_key=f"burst-{n % 12}")
                for n in range(36)
            )
        )

    receipts = asyncio.run(burst())
    by_key: dict[int, set[str]] = {}
    for n, receipt in enumerate(receipts):
        by_key.setdefault(n % 12, set()).add(receipt.tracking_number)
    assert all(len(numbers) == 1 for numbers in by_key.values())
    assert sum(receipt.created for receipt in receipts) == 12
    assert _count(session, IntakeSubmission) == 12
    assert register_submissions(kesu) == 12


def test_one_run_registers_several_complaints_each_with_all_its_rows(
    kesu: Kesu, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    # One transaction for the whole run, its rows written at commit: a later registration of
    # the run still finds the profile an earlier one created, or gave a contact, by that contact.
    forms = [
        draft(phone="13900000001", email=None),
        draft(phone="13900000001", email="first@example.com"),  # the profile gains the e-mail
        draft(phone=None, email="first@example.com"),  # found by the e-mail it just gained
        draft(phone="13900000002", email="second@example.com"),
        draft(phone="13900000002", email=None),
    ]
    numbers = [kesu.inbox.accept_now(form).tracking_number for form in forms]
    with kesu.sessions() as worker_session:
        assert inbox.register_pending(worker_session, kesu.registration, seconds=60) == 5
    # In one transaction, not in the one-by-one fallback that follows a failed run.
    assert not [record for record in caplog.records if record.name == inbox.__name__]
    see_committed(session)
    registered = session.scalars(
        select(Complaint).where(Complaint.tracking_number.in_(numbers)).order_by(Complaint.id)
    ).all()
    assert [complaint.tracking_number for complaint in registered] == numbers
    first, second = registered[0].customer_id, registered[3].customer_id
    assert [complaint.customer_id for complaint in registered] == [first] * 3 + [second] * 2
    assert _count(session, Customer) == 2
    assert session.get(Customer, first) is not None
    for complaint in registered:
        kinds = session.scalars(
            select(TimelineEvent.kind).where(TimelineEvent.complaint_id == complaint.id)
        ).all()
        assert sorted(kinds) == ["acknowledged", "registered", "triage_assessed"]
        clocks = session.scalar(select(func.count()).where(SlaClock.complaint_id == complaint.id))
        assert clocks == 2
    # The acknowledgements (one per contact given) and their deliveries, the deadline timers.
    assert _count(session, Notification) == 7
    assert _count(session, Job) == 7 + 4 * 5
    # Every audit entry of the run is on the chain, in order: three timeline events a complaint,
    # two profiles created, one given a contact.
    report = audit.verify_chain(session)
    assert report.intact
    assert report.entries == 5 * 3 + 2 + 1


def test_a_batch_draws_again_only_the_numbers_complaints_hold(
    kesu: Kesu, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    registered = file_complaint(kesu, session).tracking_number
    draws = iter(["KS261123-BATCH1", registered, "KS261123-BATCH2", "KS261123-BATCH3"])
    monkeypatch.setattr(complaints_service, "new_tracking_number", lambda _now: next(draws))
    forms = [draft(phone=f"1370013{n:04d}") for n in range(3)]

    async def together() -> list[inbox.Accepted]:
        return await asyncio.gather(*(kesu.inbox.accept(form) for form in forms))

    receipts = asyncio.run(together())
    # One batch of three: the second row's number is held, so only it is drawn again.
    assert [receipt.tracking_number for receipt in receipts] == [
        "KS261123-BATCH1",
        "KS261123-BATCH3",
        "KS261123-BATCH2",
    ]
    assert all(receipt.created for receipt in receipts)
    see_committed(session)
    kept = session.scalars(select(IntakeSubmission.tracking_number)).all()
    assert sorted(kept) == ["KS261123-BATCH1", "KS261123-BATCH2", "KS261123-BATCH3"]
    assert register_submissions(kesu) == 3
