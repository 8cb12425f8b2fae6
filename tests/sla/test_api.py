from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kesu.accounts import service as accounts
from kesu.accounts.models import Role, TokenKind
from kesu.bootstrap import Kesu
from kesu.core.clock import FixedClock
from kesu.jobs import registry
from kesu.jobs.worker import Worker, WorkerConfig
from kesu.sla.models import SlaPolicy
from tests.factories import PASSWORD, Personas, register_submissions, see_committed
from tests.fakes import MemoryNotifier

FORM = {
    "complainant_name": "刘女士",
    "phone": "13912345678",
    "target": "悦享乳业 纯牛奶",
    "description": "11月20日买的牛奶结块发酸，订单 2026112001，请退款。",
    "demands": ["refund"],
}


def _admin_headers(kesu: Kesu, session: Session) -> dict[str, str]:
    admin = accounts.create_user(
        session,
        username="admin",
        display_name="管理员",
        role=Role.ADMIN,
        password=PASSWORD,
        clock=kesu.clock,
    )
    token = accounts.issue_token(
        session, user=admin, kind=TokenKind.API, label="t", clock=kesu.clock
    )
    return {"Authorization": f"Bearer {token}"}


def test_clocks_breaches_policies_and_calendar_through_the_api(
    client: TestClient,
    kesu: Kesu,
    session: Session,
    personas: Personas,
    clock: FixedClock,
    notifier: MemoryNotifier,
) -> None:
    agent = personas.zhang_min.headers
    admin = _admin_headers(kesu, session)
    policy = {
        "name": "乳品 1 小时",
        "category": None,
        "first_response_minutes": 30,
        "resolution_minutes": 60,
        "clock_type": "calendar",
        "warn_before_minutes": 10,
        "compensation_voucher": "5 元券",
    }
    refused = client.post("/api/v1/sla/policies", json=policy, headers=agent)
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    see_committed(session)
    assert session.scalar(select(func.count()).select_from(SlaPolicy)) == 0
    created = client.post("/api/v1/sla/policies", json=policy, headers=admin)
    assert created.status_code == 201
    assert client.get("/api/v1/sla/policies", headers=agent).json()[0]["name"] == "乳品 1 小时"
    bad = client.post(
        "/api/v1/sla/policies", json={**policy, "resolution_minutes": 0}, headers=admin
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")

    client.post("/api/v1/complaints", json=FORM)
    register_submissions(kesu)
    complaint_id = client.get("/api/v1/complaints", headers=agent).json()[0]["id"]
    clocks = client.get(f"/api/v1/complaints/{complaint_id}/sla", headers=agent).json()
    assert [(c["kind"], c["remaining_seconds"], c["state"]) for c in clocks] == [
        ("first_response", 1800, "running"),
        ("resolution", 3600, "running"),
    ]
    clock.advance(timedelta(hours=2))
    Worker(
        kesu.sessions,
        registry.build_handlers(notifier=notifier, clock=clock),
        clock,
        WorkerConfig(20, 60, 3),
    ).run_until_idle()
    breaches = client.get("/api/v1/sla/breaches", headers=agent).json()
    assert [(b["kind"], b["escalation_level"]) for b in breaches] == [
        ("resolution", 2),
        ("first_response", 2),
    ]
    late = client.get(f"/api/v1/complaints/{complaint_id}/sla", headers=agent).json()
    assert [c["remaining_seconds"] for c in late] == [-5400, -3600]
    assert all(c["breached"] for c in late)

    day = client.put(
        "/api/v1/sla/calendar",
        json={"day": "2027-01-30", "is_working": True, "note": "调休"},
        headers=admin,
    )
    assert day.status_code == 200
    assert (
        client.put(
            "/api/v1/sla/calendar", json={"day": "2027-01-30", "is_working": True}, headers=agent
        ).status_code
        == 403
    )

    page_login = client.post(
        "/login", data={"username": "zhangmin", "password": PASSWORD, "next": "/agent/breaches"}
    )
    assert page_login.status_code == 200
    assert "超时督办" in page_login.text
    assert "一线处理" not in page_login.text  # level 2 by now
    assert "管理层" in page_login.text
