from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.accounts.models import Role
from kesu.bootstrap import Kesu
from kesu.complaints.errors import InvalidTransition
from kesu.core.actors import Actor, ActorKind
from kesu.core.errors import InvalidInput, PermissionDenied
from kesu.handling import service
from kesu.handling.models import Investigation
from kesu.handling.schemas import CauseCreate, InvestigationWrite
from tests.factories import PASSWORD, Personas, file_complaint, see_committed
from tests.handling.test_remedies import _investigating

ADMIN = Actor(kind=ActorKind.USER, id=None, role=Role.ADMIN, name="管理员")


def test_the_investigation_record_with_an_appraisal(
    kesu: Kesu, session: Session, personas: Personas
) -> None:
    service.add_cause(
        session,
        CauseCreate(code="PRODUCTION_DEFECT", name="生产质量问题"),
        actor=ADMIN,
        clock=kesu.clock,
    )
    with pytest.raises(PermissionDenied):
        service.add_cause(
            session,
            CauseCreate(code="X", name="x"),
            actor=personas.zhang_min.actor,
            clock=kesu.clock,
        )
    received = file_complaint(kesu, session, phone="13900000009", email=None)
    record = InvestigationWrite(findings="恒温阀密封圈老化", cause_code="PRODUCTION_DEFECT")
    with pytest.raises(InvalidTransition):
        service.record_investigation(
            session,
            complaint_id=received.id,
            record=record,
            actor=personas.zhao_lei.actor,
            clock=kesu.clock,
        )
    complaint = _investigating(kesu, session, personas)
    for bad in (
        InvestigationWrite(findings="x", cause_code="NOPE"),
        InvestigationWrite(findings="x", appraisal_requested=True),
    ):
        with pytest.raises(InvalidInput):
            service.record_investigation(
                session,
                complaint_id=complaint.id,
                record=bad,
                actor=personas.zhao_lei.actor,
                clock=kesu.clock,
            )
    service.record_investigation(
        session,
        complaint_id=complaint.id,
        record=record,
        actor=personas.zhao_lei.actor,
        clock=kesu.clock,
    )
    updated = InvestigationWrite(
        findings="恒温阀批次 B2311 密封圈老化",
        cause_code="PRODUCTION_DEFECT",
        responsible_person="生产二组",
        appraisal_requested=True,
        appraisal_party="省质检院",
        appraisal_cost_bearer="company",
    )
    service.record_investigation(
        session,
        complaint_id=complaint.id,
        record=updated,
        actor=personas.zhao_lei.actor,
        clock=kesu.clock,
    )
    see_committed(session)
    row = session.scalars(select(Investigation)).one()
    assert (row.findings, row.appraisal_party, row.appraisal_cost_bearer) == (
        "恒温阀批次 B2311 密封圈老化",
        "省质检院",
        "company",
    )


def test_the_investigation_through_the_api_and_the_page(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    service.add_cause(
        session,
        CauseCreate(code="TRANSPORT_DAMAGE", name="运输途中损坏"),
        actor=ADMIN,
        clock=kesu.clock,
    )
    complaint = _investigating(kesu, session, personas)
    agent = personas.zhao_lei.headers
    assert (
        client.get(f"/api/v1/complaints/{complaint.id}/investigation", headers=agent).status_code
        == 404
    )
    saved = client.put(
        f"/api/v1/complaints/{complaint.id}/investigation",
        json={"findings": "外箱破损，运输中挤压", "cause_code": "TRANSPORT_DAMAGE"},
        headers=agent,
    )
    assert (saved.status_code, saved.json()["cause_name"]) == (200, "运输途中损坏")
    assert [c["code"] for c in client.get("/api/v1/causes", headers=agent).json()] == [
        "TRANSPORT_DAMAGE"
    ]
    client.post("/login", data={"username": "zhaolei", "password": PASSWORD, "next": "/agent"})
    page = client.get(f"/agent/complaints/{complaint.id}")
    assert "运输途中损坏" in page.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf is not None
    posted = client.post(
        f"/agent/complaints/{complaint.id}/investigation",
        data={
            "csrf": csrf.group(1),
            "findings": "外箱破损，快递员承认摔落",
            "cause_code": "TRANSPORT_DAMAGE",
        },
        follow_redirects=True,
    )
    assert "快递员承认摔落" in posted.text
