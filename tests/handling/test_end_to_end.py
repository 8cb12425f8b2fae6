"""One complaint through every stage, through the API only: the closed loop of SPEC §1–§5."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.bootstrap import Kesu
from kesu.core.clock import FixedClock
from kesu.followup.models import FollowUpVisit, ImprovementAction
from kesu.jobs import registry
from kesu.jobs.worker import Worker, WorkerConfig
from tests.factories import Personas, register_submissions, see_committed
from tests.fakes import MemoryNotifier

FORM = {
    "complainant_name": "王芳",
    "phone": "13800138001",
    "email": "wangfang@example.com",
    "target": "澜泉 JSQ25-12 燃气热水器",
    "product_line": "热水器",
    "description": "11月3日安装的热水器，水温忽冷忽热，女儿手臂被烫红，去医院花了386元。售后两次都没人来。",
    "demands": ["repair", "compensation"],
}


def test_every_stage_through_the_api(
    client: TestClient,
    kesu: Kesu,
    session: Session,
    personas: Personas,
    clock: FixedClock,
    notifier: MemoryNotifier,
) -> None:
    agent, handler, supervisor = (
        personas.zhang_min.headers,
        personas.zhao_lei.headers,
        personas.li_qiang.headers,
    )
    worker = Worker(
        kesu.sessions,
        registry.build_handlers(
            notifier=notifier, clock=clock, secret="test-secret", public_url="http://x"
        ),
        clock,
        WorkerConfig(50, 60, 3),
    )

    def post(
        path: str, body: Mapping[str, object], headers: dict[str, str], expect: int = 200
    ) -> Any:
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == expect, response.text
        return response.json()

    tracking = post("/api/v1/complaints", FORM, {"Idempotency-Key": "e2e"}, expect=202)[
        "tracking_number"
    ]
    register_submissions(kesu)
    complaint_id = client.get("/api/v1/complaints", headers=agent).json()[0]["id"]
    triage = client.get(f"/api/v1/complaints/{complaint_id}/triage", headers=agent).json()
    assert triage["priority"] == "P1"  # a burnt child is a safety risk
    c = post(
        f"/api/v1/complaints/{complaint_id}/transitions", {"action": "triage", "version": 1}, agent
    )
    c = post(
        f"/api/v1/complaints/{complaint_id}/assignment",
        {"version": c["version"], "department_id": personas.quality.id},
        agent,
    )
    c = post(
        f"/api/v1/complaints/{complaint_id}/transitions",
        {"action": "start_investigation", "version": c["version"]},
        handler,
    )
    client.put(
        f"/api/v1/complaints/{complaint_id}/investigation",
        json={
            "findings": "恒温阀密封圈老化",
            "appraisal_requested": True,
            "appraisal_party": "省质检院",
            "appraisal_cost_bearer": "company",
        },
        headers=handler,
    )
    post(
        f"/api/v1/complaints/{complaint_id}/contacts",
        {"channel": "call", "summary": "致电客户，约定上门检测。"},
        handler,
        expect=201,
    )
    post(
        f"/api/v1/complaints/{complaint_id}/remedies",
        {"version": c["version"], "kind": "repair", "description": "免费更换恒温阀"},
        handler,
        expect=201,
    )
    c = client.get(f"/api/v1/complaints/{complaint_id}", headers=handler).json()
    post(
        f"/api/v1/complaints/{complaint_id}/remedies",
        {
            "version": c["version"],
            "kind": "compensation",
            "amount": "886",
            "description": "赔偿医药费及误工",
        },
        handler,
        expect=201,
    )
    c = post(
        f"/api/v1/complaints/{complaint_id}/remedies/submit", {"version": c["version"]}, handler
    )
    assert c["status"] == "awaiting_approval"  # ¥886 is above a handler's ¥500
    c = post(
        f"/api/v1/complaints/{complaint_id}/remedies/decision",
        {"version": c["version"], "approve": True, "comment": "同意"},
        supervisor,
    )
    c = post(
        f"/api/v1/complaints/{complaint_id}/transitions",
        {"action": "resolve", "version": c["version"]},
        handler,
    )
    worker.run_until_idle()
    see_committed(session)
    visit = session.scalars(select(FollowUpVisit)).one()
    survey = next(m.body for m in notifier.sent if "/followup/" in m.body)
    token = re.search(r"/followup/(\S+)", survey)
    assert token is not None
    answered = client.post(
        f"/followup/{token.group(1)}", data={"csat": "5", "nps": "9", "comment": "满意"}
    )
    assert answered.status_code == 200
    c = client.get(f"/api/v1/complaints/{complaint_id}", headers=supervisor).json()
    assert c["status"] == "follow_up"
    c = post(
        f"/api/v1/complaints/{complaint_id}/transitions",
        {"action": "close", "version": c["version"]},
        supervisor,
    )
    actions = post(
        f"/api/v1/complaints/{complaint_id}/evaluation",
        {
            "lessons": "安装前未检测恒温阀",
            "root_cause_class": "process",
            "actions": [
                {
                    "department_id": personas.quality.id,
                    "description": "安装规范增加恒温阀检测",
                    "due_at": (clock.now() + timedelta(days=30)).isoformat(),
                }
            ],
        },
        supervisor,
        expect=201,
    )
    assert len(actions) == 1
    assert (
        client.get(f"/api/v1/complaints/{complaint_id}/archive-check", headers=supervisor).json()[
            "complete"
        ]
        is True
    )
    c = post(f"/api/v1/complaints/{complaint_id}/archive", {"version": c["version"]}, supervisor)
    assert c["status"] == "archived"
    assert visit.id == 1
    public = client.get(
        "/api/v1/complaints/track",
        params={"tracking_number": str(tracking), "phone": "13800138001"},
    ).json()
    assert public["status"] == "archived"
    kinds = {m.subject for m in notifier.sent}
    assert any("投诉进展" in subject for subject in kinds)


def test_accountability_and_overdue_improvements(
    client: TestClient,
    kesu: Kesu,
    session: Session,
    personas: Personas,
    clock: FixedClock,
    notifier: MemoryNotifier,
) -> None:
    handler, supervisor = personas.zhao_lei.headers, personas.li_qiang.headers
    client.post("/api/v1/complaints", json=FORM)
    register_submissions(kesu)
    complaint_id = client.get("/api/v1/complaints", headers=handler).json()[0]["id"]
    proposed = client.post(
        f"/api/v1/complaints/{complaint_id}/accountability",
        json={
            "subject_kind": "department",
            "subject_id": personas.quality.id,
            "finding": "安装前未检测",
            "penalty": "通报批评",
            "loss_share_percent": 50,
        },
        headers=handler,
    )
    assert proposed.status_code == 201
    record_id = proposed.json()["id"]
    refused = client.post(
        f"/api/v1/accountability/{record_id}/decision", json={"confirm": True}, headers=handler
    )
    assert refused.status_code == 403
    confirmed = client.post(
        f"/api/v1/accountability/{record_id}/decision", json={"confirm": True}, headers=supervisor
    )
    assert confirmed.json()["status"] == "confirmed"
    again = client.post(
        f"/api/v1/accountability/{record_id}/decision", json={"confirm": False}, headers=supervisor
    )
    assert again.status_code == 409
    bad = client.post(
        f"/api/v1/complaints/{complaint_id}/accountability",
        json={"subject_kind": "staff", "subject_id": 9999, "finding": "x"},
        headers=handler,
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_input")
    # The complaint is still open: no summary evaluation yet.
    early = client.post(
        f"/api/v1/complaints/{complaint_id}/evaluation",
        json={"lessons": "x", "root_cause_class": "process"},
        headers=supervisor,
    )
    assert (early.status_code, early.json()["code"]) == (409, "invalid_transition")
    assert session.scalars(select(ImprovementAction)).all() == []
