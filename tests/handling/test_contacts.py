from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kesu.bootstrap import Kesu
from kesu.core.clock import FixedClock
from kesu.core.errors import InvalidInput, PermissionDenied
from kesu.handling import queries, service
from kesu.handling.models import ContactRecord
from kesu.handling.schemas import ContactChannel, ContactCreate, Direction
from kesu.sla.calendar import CHINA
from tests.factories import PASSWORD, Personas, file_complaint, see_committed


def test_contacts_are_logged_in_order_and_join_the_timeline(
    kesu: Kesu, session: Session, personas: Personas, clock: FixedClock
) -> None:
    complaint = file_complaint(kesu, session)
    clock.advance(timedelta(hours=2))
    later = ContactCreate(channel="call", summary="致电客户，约定周四上门检测。")
    earlier = ContactCreate(
        channel="sms",
        direction="inbound",
        summary="客户短信补充了购买凭证。",
        contacted_at=clock.now() - timedelta(hours=1),
    )
    service.record_contact(
        session,
        complaint_id=complaint.id,
        contact=later,
        actor=personas.zhao_lei.actor,
        clock=clock,
    )
    service.record_contact(
        session,
        complaint_id=complaint.id,
        contact=earlier,
        actor=personas.zhao_lei.actor,
        clock=clock,
    )
    assert [c.channel for c in queries.contacts(session, complaint.id)] == ["sms", "call"]


@pytest.mark.parametrize(
    "contact",
    [
        ContactCreate.model_construct(
            channel=ContactChannel.CALL,
            direction=Direction.OUTBOUND,
            summary="   ",
            contacted_at=None,
        ),
        ContactCreate(
            channel="call", summary="未来", contacted_at=datetime(2030, 1, 1, tzinfo=CHINA)
        ),
    ],
)
def test_bad_contacts_are_refused(
    kesu: Kesu, session: Session, personas: Personas, contact: ContactCreate
) -> None:
    complaint = file_complaint(kesu, session)
    with pytest.raises(InvalidInput):
        service.record_contact(
            session,
            complaint_id=complaint.id,
            contact=contact,
            actor=personas.zhao_lei.actor,
            clock=kesu.clock,
        )
    see_committed(session)
    assert session.scalar(select(func.count()).select_from(ContactRecord)) == 0


def test_an_analyst_cannot_log_contacts(kesu: Kesu, session: Session, personas: Personas) -> None:
    complaint = file_complaint(kesu, session)
    with pytest.raises(PermissionDenied):
        service.record_contact(
            session,
            complaint_id=complaint.id,
            contact=ContactCreate(channel="call", summary="x"),
            actor=personas.chen_jing.actor,
            clock=kesu.clock,
        )


def test_contacts_through_the_api_the_page_and_the_packet(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = file_complaint(kesu, session)
    agent = personas.zhang_min.headers
    created = client.post(
        f"/api/v1/complaints/{complaint.id}/contacts",
        json={"channel": "call", "summary": "已向客户说明处理进度。"},
        headers=agent,
    )
    assert created.status_code == 201
    bad = client.post(
        f"/api/v1/complaints/{complaint.id}/contacts",
        json={"channel": "pigeon", "summary": "x"},
        headers=agent,
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")
    client.post("/login", data={"username": "zhangmin", "password": PASSWORD, "next": "/agent"})
    page = client.get(f"/agent/complaints/{complaint.id}")
    assert "已向客户说明处理进度。" in page.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf is not None
    posted = client.post(
        f"/agent/complaints/{complaint.id}/contacts",
        data={
            "csrf": csrf.group(1),
            "channel": "visit",
            "direction": "outbound",
            "summary": "上门检测，确认阀门故障。",
        },
        follow_redirects=True,
    )
    assert "上门检测，确认阀门故障。" in posted.text
    empty = client.post(
        f"/agent/complaints/{complaint.id}/contacts",
        data={"csrf": csrf.group(1), "channel": "call", "summary": ""},
    )
    assert empty.status_code == 422
    markdown = client.get(
        f"/api/v1/complaints/{complaint.id}/escalation-packet",
        params={"format": "markdown"},
        headers=agent,
    ).text
    assert "上门/面谈（去电/发出，张敏）：上门检测，确认阀门故障。" in markdown
    assert len(client.get(f"/api/v1/complaints/{complaint.id}/contacts", headers=agent).json()) == 2
