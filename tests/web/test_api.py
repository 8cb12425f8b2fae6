from __future__ import annotations

import json
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kesu.audit.models import AuditEntry
from kesu.bootstrap import Kesu
from kesu.complaints.models import Complaint
from tests.factories import PASSWORD, Personas, register_submissions, see_committed

FORM: dict[str, Any] = {
    "complainant_name": "刘女士",
    "phone": "13912345678",
    "target": "悦享乳业 纯牛奶 250ml×12",
    "product_line": "乳制品",
    "description": "11月20日在城东超市买的一箱牛奶，打开第二盒就发现结块发酸，生产日期是11月15日，还没过期。",
    "demands": ["refund", "explanation"],
}


def _count(session: Session) -> int:
    see_committed(session)
    value = session.scalar(select(func.count()).select_from(Complaint))
    assert value is not None
    return value


def test_submit_and_retry_with_an_idempotency_key(
    client: TestClient, kesu: Kesu, session: Session
) -> None:
    first = client.post("/api/v1/complaints", json=FORM, headers={"Idempotency-Key": "app-123"})
    assert first.status_code == 202
    receipt = first.json()
    assert receipt["status"] == "received"
    assert receipt["status_label"] == "已受理"
    again = client.post("/api/v1/complaints", json=FORM, headers={"Idempotency-Key": "app-123"})
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["tracking_number"] == receipt["tracking_number"]
    register_submissions(kesu)
    assert _count(session) == 1


