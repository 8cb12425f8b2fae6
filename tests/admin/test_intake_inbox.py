"""The intake inbox for administrators: page, API and retry of failed submissions."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from kesu.audit.models import AuditEntry
from kesu.bootstrap import Kesu
from kesu.core.actors import SYSTEM
from kesu.core.clock import FixedClock
from kesu.intake import inbox
from kesu.intake.models import IntakeSubmission, SubmissionStatus
from tests.admin.conftest import csrf_of
from tests.factories import Persona, Personas, draft, see_committed


def _park_a_failure(session: Session, clock: FixedClock) -> None:
    session.execute(
        insert(IntakeSubmission).values(
            tracking_number="KS261123-FAILED",
            status=SubmissionStatus.FAILED,
            received_at=clock.now(),
            payload={"draft": {}, "agent": None},
            request_hash="0" * 64,
            attempts=inbox.MAX_ATTEMPTS,
            last_error="ValidationError: complainant_name missing",
        )
    )
    session.commit()


def test_administrators_see_the_inbox_and_retry_failures_through_the_api(
    client: TestClient,
    kesu: Kesu,
    session: Session,
    clock: FixedClock,
    admin: Persona,
    personas: Personas,
) -> None:
    client.post("/api/v1/complaints", json=draft().model_dump(mode="json"))
    _park_a_failure(session, clock)
    state = client.get("/api/v1/intake/inbox", headers=admin.headers).json()
    assert (state["pending"], state["failed"]) == (1, 1)
    assert state["oldest_pending"] == "2026-11-23T09:30:00Z"
    assert state["failures"][0]["tracking_number"] == "KS261123-FAILED"
    assert "complainant_name" in state["failures"][0]["last_error"]

    refused = client.post("/api/v1/intake/inbox/retry", headers=personas.zhang_min.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert client.get("/api/v1/intake/inbox", headers=personas.zhang_min.headers).status_code == 403

    retried = client.post("/api/v1/intake/inbox/retry", headers=admin.headers)
    assert retried.json() == {"queued": 1}
    see_committed(session)
    row = session.scalar(
        select(IntakeSubmission).where(IntakeSubmission.tracking_number == "KS261123-FAILED")
    )
    assert row is not None
    assert (row.status, row.attempts) == (SubmissionStatus.PENDING, 0)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "intake.retried"))
    assert entry is not None
    assert entry.actor == f"user:{admin.user.id}"
    assert entry.data["tracking_numbers"] == ["KS261123-FAILED"]


def test_the_inbox_page_in_both_languages(
    as_admin: TestClient, kesu: Kesu, session: Session, clock: FixedClock
) -> None:
    _park_a_failure(session, clock)
    page = as_admin.get("/agent/admin/intake")
    assert page.status_code == 200
    assert "受理队列" in page.text
    assert "KS261123-FAILED" in page.text
    assert "complainant_name missing" in page.text
    english = as_admin.get("/agent/admin/intake?lang=en")
    assert "Intake inbox" in english.text
    assert "Complaints that failed to register" in english.text
    assert "受理队列" in as_admin.get("/agent/admin").text

    csrf = csrf_of(as_admin, "/agent/admin/intake")
    bad = as_admin.post("/agent/admin/intake/retry", data={"csrf": "forged"})
    assert bad.status_code == 403
    done = as_admin.post("/agent/admin/intake/retry", data={"csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303
    after = as_admin.get(done.headers["location"])
    assert "没有登记失败的投诉。" in after.text
    assert inbox.inbox_state(session, SYSTEM).pending == 1
