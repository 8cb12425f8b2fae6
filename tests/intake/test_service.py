from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kesu.audit.models import AuditEntry
from kesu.bootstrap import Kesu
from kesu.complaints.errors import EvidenceRefused
from kesu.complaints.models import Complaint, Evidence, TimelineEvent
from kesu.complaints.service import EvidenceUpload
from kesu.core.errors import InvalidInput
from kesu.customers.models import Customer
from kesu.db.models import Job
from kesu.intake import service as intake
from kesu.intake.errors import IdempotencyKeyReused, InvalidIdempotencyKey
from kesu.notifications.models import Notification
from tests.factories import draft

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _count(session: Session, model: type) -> int:
    value = session.scalar(select(func.count()).select_from(model))
    assert value is not None
    return value


def _submit(
    kesu: Kesu, session: Session, key: str | None, **overrides: object
) -> intake.IntakeResult:
    return intake.submit_complaint(
        session,
        draft(**overrides),
        registration=kesu.registration,
        idempotency_key=key,
    )


def test_intake_records_customer_complaint_timeline_audit_and_acknowledgement(
    kesu: Kesu, session: Session
) -> None:
    result = _submit(kesu, session, None)
    complaint = result.complaint
    assert result.created
    assert complaint.status == "received"
    assert complaint.tracking_number.startswith("KS261123-")
    assert complaint.contact_phone == "13800138001"
    kinds = session.scalars(
        select(TimelineEvent.kind)
        .where(TimelineEvent.complaint_id == complaint.id)
        .order_by(TimelineEvent.id)
    ).all()
    assert kinds == ["registered", "triage_assessed", "acknowledged"]
    notifications = session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(n.channel, n.recipient) for n in notifications] == [
        ("sms", "13800138001"),
        ("email", "wangfang@example.com"),
    ]
    assert complaint.tracking_number in notifications[0].body
    kinds = sorted(session.scalars(select(Job.kind)))
    assert kinds == ["notifications.deliver"] * 2 + ["sla.due"] * 2 + ["sla.warn"] * 2
    assert _count(session, AuditEntry) == 4  # customer created, registered, assessed, acknowledged


def test_a_retry_with_the_same_key_returns_the_first_complaint(
    kesu: Kesu, session: Session
) -> None:
    first = _submit(kesu, session, "order-42-attempt")
    again = _submit(kesu, session, "order-42-attempt")
    assert again.created is False
    assert again.complaint.id == first.complaint.id
    assert _count(session, Complaint) == 1
    assert _count(session, Notification) == 2


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(
    kesu: Kesu, session: Session
) -> None:
    _submit(kesu, session, "k-1")
    before = (_count(session, Complaint), _count(session, AuditEntry), _count(session, Job))
    with pytest.raises(IdempotencyKeyReused):
        _submit(kesu, session, "k-1", description="完全不同的一件事。")
    assert (_count(session, Complaint), _count(session, AuditEntry), _count(session, Job)) == before


def test_concurrent_retries_create_one_complaint(kesu: Kesu) -> None:
    results: list[intake.IntakeResult] = []
    errors: list[BaseException] = []

    def submit() -> None:
        with kesu.sessions() as own:
            try:
                results.append(_submit(kesu, own, "double-click"))
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({result.complaint.id for result in results}) == 1
    assert sorted(result.created for result in results) == [False, False, False, True]
    with kesu.sessions() as check:
        assert _count(check, Complaint) == 1


@pytest.mark.parametrize("key", ["", "   ", "x" * 201, "tab\tkey"])
def test_malformed_idempotency_keys_are_refused(kesu: Kesu, session: Session, key: str) -> None:
    with pytest.raises(InvalidIdempotencyKey):
        _submit(kesu, session, key)
    assert _count(session, Complaint) == 0


def test_customers_are_matched_by_phone_then_email(kesu: Kesu, session: Session) -> None:
    first = _submit(kesu, session, None).complaint
    same_phone = _submit(kesu, session, None, phone="+86 138 0013 8001", email=None).complaint
    same_email = _submit(kesu, session, None, phone=None, email="WangFang@Example.com").complaint
    other = _submit(
        kesu, session, None, complainant_name="李四", phone="13900000000", email=None
    ).complaint
    assert first.customer_id == same_phone.customer_id == same_email.customer_id
    assert other.customer_id != first.customer_id
    assert _count(session, Customer) == 2


def test_a_known_customer_gains_a_missing_email(kesu: Kesu, session: Session) -> None:
    _submit(kesu, session, None, email=None)
    _submit(kesu, session, None, email="new@example.com")
    customer = session.scalars(select(Customer)).one()
    assert customer.email == "new@example.com"


def test_evidence_is_stored_with_the_complaint(kesu: Kesu, session: Session) -> None:
    result = intake.submit_complaint(
        session,
        draft(),
        registration=kesu.registration,
        uploads=[EvidenceUpload("../../etc/照片.png", "image/png", PNG)],
    )
    evidence = session.scalars(select(Evidence)).one()
    assert (evidence.complaint_id, evidence.filename, evidence.size_bytes) == (
        result.complaint.id,
        "照片.png",
        len(PNG),
    )
    assert kesu.evidence_store.load(evidence.sha256) == PNG


@pytest.mark.parametrize(
    ("upload", "reason"),
    [
        (EvidenceUpload("a.png", "image/png", b""), "empty"),
        (EvidenceUpload("a.png", "image/png", b"MZ\x90\x00 not a png"), "does not match"),
        (EvidenceUpload("a.exe", "application/x-msdownload", b"MZ\x90\x00"), "not accepted"),
        (EvidenceUpload("big.png", "image/png", PNG + b"\x00" * (10 * 1024 * 1024)), "larger than"),
    ],
)
def test_refused_evidence_refuses_the_whole_submission(
    kesu: Kesu, session: Session, upload: EvidenceUpload, reason: str
) -> None:
    with pytest.raises(EvidenceRefused, match=reason):
        intake.submit_complaint(
            session,
            draft(),
            registration=kesu.registration,
            uploads=[upload],
        )
    assert (
        _count(session, Complaint),
        _count(session, Customer),
        _count(session, Notification),
    ) == (0, 0, 0)


def test_too_many_files_are_refused(kesu: Kesu, session: Session) -> None:
    uploads = [EvidenceUpload(f"{n}.png", "image/png", PNG + bytes([n])) for n in range(11)]
    with pytest.raises(EvidenceRefused):
        intake.submit_complaint(
            session,
            draft(),
            registration=kesu.registration,
            uploads=uploads,
        )
    assert _count(session, Evidence) == 0


def test_an_over_long_description_is_refused(kesu: Kesu, session: Session) -> None:
    with pytest.raises(InvalidInput):
        _submit(kesu, session, None, description="太" * 20_001)
    assert _count(session, Complaint) == 0