def test_the_same_key_with_another_body_is_a_conflict(
    client: TestClient, kesu: Kesu, session: Session
) -> None:
    client.post("/api/v1/complaints", json=FORM, headers={"Idempotency-Key": "k"})
    other = client.post(
        "/api/v1/complaints", json={**FORM, "target": "别的东西"}, headers={"Idempotency-Key": "k"}
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    register_submissions(kesu)
    assert _count(session) == 1


def test_invalid_input_gets_a_stable_code_and_changes_nothing(
    client: TestClient, session: Session
) -> None:
    response = client.post("/api/v1/complaints", json={**FORM, "phone": "12", "demands": ["bribe"]})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert {problem["field"] for problem in body["errors"]} == {"phone", "demands.0"}
    assert body["detail"].startswith("请求内容不符合要求")
    english = client.post(
        "/api/v1/complaints", json={**FORM, "phone": None}, headers={"Accept-Language": "en"}
    )
    assert english.status_code == 422
    assert english.json()["detail"].startswith("The request is not valid")
    assert _count(session) == 0


def test_garbage_bodies_are_refused(client: TestClient, session: Session) -> None:
    for body in (b"[]", "😀😀😀".encode(), b"null", b"{"):
        response = client.post(
            "/api/v1/complaints", content=body, headers={"content-type": "application/json"}
        )
        assert (response.status_code, response.json()["code"]) == (422, "validation_error")
    for body in (b"\xff\xfe\x00binary",):
        response = client.post(
            "/api/v1/complaints", content=body, headers={"content-type": "application/json"}
        )
        assert (response.status_code, response.json()["code"]) == (400, "malformed_request")
    assert _count(session) == 0


def test_track_with_the_right_phone_only(client: TestClient) -> None:
    tracking = client.post("/api/v1/complaints", json=FORM).json()["tracking_number"]
    found = client.get(
        "/api/v1/complaints/track",
        params={"tracking_number": tracking.lower(), "phone": "139-1234-5678"},
    )
    assert found.status_code == 200
    view = found.json()
    assert view["tracking_number"] == tracking
    assert [event["kind"] for event in view["timeline"]] == ["registered", "acknowledged"]
    assert "contact_phone" not in view
    assert "description" not in view
    wrong_phone = client.get(
        "/api/v1/complaints/track", params={"tracking_number": tracking, "phone": "13900000000"}
    )
    unknown = client.get(
        "/api/v1/complaints/track",
        params={"tracking_number": "KS000000-AAAAAA", "phone": "13912345678"},
    )
    assert wrong_phone.status_code == unknown.status_code == 404
    assert (
        wrong_phone.json()
        == unknown.json()
        == {"detail": "未找到该投诉。", "code": "complaint_not_found"}
    )


def test_staff_endpoints_need_a_token(client: TestClient) -> None:
    response = client.get("/api/v1/complaints")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    bad = client.get("/api/v1/complaints", headers={"Authorization": "Bearer nope"})
    assert bad.json()["code"] == "invalid_token"


def test_token_from_password(client: TestClient, personas: Personas) -> None:
    issued = client.post("/api/v1/auth/token", json={"username": "zhangmin", "password": PASSWORD})
    assert issued.status_code == 200
    token = issued.json()["token"]
    assert (
        client.get("/api/v1/complaints", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    wrong = client.post("/api/v1/auth/token", json={"username": "zhangmin", "password": "guess"})
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_credentials")


def test_agent_works_a_complaint_through_the_api(
    client: TestClient, kesu: Kesu, personas: Personas, session: Session
) -> None:
    client.post("/api/v1/complaints", json=FORM)
    register_submissions(kesu)
    agent = personas.zhang_min.headers
    queue = client.get("/api/v1/complaints", params={"status": "received"}, headers=agent).json()
    assert len(queue) == 1
    complaint_id = queue[0]["id"]

    detail = client.get(f"/api/v1/complaints/{complaint_id}", headers=agent).json()
    assert detail["contact_phone"] == "13912345678"
    assert detail["allowed_actions"] == ["triage", "reject", "withdraw"]

    triaged = client.post(
        f"/api/v1/complaints/{complaint_id}/transitions",
        json={"action": "triage", "version": detail["version"], "note": "事实清楚，受理。"},
        headers=agent,
    )
    assert triaged.status_code == 200
    assert triaged.json()["status"] == "triaged"

    stale = client.post(
        f"/api/v1/complaints/{complaint_id}/transitions",
        json={"action": "reject", "version": detail["version"], "note": "不成立"},
        headers=personas.zhao_lei.headers,
    )
    assert (stale.status_code, stale.json()["code"]) == (409, "concurrent_update")

    assigned = client.post(
        f"/api/v1/complaints/{complaint_id}/assignment",
        json={"version": triaged.json()["version"], "department_id": personas.quality.id},
        headers=agent,
    )
    assert assigned.status_code == 200
    assert (assigned.json()["status"], assigned.json()["department_id"]) == (
        "assigned",
        personas.quality.id,
    )

    refused = client.post(
        f"/api/v1/complaints/{complaint_id}/transitions",
        json={"action": "archive", "version": assigned.json()["version"]},
        headers=agent,
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "use_domain_command")
    not_allowed = client.post(
        f"/api/v1/complaints/{complaint_id}/transitions",
        json={"action": "close", "version": assigned.json()["version"]},
        headers=agent,
    )
    assert (not_allowed.status_code, not_allowed.json()["code"]) == (409, "invalid_transition")
    unknown = client.post(
        f"/api/v1/complaints/{complaint_id}/transitions",
        json={"action": "teleport", "version": 1},
        headers=agent,
    )
    assert unknown.status_code == 422
    see_committed(session)
    views = session.scalar(
        select(func.count()).where(
            AuditEntry.action == "complaint.viewed",
            AuditEntry.actor == personas.zhang_min.actor.ref,
        )
    )
    assert views == 1


def test_an_analyst_may_read_but_not_act(
    client: TestClient, kesu: Kesu, personas: Personas
) -> None:
    client.post("/api/v1/complaints", json=FORM)
    register_submissions(kesu)
    analyst = personas.chen_jing.headers
    complaint_id = client.get("/api/v1/complaints", headers=analyst).json()[0]["id"]
    response = client.post(
        f"/api/v1/complaints/{complaint_id}/transitions",
        json={"action": "triage", "version": 1},
        headers=analyst,
    )
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


def test_customer_adds_evidence_to_their_own_complaint(
    client: TestClient, personas: Personas
) -> None:
    tracking = client.post("/api/v1/complaints", json=FORM).json()["tracking_number"]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    added = client.post(
        "/api/v1/complaints/track/evidence",
        data={"tracking_number": tracking, "phone": "13912345678"},
        files=[("files", ("牛奶.png", png, "image/png"))],
    )
    assert added.status_code == 201
    assert added.json()[0]["filename"] == "牛奶.png"
    refused = client.post(
        "/api/v1/complaints/track/evidence",
        data={"tracking_number": tracking, "phone": "13912345678"},
        files=[("files", ("virus.png", b"MZ\x90\x00", "image/png"))],
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "evidence_refused")
    stranger = client.post(
        "/api/v1/complaints/track/evidence",
        data={"tracking_number": tracking, "phone": "13700000000"},
        files=[("files", ("x.png", png, "image/png"))],
    )
    assert stranger.status_code == 404


def test_openapi_documents_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    draft = schema["components"]["schemas"]["ComplaintDraft"]
    assert draft["examples"][0]["complainant_name"] == "王芳"
    assert "/api/v1/complaints/track" in schema["paths"]
    # The intake endpoint reads its body itself: the document still names its schema, and
    # every reference in the document resolves.
    intake = schema["paths"]["/api/v1/complaints"]["post"]["requestBody"]
    assert intake["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ComplaintDraft"
    }
    assert {"phone", "description", "demands"} <= set(draft["properties"])
    references = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(schema)))
    assert references <= set(schema["components"]["schemas"])


def test_health(client: TestClient) -> None:
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok"
    assert body["schema_current"] is True
