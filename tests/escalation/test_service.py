from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.bootstrap import Kesu
from kesu.complaints import service as complaints
from kesu.complaints.lifecycle import Action
from kesu.complaints.models import Complaint, TimelineEvent
from kesu.core.clock import FixedClock
from kesu.core.errors import PermissionDenied
from kesu.customers import service as customers
from kesu.escalation import service as escalation
from kesu.escalation.errors import AlreadyAtBottom, AlreadyAtTop
from kesu.escalation.models import EscalationRecord
from kesu.sla.models import SlaClock
from kesu.sla.service import ClockKind
from tests.factories import PASSWORD, Personas, file_complaint, see_committed

CALM = "订单 2026111801 的热水器显示屏不亮，麻烦安排检修。"
THREAT = "热水器三次都没修好，你们太过分了！骗子！我要找媒体曝光，还要去12315投诉！！！"


def _assigned(
    kesu: Kesu, session: Session, personas: Personas, description: str = CALM
) -> Complaint:
    complaint = file_complaint(kesu, session, description=description)
    triaged = complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.TRIAGE,
        expected_version=complaint.version,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    return complaints.assign_complaint(
        session,
        complaint_id=complaint.id,
        expected_version=triaged.version,
        department_id=personas.quality.id,
        assignee_id=None,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )


def test_an_angry_threat_starts_at_the_department_level(kesu: Kesu, session: Session) -> None:
    calm = file_complaint(kesu, session, description=CALM)
    threat = file_complaint(kesu, session, description=THREAT, phone="13900000002", email=None)
    assert (calm.escalation_level, calm.version) == (0, 1)
    assert (threat.escalation_level, threat.version) == (1, 1)
    record = session.scalars(select(EscalationRecord)).one()
    assert (record.complaint_id, record.trigger, record.to_level) == (threat.id, "threat", 1)


def test_a_vip_complaint_starts_at_the_department_level(kesu: Kesu, session: Session) -> None:
    first = file_complaint(kesu, session, description=CALM)
    customers.tag_customer(
        session, customer_id=first.customer_id, tags=["vip"], actor="user:1", now=kesu.clock.now()
    )
    second = file_complaint(kesu, session, description=CALM + "（第二次）")
    assert (first.escalation_level, second.escalation_level) == (0, 1)


def test_manual_escalation_climbs_to_the_top_and_stops(
    kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _assigned(kesu, session, personas)
    for level in (1, 2, 3):
        complaint = escalation.escalate_complaint(
            session,
            complaint_id=complaint.id,
            expected_version=complaint.version,
            reason=f"第{level}次升级",
            actor=personas.zhang_min.actor,
            clock=kesu.clock,
        )
        assert complaint.escalation_level == level
    with pytest.raises(AlreadyAtTop):
        escalation.escalate_complaint(
            session,
            complaint_id=complaint.id,
            expected_version=complaint.version,
            reason="再升",
            actor=personas.zhang_min.actor,
            clock=kesu.clock,
        )
    see_committed(session)
    assert len(session.scalars(select(EscalationRecord)).all()) == 3


def test_send_back_flags_special_attention_and_tightens_the_deadline(
    kesu: Kesu, session: Session, personas: Personas, clock: FixedClock
) -> None:
    complaint = _assigned(kesu, session, personas)
    complaint = escalation.escalate_complaint(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        reason="客户要求主管处理",
        actor=personas.zhang_min.actor,
        clock=clock,
    )
    with pytest.raises(PermissionDenied):
        escalation.send_back(
            session,
            complaint_id=complaint.id,
            expected_version=complaint.version,
            reason="x",
            actor=personas.zhang_min.actor,
            clock=clock,
        )
    before = (
        session.scalars(
            select(SlaClock).where(
                SlaClock.complaint_id == complaint.id, SlaClock.kind == ClockKind.RESOLUTION
            )
        )
        .one()
        .due_at
    )
    sent = escalation.send_back(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        reason="部门可以处理，请加快",
        actor=personas.li_qiang.actor,
        clock=clock,
    )
    assert (sent.escalation_level, sent.special_attention) == (0, True)
    see_committed(session)
    after = (
        session.scalars(
            select(SlaClock).where(
                SlaClock.complaint_id == complaint.id, SlaClock.kind == ClockKind.RESOLUTION
            )
        )
        .one()
        .due_at
    )
    assert after < before
    assert (
        session.scalars(select(TimelineEvent.kind).order_by(TimelineEvent.id.desc())).first()
        == "sent_back"
    )
    with pytest.raises(AlreadyAtBottom):
        escalation.send_back(
            session,
            complaint_id=complaint.id,
            expected_version=sent.version,
            reason="再发还",
            actor=personas.li_qiang.actor,
            clock=clock,
        )


def test_the_packet_through_the_api_and_the_page(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas, clock: FixedClock
) -> None:
    complaint = _assigned(kesu, session, personas, description=THREAT)
    clock.advance(timedelta(hours=1))
    agent = personas.zhang_min.headers
    packet = client.get(
        f"/api/v1/complaints/{complaint.id}/escalation-packet", headers=agent
    ).json()
    assert packet["level"] == 1
    assert {"媒体曝光", "投诉至监管部门"} <= set(packet["threats"])
    assert packet["emotion_trend"][0]["anger_level"] >= 2
    assert [e["trigger"] for e in packet["escalations"]] == ["threat"]
    assert {c["kind"] for c in packet["clocks"]} == {"first_response", "resolution"}
    markdown = client.get(
        f"/api/v1/complaints/{complaint.id}/escalation-packet",
        params={"format": "markdown"},
        headers=agent,
    )
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text.startswith(f"# 升级资料包 · {complaint.tracking_number}")
    assert "## 情绪变化" in markdown.text
    up = client.post(
        f"/api/v1/complaints/{complaint.id}/escalation",
        json={"version": complaint.version, "reason": "需管理层决定"},
        headers=agent,
    )
    assert up.status_code == 200
    bad = client.post(
        f"/api/v1/complaints/{complaint.id}/escalation",
        json={"version": complaint.version, "reason": "x"},
        headers=agent,
    )
    assert (bad.status_code, bad.json()["code"]) == (409, "concurrent_update")
    back = client.post(
        f"/api/v1/complaints/{complaint.id}/send-back",
        json={"version": up.json()["version"], "reason": "x"},
        headers=agent,
    )
    assert (back.status_code, back.json()["code"]) == (403, "permission_denied")

    client.post("/login", data={"username": "liqiang", "password": PASSWORD, "next": "/agent"})
    page = client.get(f"/agent/complaints/{complaint.id}")
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf is not None
    sent = client.post(
        f"/agent/complaints/{complaint.id}/escalation",
        data={
            "csrf": csrf.group(1),
            "version": str(up.json()["version"]),
            "direction": "back",
            "reason": "部门处理",
        },
        follow_redirects=True,
    )
    assert "发还件 · 重点关注" in sent.text
    packet_page = client.get(f"/agent/complaints/{complaint.id}/packet")
    assert "升级资料包" in packet_page.text
    assert "部门处理" in packet_page.text
