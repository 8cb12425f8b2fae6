"""Server-rendered pages through the ASGI app (the browser tests drive the same pages in Chromium)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kesu.bootstrap import Kesu
from kesu.complaints.models import Complaint, Evidence
from tests.factories import PASSWORD, Personas, see_committed

FORM = {
    "complainant_name": "陈先生",
    "phone": "15067891234",
    "target": "速达快递 运单 SD7781234",
    "target_type": "order",
    "description": "包裹显示已签收，但我根本没收到，快递员电话一直不接。",
    "demands": ["compensation", "explanation"],
    "submission_key": "form-1",
}
TRACKING = re.compile(r"KS\d{6}-[2-9A-HJKMNP-Z]{6}")


def _count(session: Session, model: type) -> int:
    see_committed(session)
    value = session.scalar(select(func.count()).select_from(model))
    assert value is not None
    return value


def _sign_in(client: TestClient) -> None:
    response = client.post(
        "/login",
        data={"username": "zhangmin", "password": PASSWORD, "next": "/agent"},
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, "/agent")


def test_the_portal_files_a_complaint_once_per_form(client: TestClient, session: Session) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "我要投诉" in page.text
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    filed = client.post("/complaints", data=FORM, files=[("files", ("面单.png", png, "image/png"))])
    assert filed.status_code == 201
    match = TRACKING.search(filed.text)
    assert match is not None
    again = client.post("/complaints", data=FORM, files=[("files", ("面单.png", png, "image/png"))])
    assert again.status_code == 200
    assert match.group(0) in again.text
    assert (_count(session, Complaint), _count(session, Evidence)) == (1, 1)

    tracked = client.post(
        "/track", data={"tracking_number": match.group(0), "phone": "15067891234"}
    )
    assert tracked.status_code == 200
    assert "已受理" in tracked.text
    assert "投诉已登记" in tracked.text
    wrong = client.post("/track", data={"tracking_number": match.group(0), "phone": "13000000000"})
    assert wrong.status_code == 404
    assert "未找到该投诉" in wrong.text


def test_an_incomplete_form_is_shown_again_with_errors(
    client: TestClient, session: Session
) -> None:
    response = client.post(
        "/complaints", data={"complainant_name": "陈先生", "description": "没收到货"}
    )
    assert response.status_code == 422
    assert "投诉对象：必填" in response.text
    assert "诉求：必填" in response.text
    assert 'value="陈先生"' in response.text
    assert _count(session, Complaint) == 0


def test_markup_in_a_complaint_is_escaped(
    client: TestClient, personas: Personas, session: Session
) -> None:
    client.post(
        "/complaints",
        data={**FORM, "description": "<script>alert(1)</script>", "target": "<b>x</b>"},
    )
    _sign_in(client)
    complaint_id = session.scalars(select(Complaint.id)).one()
    detail = client.get(f"/agent/complaints/{complaint_id}")
    assert "<script>alert(1)</script>" not in detail.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail.text
    assert "&lt;b&gt;x&lt;/b&gt;" in detail.text


def test_staff_pages_require_sign_in(client: TestClient, personas: Personas) -> None:
    response = client.get("/agent", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login?next=/agent")
    wrong = client.post("/login", data={"username": "zhangmin", "password": "x"})
    assert wrong.status_code == 401
    assert "用户名或密码错误" in wrong.text
    offsite = client.post(
        "/login",
        data={"username": "zhangmin", "password": PASSWORD, "next": "//evil.example"},
        follow_redirects=False,
    )
    assert offsite.headers["location"] == "/agent"


def test_agent_triages_and_assigns_from_the_detail_page(
    client: TestClient, personas: Personas, session: Session
) -> None:
    client.post("/complaints", data=FORM)
    _sign_in(client)
    queue = client.get("/agent")
    assert "陈先生" in queue.text
    complaint_id = session.scalars(select(Complaint.id)).one()
    detail = client.get(f"/agent/complaints/{complaint_id}")
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', detail.text)
    assert csrf is not None
    assert 'value="triage"' in detail.text
    assert 'value="close"' not in detail.text

    forged = client.post(
        f"/agent/complaints/{complaint_id}/transitions",
        data={"action": "triage", "version": "1", "csrf": "0" * 64},
    )
    assert forged.status_code == 403
    see_committed(session)
    assert session.get(Complaint, complaint_id).status == "received"  # type: ignore[union-attr]

    triaged = client.post(
        f"/agent/complaints/{complaint_id}/transitions",
        data={"action": "triage", "version": "1", "csrf": csrf.group(1)},
        follow_redirects=True,
    )
    assert triaged.status_code == 200
    assert "已评估" in triaged.text
    assigned = client.post(
        f"/agent/complaints/{complaint_id}/assignment",
        data={
            "department_id": str(personas.logistics.id),
            "version": "2",
            "csrf": csrf.group(1),
            "note": "快递问题",
        },
        follow_redirects=True,
    )
    assert "已派单" in assigned.text
    stale = client.post(
        f"/agent/complaints/{complaint_id}/transitions",
        data={"action": "start_investigation", "version": "2", "csrf": csrf.group(1)},
    )
    assert stale.status_code == 409
    assert "该记录已被他人修改" in stale.text


def test_agent_enters_a_phone_complaint(
    client: TestClient, personas: Personas, session: Session
) -> None:
    _sign_in(client)
    form = client.get("/agent/new")
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text)
    assert csrf is not None
    response = client.post(
        "/agent/new",
        data={**FORM, "channel": "phone", "csrf": csrf.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    see_committed(session)
    complaint = session.scalars(select(Complaint)).one()
    assert (complaint.channel, complaint.registered_by) == ("phone", personas.zhang_min.actor.ref)


def test_the_queue_filters(
    client: TestClient, personas: Personas, session: Session, kesu: Kesu
) -> None:
    client.post("/complaints", data={**FORM, "submission_key": "a"})
    client.post(
        "/complaints",
        data={
            **FORM,
            "submission_key": "b",
            "phone": "13900000001",
            "complainant_name": "刘女士",
            "description": "热水器漏电，孩子被电到了！我要去12315投诉！",
            "target": "澜泉热水器",
        },
    )
    _sign_in(client)
    urgent = client.get("/agent", params={"priority": "P1"})
    assert "刘女士" in urgent.text
    assert "陈先生" not in urgent.text
    logistics = client.get("/agent", params={"category": "logistics"})
    assert "陈先生" in logistics.text
    assert "刘女士" not in logistics.text
    assert "没有符合条件的投诉" in client.get("/agent", params={"breached": "true"}).text
    api = client.get(
        "/api/v1/complaints", params={"priority": "P1"}, headers=personas.zhang_min.headers
    ).json()
    assert [row["complainant_name"] for row in api] == ["刘女士"]
