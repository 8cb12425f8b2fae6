from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kesu.audit.models import AuditEntry
from kesu.bootstrap import Kesu
from kesu.complaints.models import Complaint, TimelineEvent
from kesu.core.clock import FixedClock
from kesu.core.errors import InvalidInput
from kesu.core.i18n import Language
from kesu.customers import service as customers
from kesu.text.analysis import Priority
from kesu.triage import queries, service
from kesu.triage.errors import NothingToCorrect, UnknownCategory
from kesu.triage.models import TriageCorrection, TriageDecision
from tests.factories import (
    PASSWORD,
    Personas,
    file_complaint,
    register_submissions,
    see_committed,
)

ANGRY_THREAT = "买的热水器漏电，孩子被电到了！！！你们这些骗子，我要去12315投诉，还要找媒体曝光！"


def test_intake_records_an_explained_assessment(kesu: Kesu, session: Session) -> None:
    complaint = file_complaint(kesu, session, description=ANGRY_THREAT)
    decision = session.scalars(select(TriageDecision)).one()
    assert (complaint.category, complaint.priority) == (decision.category, decision.priority)
    assert complaint.version == 1
    assert decision.priority == Priority.P1
    assert decision.has_threat
    assert decision.has_safety_risk
    assert decision.category == "safety"
    view = queries.triage_view(session, complaint, Language.ZH)
    assert view is not None
    assert {t.kind for t in view.threats} >= {"regulator", "media"}
    assert "漏电" in view.safety_words
    assert [r.code for r in view.reasons][:1] == ["safety"]
    assert "骗子" in view.anger_evidence
    assert view.suggested_reply is None


def test_a_repeat_of_an_open_complaint_is_flagged_as_duplicate(
    kesu: Kesu, session: Session
) -> None:
    first = file_complaint(kesu, session)
    second = file_complaint(kesu, session)
    decision = session.scalars(
        select(TriageDecision).where(TriageDecision.complaint_id == second.id)
    ).one()
    assert decision.suggestion == "likely_invalid"
    assert decision.explanation["duplicate_of"] == [first.tracking_number]
    view = queries.triage_view(session, second, Language.ZH)
    assert view is not None
    assert view.suggested_reply is not None
    assert second.tracking_number in view.suggested_reply
    assert "合并处理" in view.suggested_reply


def test_a_vip_customer_is_prioritised(kesu: Kesu, session: Session) -> None:
    calm = "订单 2026110301 的热水器显示屏不亮，麻烦安排检修。"
    plain = file_complaint(kesu, session, description=calm, phone="13900000001", email=None)
    customers.tag_customer(
        session, customer_id=plain.customer_id, tags=["vip"], actor="user:1", now=kesu.clock.now()
    )
    vip = file_complaint(kesu, session, description=calm + "谢谢", phone="13900000001", email=None)
    assert (plain.priority, vip.priority) == (Priority.P4, Priority.P3)


def test_unknown_customer_tags_are_refused(kesu: Kesu, session: Session) -> None:
    complaint = file_complaint(kesu, session)
    with pytest.raises(InvalidInput):
        customers.tag_customer(
            session,
            customer_id=complaint.customer_id,
            tags=["royal"],
            actor="user:1",
            now=kesu.clock.now(),
        )


