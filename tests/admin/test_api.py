"""The administration API: JSON for the same commands as the pages, for administrators only."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kesu.accounts.models import User
from kesu.audit.models import AuditEntry
from kesu.sla.models import CalendarDay, SlaPolicy
from tests.factories import Persona, Personas, see_committed


def _audit_count(session: Session) -> int:
    see_committed(session)
    value = session.scalar(select(func.count()).select_from(AuditEntry))
    assert value is not None
    return value


def test_departments_and_accounts_through_the_api(
    client: TestClient, session: Session, admin: Persona, personas: Personas
) -> None:
    agent = personas.zhang_min.headers
    before = _audit_count(session)
    for method, path, body in (
        ("GET", "/api/v1/users", None),
        ("GET", "/api/v1/departments", None),
        ("POST", "/api/v1/departments", {"code": "AFTER", "name": "售后部"}),
        ("POST", f"/api/v1/users/{admin.user.id}/deactivate", None),
    ):
        refused = client.request(method, path, json=body, headers=agent)
        assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert _audit_count(session) == before

    department = client.post(
        "/api/v1/departments",
        json={"code": "AFTER", "name": "售后部", "parent_id": personas.service_centre.id},
        headers=admin.headers,
    )
    assert department.status_code == 201
    assert department.json()["parent_name"] == "客户服务中心"
    renamed = client.patch(
        f"/api/v1/departments/{department.json()['id']}",
        json={"name": "售后服务部"},
        headers=admin.headers,
    )
    assert (renamed.status_code, renamed.json()["name"]) == (200, "售后服务部")
    taken = client.post(
        "/api/v1/departments", json={"code": "AFTER", "name": "又一个"}, headers=admin.headers
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "department_code_taken")

    short = client.post(
        "/api/v1/users",
        json={"username": "wujie", "display_name": "吴杰", "role": "handler", "password": "short"},
        headers=admin.headers,
    )
    assert (short.status_code, short.json()["code"]) == (422, "validation_error")
    created = client.post(
        "/api/v1/users",
        json={
            "username": "wujie",
            "display_name": "吴杰",
            "role": "handler",
            "department_id": department.json()["id"],
            "password": "a long passphrase",
            "skills": ["logistics"],
        },
        headers=admin.headers,
    )
    assert created.status_code == 201
    account = created.json()
    assert "password" not in str(account)
    assert "hash" not in str(account)
    assert (account["department_name"], account["skills"]) == ("售后服务部", ["logistics"])
    updated = client.put(
        f"/api/v1/users/{account['id']}",
        json={"role": "supervisor", "department_id": None, "skills": []},
        headers=admin.headers,
    )
    assert (updated.json()["role"], updated.json()["department_id"]) == ("supervisor", None)
    off = client.post(f"/api/v1/users/{account['id']}/deactivate", headers=admin.headers)
    assert off.json()["is_active"] is False
    on = client.post(f"/api/v1/users/{account['id']}/reactivate", headers=admin.headers)
    assert on.json()["is_active"] is True
    reset = client.put(
        f"/api/v1/users/{account['id']}/password",
        json={"password": "another passphrase"},
        headers=admin.headers,
    )
    assert reset.status_code == 204
    signed_in = client.post(
        "/api/v1/auth/token", json={"username": "wujie", "password": "another passphrase"}
    )
    assert signed_in.status_code == 200
    listed = client.get("/api/v1/users", headers=admin.headers).json()
    assert [u["username"] for u in listed][:2] == ["chenjing", "liqiang"]

    last = client.put(
        f"/api/v1/users/{admin.user.id}",
        json={"role": "agent"},
        headers=admin.headers,
    )
    assert (last.status_code, last.json()["code"]) == (409, "last_administrator")
    last = client.post(f"/api/v1/users/{admin.user.id}/deactivate", headers=admin.headers)
    assert (last.status_code, last.json()["code"]) == (409, "last_administrator")
    missing = client.get("/api/v1/users/9999", headers=admin.headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "user_not_found")
    see_committed(session)
    assert session.get(User, admin.user.id).role == "admin"  # type: ignore[union-attr]


def test_policies_calendar_causes_and_reply_templates_through_the_api(
    client: TestClient, session: Session, admin: Persona, personas: Personas
) -> None:
    agent = personas.zhang_min.headers
    policy = {
        "name": "重要客户 4 小时",
        "customer_tag": "vip",
        "first_response_minutes": 30,
        "resolution_minutes": 240,
    }
    created = client.post("/api/v1/sla/policies", json=policy, headers=admin.headers).json()
    refused = client.put(f"/api/v1/sla/policies/{created['id']}", json=policy, headers=agent)
    assert refused.status_code == 403
    unknown_tag = client.put(
        f"/api/v1/sla/policies/{created['id']}",
        json={**policy, "customer_tag": "royalty"},
        headers=admin.headers,
    )
    assert (unknown_tag.status_code, unknown_tag.json()["code"]) == (422, "invalid_input")
    updated = client.put(
        f"/api/v1/sla/policies/{created['id']}",
        json={**policy, "resolution_minutes": 120, "is_active": False},
        headers=admin.headers,
    )
    assert (updated.json()["resolution_minutes"], updated.json()["is_active"]) == (120, False)
    see_committed(session)
    stored = session.get(SlaPolicy, created["id"])
    assert stored is not None
    assert (stored.resolution_minutes, stored.is_active) == (120, False)

    client.put(
        "/api/v1/sla/calendar",
        json={"day": "2027-01-31", "is_working": True, "note": "调休"},
        headers=admin.headers,
    )
    assert client.get("/api/v1/sla/calendar", headers=agent).json() == [
        {"day": "2027-01-31", "is_working": True, "note": "调休"}
    ]
    assert client.delete("/api/v1/sla/calendar/2027-01-31", headers=agent).status_code == 403
    assert (
        client.delete("/api/v1/sla/calendar/2027-01-31", headers=admin.headers).status_code == 204
    )
    assert (
        client.delete("/api/v1/sla/calendar/2027-01-31", headers=admin.headers).status_code == 404
    )
    see_committed(session)
    assert session.scalar(select(func.count()).select_from(CalendarDay)) == 0

    client.post(
        "/api/v1/causes", json={"code": "LATE_DISPATCH", "name": "发货延迟"}, headers=admin.headers
    )
    duplicate = client.post(
        "/api/v1/causes", json={"code": "LATE_DISPATCH", "name": "再来"}, headers=admin.headers
    )
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "conflict")
    assert "LATE_DISPATCH" in duplicate.json()["detail"]
    off = client.post("/api/v1/causes/LATE_DISPATCH/deactivate", headers=admin.headers)
    assert off.json() == {"code": "LATE_DISPATCH", "name": "发货延迟", "is_active": False}
    assert client.post("/api/v1/causes/NOPE/deactivate", headers=admin.headers).status_code == 404
    assert client.post("/api/v1/causes/LATE_DISPATCH/reactivate", headers=agent).status_code == 403

    path = "/api/v1/reply-templates/logistics/closing"
    bad = client.put(path, json={"text": "{name}您好 {"}, headers=admin.headers)
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_input")
    assert client.put(path, json={"text": "{name}您好"}, headers=agent).status_code == 403
    saved = client.put(path, json={"text": "{name}您好，已结案。"}, headers=admin.headers)
    assert (saved.json()["customised"], saved.json()["text"]) == (True, "{name}您好，已结案。")
    listed = client.get("/api/v1/reply-templates/logistics", headers=agent).json()
    assert [e["customised"] for e in listed] == [False, False, False, True]
    assert client.get("/api/v1/reply-templates/telepathy", headers=agent).status_code == 422
    assert client.delete(path, headers=admin.headers).status_code == 204
    assert client.delete(path, headers=admin.headers).status_code == 404


def test_the_administration_api_is_documented(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path in ("/api/v1/departments", "/api/v1/users/{user_id}/password", "/api/v1/sla/calendar"):
        assert path in schema["paths"]
    user_create = schema["components"]["schemas"]["UserCreate"]
    assert user_create["examples"][0]["username"] == "wujie"
    assert "password" not in schema["components"]["schemas"]["UserRead"]["properties"]
    refusals = schema["paths"]["/api/v1/users/{user_id}"]["put"]["responses"]
    assert "`last_administrator`" in refusals["409"]["description"]
