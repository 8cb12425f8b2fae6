"""The customer portal: appealing a rejection from the tracking page, and the portal in English."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kesu.bootstrap import Kesu
from kesu.complaints import service
from kesu.complaints.lifecycle import Action
from kesu.complaints.models import Complaint, TimelineEvent
from kesu.followup import service as followup
from kesu.web.pages.portal import APPEAL_REASON_MAX
from tests.factories import Personas, file_complaint, see_committed
from tests.followup.test_service import _resolved
from tests.web.test_language import HAN, _visible_text

PHONE = "13800138001"
REJECTION = "经核实，故障系自行改装所致。"
REASON = "热水器的故障有厂家维修记录为证，并非自行改装。"
# Complainant data in English: an English page must then show no Chinese at all.
IN_ENGLISH = {
    "complainant_name": "Wang Fang",
    "target": "Lanquan JSQ25-12 gas water heater",
    "region": "Hangzhou",
    "product_line": "Water heaters",
    "description": "The heater stopped igniting a week after it was installed.",
}


@dataclass(frozen=True)
class Snapshot:
    status: str
    version: int
    events: int


def _snapshot(session: Session, complaint_id: int) -> Snapshot:
    see_committed(session)
    complaint = session.get(Complaint, complaint_id)
    assert complaint is not None
    events = session.scalar(
        select(func.count())
        .select_from(TimelineEvent)
        .where(TimelineEvent.complaint_id == complaint_id)
    )
    assert events is not None
    return Snapshot(complaint.status, complaint.version, events)


def _rejected(
    kesu: Kesu, session: Session, personas: Personas, note: str = REJECTION, **data: str
) -> Complaint:
    complaint = file_complaint(kesu, session, **data)
    return service.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.REJECT,
        expected_version=complaint.version,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
        note=note,
    )


@dataclass(frozen=True)
class Page:
    status_code: int
    text: str


def _track(client: TestClient, complaint: Complaint, contact: str = PHONE) -> Page:
    response = client.post(
        "/track", data={"tracking_number": complaint.tracking_number, "phone": contact}
    )
    return Page(response.status_code, response.text)


def _appeal(
    client: TestClient, complaint: Complaint, *, contact: str = PHONE, reason: str = REASON
) -> Page:
    response = client.post(
        "/track/appeal",
        data={"tracking_number": complaint.tracking_number, "phone": contact, "reason": reason},
    )
    return Page(response.status_code, response.text)


def _english(client: TestClient) -> None:
    client.get("/language/en?next=/", follow_redirects=False)


def _chinese(html: str, *customer_data: str) -> list[str]:
    """Chinese left in the visible text of a page once what the customer typed is taken out."""
    text = _visible_text(html)
    for value in customer_data:
        text = text.replace(value, "")
    return HAN.findall(text)


def test_a_rejected_complaint_is_appealed_from_the_tracking_page(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _rejected(kesu, session, personas)
    tracked = _track(client, complaint)
    assert tracked.status_code == 200
    assert REJECTION in tracked.text
    assert 'action="/track/appeal"' in tracked.text
    before = _snapshot(session, complaint.id)

    appealed = _appeal(client, complaint, reason=f"  {REASON}\n")
    assert appealed.status_code == 200
    assert "您的申诉已提交" in appealed.text
    assert "申诉中" in appealed.text
    assert REASON in appealed.text
    assert 'action="/track/appeal"' not in appealed.text

    after = _snapshot(session, complaint.id)
    assert (after.status, after.version, after.events) == (
        "appealed",
        before.version + 1,
        before.events + 1,
    )
    event = session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.complaint_id == complaint.id)
        .order_by(TimelineEvent.id.desc())
    ).first()
    assert event is not None
    assert (event.actor, event.actor_name) == (f"customer:{complaint.customer_id}", "王芳")
    assert (event.from_status, event.to_status, event.note) == ("rejected", "appealed", REASON)
    assert event.is_public


def test_the_email_given_when_filing_proves_the_appeal_too(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _rejected(kesu, session, personas)
    assert _appeal(client, complaint, contact="WangFang@example.com").status_code == 200
    assert _snapshot(session, complaint.id).status == "appealed"


def test_only_a_rejected_complaint_offers_the_appeal_form(
    client: TestClient, kesu: Kesu, session: Session
) -> None:
    complaint = file_complaint(kesu, session)
    tracked = _track(client, complaint)
    assert tracked.status_code == 200
    assert 'action="/track/appeal"' not in tracked.text
    before = _snapshot(session, complaint.id)

    refused = _appeal(client, complaint)
    assert refused.status_code == 409
    assert "只有“不予受理”的投诉可以申诉。" in refused.text
    assert 'action="/track/appeal"' not in refused.text
    assert _snapshot(session, complaint.id) == before


def test_another_customers_phone_neither_shows_nor_appeals_the_complaint(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _rejected(kesu, session, personas)
    other = _rejected(
        kesu,
        session,
        personas,
        complainant_name="陈先生",
        phone="15067891234",
        email="chen@example.com",
        target="速达快递 运单 SD7781234",
    )
    before = (_snapshot(session, complaint.id), _snapshot(session, other.id))

    for contact in ("15067891234", "chen@example.com", "not a phone"):
        refused = _appeal(client, complaint, contact=contact)
        assert refused.status_code == 404
        assert "未找到该投诉" in refused.text
        assert complaint.target not in refused.text
        assert REJECTION not in refused.text

    assert (_snapshot(session, complaint.id), _snapshot(session, other.id)) == before


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "请填写申诉理由。"),
        (" \n\t ", "请填写申诉理由。"),
        ("理" * (APPEAL_REASON_MAX + 1), f"申诉理由不能超过 {APPEAL_REASON_MAX} 字。"),
    ],
)
def test_an_appeal_needs_a_reason_of_sensible_length(
    client: TestClient,
    kesu: Kesu,
    session: Session,
    personas: Personas,
    reason: str,
    message: str,
) -> None:
    complaint = _rejected(kesu, session, personas)
    before = _snapshot(session, complaint.id)

    refused = _appeal(client, complaint, reason=reason)
    assert refused.status_code == 422
    assert message in refused.text
    # The form stays on the page, marked, so the customer can correct and resend.
    assert 'action="/track/appeal"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert _snapshot(session, complaint.id) == before


def test_a_reason_at_the_limit_is_accepted(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _rejected(kesu, session, personas)
    assert _appeal(client, complaint, reason="理" * APPEAL_REASON_MAX).status_code == 200
    assert _snapshot(session, complaint.id).status == "appealed"


def test_the_appeal_speaks_english(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _rejected(
        kesu, session, personas, note="The heater had been modified.", **IN_ENGLISH
    )
    _english(client)

    tracked = _track(client, complaint)
    assert 'action="/track/appeal"' in tracked.text
    assert "Reason for appeal" in tracked.text
    assert "Requested outcome: Exchange, Compensation" in tracked.text
    assert _chinese(tracked.text) == []

    empty = _appeal(client, complaint, reason="")
    assert empty.status_code == 422
    assert "Please give a reason for your appeal." in empty.text
    assert _chinese(empty.text) == []

    wrong = _appeal(client, complaint, contact="15067891234")
    assert wrong.status_code == 404
    assert "Complaint not found." in wrong.text
    assert _chinese(wrong.text) == []

    appealed = _appeal(client, complaint, reason="The repair record shows it was not modified.")
    assert appealed.status_code == 200
    assert "Your appeal has been submitted." in appealed.text
    assert "<strong>Status changed</strong>: Appealed" in appealed.text
    assert _chinese(appealed.text) == []

    again = _appeal(client, complaint, reason="Once more.")
    assert again.status_code == 409
    assert "Only a rejected complaint can be appealed." in again.text
    assert _chinese(again.text) == []


def test_filing_a_complaint_speaks_english(client: TestClient, session: Session) -> None:
    _english(client)
    form = {**IN_ENGLISH, "phone": PHONE, "target_type": "product", "submission_key": "en-1"}

    incomplete = client.post("/complaints", data={**form, "target": "", "occurred_on": "3 Nov"})
    assert incomplete.status_code == 422
    assert "Subject of complaint: required" in incomplete.text
    assert "Requested outcome: required" in incomplete.text
    assert "Date of incident: not valid" in incomplete.text
    assert _chinese(incomplete.text) == []

    no_contact = client.post("/complaints", data={**form, "phone": "", "demands": ["refund"]})
    assert no_contact.status_code == 422
    assert "Please give a phone number or an email address" in no_contact.text
    assert _chinese(no_contact.text) == []

    receipt = client.post("/complaints", data={**form, "demands": ["refund"]})
    assert receipt.status_code == 201
    assert "Dear Wang Fang, we have received your complaint" in receipt.text
    assert _chinese(receipt.text) == []


def test_the_follow_up_survey_speaks_english(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _resolved(kesu, session, personas)
    visit = followup.schedule_visit(
        session,
        complaint_id=complaint.id,
        now=kesu.clock.now(),
        secret="test-secret",
        public_url="http://x",
    )
    assert visit is not None
    token = followup.visit_token("test-secret", visit.id)
    _english(client)

    survey = client.get(f"/followup/{token}")
    assert "How satisfied are you with the outcome?" in survey.text
    assert _chinese(survey.text, complaint.target) == []
    answered = client.post(f"/followup/{token}", data={"csat": "5"})
    assert "Thank you for your feedback" in answered.text
    assert _chinese(answered.text) == []
    used = client.get(f"/followup/{token}")
    assert used.status_code == 404
    assert _chinese(used.text) == []


def test_what_the_customer_typed_stays_text_inside_translated_sentences(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    # Translated sentences are trusted markup; the values formatted into them must not be.
    form = {
        "complainant_name": "<b>x</b>",
        "phone": PHONE,
        "target": "<i>t</i>",
        "description": "d",
        "demands": ["refund"],
    }
    receipt = client.post("/complaints", data=form)
    assert receipt.status_code == 201
    assert "<b>x</b>" not in receipt.text
    assert "&lt;b&gt;x&lt;/b&gt;您好" in receipt.text
    assert "&lt;i&gt;t&lt;/i&gt;" in receipt.text

    complaint = _rejected(kesu, session, personas)
    echoed = _appeal(client, complaint, reason="</textarea><script>alert(1)</script>" * 200)
    assert echoed.status_code == 422
    assert "<script>alert(1)</script>" not in echoed.text


def test_the_api_takes_an_appeal_with_the_same_proof_and_refusals(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _rejected(kesu, session, personas)
    body = {"tracking_number": complaint.tracking_number, "phone": PHONE, "reason": REASON}
    stranger = client.post("/api/v1/complaints/track/appeal", json={**body, "phone": "13700000000"})
    assert (stranger.status_code, stranger.json()["code"]) == (404, "complaint_not_found")
    blank = client.post("/api/v1/complaints/track/appeal", json={**body, "reason": ""})
    assert blank.status_code == 422
    appealed = client.post("/api/v1/complaints/track/appeal", json=body)
    assert appealed.status_code == 200, appealed.text
    assert appealed.json()["status"] == "appealed"
    again = client.post("/api/v1/complaints/track/appeal", json=body)
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
