from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kesu.bootstrap import Kesu
from kesu.complaints.models import Complaint
from kesu.handling import guidance, remedies, service
from kesu.handling.guidance import settlement_guidance
from kesu.handling.schemas import InvestigationWrite, RemedyCreate, RemedyKind
from tests.factories import PASSWORD, Personas
from tests.handling.test_remedies import _investigating


def _settled(kesu: Kesu, session: Session, personas: Personas, amount: int) -> None:
    _settle(kesu, session, personas, _investigating(kesu, session, personas), amount)


def _settle(
    kesu: Kesu, session: Session, personas: Personas, complaint: Complaint, amount: int
) -> None:
    remedies.propose_remedy(
        session,
        complaint_id=complaint.id,
        draft=RemedyCreate(
            version=complaint.version,
            kind=RemedyKind.COMPENSATION,
            amount=amount,
            description=f"补偿 {amount} 元",
        ),
        actor=personas.li_qiang.actor,
        clock=kesu.clock,
    )
    remedies.submit_remedies(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        actor=personas.li_qiang.actor,
        clock=kesu.clock,
    )


def test_guidance_from_similar_settled_cases(
    kesu: Kesu, session: Session, personas: Personas
) -> None:
    for amount in (100, 200, 300, 400, 500):
        _settled(kesu, session, personas, amount)
    current = _investigating(kesu, session, personas)
    guidance = settlement_guidance(session, current)
    assert (guidance.similar_cases, guidance.usual_remedy, guidance.median_fen) == (
        5,
        "compensation",
        30000,
    )
    assert (guidance.lower_quartile_fen, guidance.upper_quartile_fen) == (15000, 45000)
    assert guidance.basis == "category+product_line"
    assert any("让步减半" in rule for rule in guidance.rules)


def test_no_history_gives_rules_only(kesu: Kesu, session: Session, personas: Personas) -> None:
    guidance = settlement_guidance(session, _investigating(kesu, session, personas))
    assert (guidance.similar_cases, guidance.median_fen, guidance.basis) == (0, None, "category")
    assert len(guidance.rules) == 5


def test_reply_templates_name_the_case(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _investigating(kesu, session, personas)
    templates = client.get(
        f"/api/v1/complaints/{complaint.id}/reply-templates", headers=personas.zhao_lei.headers
    ).json()
    assert [t["situation"] for t in templates] == ["first_response", "closing"]
    assert complaint.tracking_number in templates[0]["text"]
    assert "王芳" in templates[0]["text"]
    guidance = client.get(
        f"/api/v1/complaints/{complaint.id}/settlement-guidance", headers=personas.zhao_lei.headers
    )
    assert guidance.status_code == 200
    assert client.get(f"/api/v1/complaints/{complaint.id}/settlement-guidance").status_code == 401


def test_guidance_reads_only_the_newest_approved_remedies(
    kesu: Kesu, session: Session, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guidance, "RECENT_REMEDIES", 3)
    for amount in (100, 200, 300, 400, 500):
        _settled(kesu, session, personas, amount)
    found = settlement_guidance(session, _investigating(kesu, session, personas))
    # The two oldest settlements (100 and 200 yuan) fall outside the window.
    assert (found.similar_cases, found.median_fen, found.basis) == (
        3,
        40000,
        "category+product_line",
    )


def test_the_page_and_the_api_word_the_findings_and_the_approved_remedy(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _investigating(kesu, session, personas)
    service.record_investigation(
        session,
        complaint_id=complaint.id,
        record=InvestigationWrite(findings="恒温阀密封圈老化"),
        actor=personas.zhao_lei.actor,
        clock=kesu.clock,
    )
    _settle(kesu, session, personas, complaint, 150)
    texts = {
        t["situation"]: t["text"]
        for t in client.get(
            f"/api/v1/complaints/{complaint.id}/reply-templates",
            headers=personas.zhao_lei.headers,
        ).json()
    }
    assert list(texts) == ["first_response", "findings", "remedy", "closing"]
    assert "恒温阀密封圈老化" in texts["findings"]
    assert "补偿 150 元" in texts["remedy"]
    client.post("/login", data={"username": "zhaolei", "password": PASSWORD, "next": "/agent"})
    page = client.get(f"/agent/complaints/{complaint.id}").text
    assert page.count("恒温阀密封圈老化") >= 2  # the investigation, and the reply naming it
    assert page.count("补偿 150 元") >= 2  # the remedy, and the reply naming it