def test_a_correction_is_recorded_and_changes_the_complaint(
    kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = file_complaint(kesu, session, description="快递三天还没到，电话也打不通")
    corrected = service.correct_triage(
        session,
        complaint_id=complaint.id,
        category="communication",
        priority=Priority.P2,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
        note="主要是联系不上",
    )
    assert (corrected.category, corrected.priority) == ("communication", "P2")
    rows = session.scalars(select(TriageCorrection).order_by(TriageCorrection.id)).all()
    assert [(r.field, r.new_value) for r in rows] == [
        ("category", "communication"),
        ("priority", "P2"),
    ]
    kinds = session.scalars(
        select(TimelineEvent.kind).where(TimelineEvent.complaint_id == complaint.id)
    ).all()
    assert kinds[-1] == "triage_corrected"
    assert queries.corrected_examples(session) == [
        (complaint.description, "热水器", "communication")
    ]


@pytest.mark.parametrize(
    ("category", "priority", "error"),
    [("teleportation", None, UnknownCategory), (None, None, NothingToCorrect)],
)
def test_bad_corrections_change_nothing(
    kesu: Kesu,
    session: Session,
    personas: Personas,
    category: str | None,
    priority: Priority | None,
    error: type[Exception],
) -> None:
    complaint = file_complaint(kesu, session)
    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(error):
        service.correct_triage(
            session,
            complaint_id=complaint.id,
            category=category,
            priority=priority,
            actor=personas.zhang_min.actor,
            clock=kesu.clock,
        )
    see_committed(session)
    stored = session.get(Complaint, complaint.id)
    assert stored is not None
    assert (stored.category, stored.version) == (complaint.category, complaint.version)
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audits
    assert session.scalar(select(func.count()).select_from(TriageCorrection)) == 0


def test_reassessment_takes_the_new_reading(
    kesu: Kesu, session: Session, clock: FixedClock
) -> None:
    complaint = file_complaint(kesu, session)
    clock.advance(timedelta(hours=1))
    decision = service.reassess_complaint(
        session, complaint, engine=kesu.triage_engine, clock=kesu.clock
    )
    assert session.scalar(select(func.count()).select_from(TriageDecision)) == 2
    assert complaint.category == decision.category
    assert complaint.version == 2


def test_the_triage_api(client: TestClient, kesu: Kesu, personas: Personas) -> None:
    form = {
        "complainant_name": "刘女士",
        "phone": "13912345678",
        "target": "悦享乳业 纯牛奶",
        "product_line": "乳制品",
        "description": "牛奶喝完孩子上吐下泻，送了急诊！我要向市场监管局举报！！",
        "demands": ["compensation"],
    }
    client.post("/api/v1/complaints", json=form)
    register_submissions(kesu)
    agent = personas.zhang_min.headers
    row = client.get("/api/v1/complaints", headers=agent).json()[0]
    assert (row["priority"], row["category"]) == ("P1", "safety")
    triage = client.get(f"/api/v1/complaints/{row['id']}/triage", headers=agent).json()
    assert triage["priority_label"] == "P1 紧急"
    assert {t["kind"] for t in triage["threats"]} == {"regulator"}
    corrected = client.post(
        f"/api/v1/complaints/{row['id']}/triage/corrections",
        json={"category": "product_quality", "note": "变质奶"},
        headers=agent,
    )
    assert corrected.status_code == 200
    assert corrected.json()["category"] == "product_quality"
    bad = client.post(
        f"/api/v1/complaints/{row['id']}/triage/corrections", json={"category": "x"}, headers=agent
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "unknown_category")
    english = client.post(
        "/api/v1/triage/analyse",
        json={"text": "我會在微博上曝光你們！！！垃圾"},
        headers={**agent, "Accept-Language": "en"},
    ).json()
    assert english["threats"][0]["label"] == "Media exposure"
    assert english["anger_level"] >= 2
    assert client.post("/api/v1/triage/analyse", json={"text": "x"}).status_code == 401
    empty = client.post("/api/v1/triage/analyse", json={"text": ""}, headers=agent)
    assert (empty.status_code, empty.json()["code"]) == (422, "validation_error")


def test_the_agent_page_explains_and_corrects(
    client: TestClient, personas: Personas, session: Session
) -> None:
    client.post(
        "/complaints",
        data={
            "complainant_name": "陈先生",
            "phone": "15067891234",
            "target": "速达快递",
            "description": "包裹丢了，快递员还骂人！我要投诉到平台！",
            "demands": ["compensation"],
        },
    )
    client.post("/login", data={"username": "zhangmin", "password": PASSWORD, "next": "/agent"})
    complaint_id = session.scalars(select(Complaint.id)).one()
    page = client.get(f"/agent/complaints/{complaint_id}")
    assert "初步评估" in page.text
    assert "平台举报" in page.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf is not None
    corrected = client.post(
        f"/agent/complaints/{complaint_id}/triage",
        data={"csrf": csrf.group(1), "category": "service_attitude", "priority": "P1"},
        follow_redirects=True,
    )
    assert "已人工更正" in corrected.text
    see_committed(session)
    stored = session.get(Complaint, complaint_id)
    assert stored is not None
    assert (stored.category, stored.priority) == ("service_attitude", "P1")
