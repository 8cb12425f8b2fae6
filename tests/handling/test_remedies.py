"""Remedies and approval (主管批示) by authority limit."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.accounts import service as accounts
from kesu.accounts.models import Role
from kesu.bootstrap import Kesu
from kesu.complaints import service as complaints
from kesu.complaints.errors import InvalidTransition, UseDomainCommand
from kesu.complaints.lifecycle import Action
from kesu.complaints.models import Complaint
from kesu.core.actors import Actor, ActorKind
from kesu.core.errors import InvalidInput, PermissionDenied
from kesu.handling import remedies
from kesu.handling.errors import NothingToSubmit
from kesu.handling.models import RemedyProposal
from kesu.handling.schemas import RemedyCreate, RemedyKind
from tests.factories import PASSWORD, Persona, Personas, file_complaint, see_committed


def _investigating(kesu: Kesu, session: Session, personas: Personas) -> Complaint:
    complaint = file_complaint(kesu, session)
    complaint = complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.TRIAGE,
        expected_version=complaint.version,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    complaint = complaints.assign_complaint(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        department_id=personas.quality.id,
        assignee_id=None,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    return complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.START_INVESTIGATION,
        expected_version=complaint.version,
        actor=personas.zhao_lei.actor,
        clock=kesu.clock,
    )


def _propose(
    kesu: Kesu,
    session: Session,
    complaint: Complaint,
    who: Persona,
    amount: str,
    kind: RemedyKind = RemedyKind.COMPENSATION,
) -> Complaint:
    remedies.propose_remedy(
        session,
        complaint_id=complaint.id,
        draft=RemedyCreate(
            version=complaint.version,
            kind=kind,
            amount=Decimal(amount),
            description=f"补偿 {amount} 元",
        ),
        actor=who.actor,
        clock=kesu.clock,
    )
    return complaint


def test_within_authority_the_remedy_is_carried_out_at_once(
    kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _propose(
        kesu, session, _investigating(kesu, session, personas), personas.zhao_lei, "380"
    )
    assert complaint.status == "remedy_proposed"
    done = remedies.submit_remedies(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        actor=personas.zhao_lei.actor,
        clock=kesu.clock,
    )
    assert done.status == "carrying_out"
    proposal = session.scalars(select(RemedyProposal)).one()
    assert (proposal.status, proposal.amount_fen) == ("approved", 38000)


def test_above_authority_it_waits_for_a_supervisor_with_enough_authority(
    kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _propose(
        kesu, session, _investigating(kesu, session, personas), personas.zhang_min, "300"
    )
    waiting = remedies.submit_remedies(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    assert waiting.status == "awaiting_approval"
    with pytest.raises(PermissionDenied):
        remedies.decide_remedies(
            session,
            complaint_id=complaint.id,
            expected_version=waiting.version,
            approve=True,
            comment=None,
            actor=personas.zhao_lei.actor,
            clock=kesu.clock,
        )
    approved = remedies.decide_remedies(
        session,
        complaint_id=complaint.id,
        expected_version=waiting.version,
        approve=True,
        comment="同意",
        actor=personas.li_qiang.actor,
        clock=kesu.clock,
    )
    assert approved.status == "carrying_out"
    proposal = session.scalars(select(RemedyProposal)).one()
    assert (proposal.status, proposal.decided_by_name, proposal.decision_comment) == (
        "approved",
        "李强",
        "同意",
    )


def test_a_supervisor_cannot_approve_beyond_their_own_limit(
    kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _propose(
        kesu, session, _investigating(kesu, session, personas), personas.zhao_lei, "8000"
    )
    waiting = remedies.submit_remedies(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        actor=personas.zhao_lei.actor,
        clock=kesu.clock,
    )
    with pytest.raises(PermissionDenied):
        remedies.decide_remedies(
            session,
            complaint_id=complaint.id,
            expected_version=waiting.version,
            approve=True,
            comment=None,
            actor=personas.li_qiang.actor,
            clock=kesu.clock,
        )
    admin = accounts.create_user(
        session,
        username="boss",
        display_name="总经理",
        role=Role.ADMIN,
        password=PASSWORD,
        clock=kesu.clock,
    )
    approved = remedies.decide_remedies(
        session,
        complaint_id=complaint.id,
        expected_version=waiting.version,
        approve=True,
        comment="特批",
        actor=Actor(kind=ActorKind.USER, id=admin.id, role=admin.role, name=admin.display_name),
        clock=kesu.clock,
    )
    assert approved.status == "carrying_out"


def test_a_returned_remedy_goes_back_to_investigation(
    kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _propose(
        kesu, session, _investigating(kesu, session, personas), personas.zhang_min, "300"
    )
    waiting = remedies.submit_remedies(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    returned = remedies.decide_remedies(
        session,
        complaint_id=complaint.id,
        expected_version=waiting.version,
        approve=False,
        comment="先按 150 元再谈",
        actor=personas.li_qiang.actor,
        clock=kesu.clock,
    )
    assert returned.status == "investigating"
    assert session.scalars(select(RemedyProposal.status)).one() == "rejected"
    with pytest.raises(NothingToSubmit):
        remedies.submit_remedies(
            session,
            complaint_id=complaint.id,
            expected_version=returned.version,
            actor=personas.zhang_min.actor,
            clock=kesu.clock,
        )


def test_the_generic_transition_cannot_skip_the_remedy_commands(
    kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _investigating(kesu, session, personas)
    for action in (
        Action.PROPOSE_REMEDY,
        Action.CARRY_OUT,
        Action.REQUEST_APPROVAL,
        Action.APPROVE_REMEDY,
    ):
        with pytest.raises(UseDomainCommand):
            complaints.transition_complaint(
                session,
                complaint_id=complaint.id,
                action=action,
                expected_version=complaint.version,
                actor=personas.li_qiang.actor,
                clock=kesu.clock,
            )
    see_committed(session)
    stored = session.get(Complaint, complaint.id)
    assert stored is not None
    assert (stored.status, stored.version) == ("investigating", complaint.version)


def test_bad_remedies_are_refused(kesu: Kesu, session: Session, personas: Personas) -> None:
    received = file_complaint(kesu, session)
    with pytest.raises(InvalidTransition):
        remedies.propose_remedy(
            session,
            complaint_id=received.id,
            draft=RemedyCreate(
                version=received.version, kind=RemedyKind.APOLOGY, description="道歉"
            ),
            actor=personas.zhang_min.actor,
            clock=kesu.clock,
        )
    complaint = _investigating(kesu, session, personas)
    with pytest.raises(InvalidInput):
        remedies.propose_remedy(
            session,
            complaint_id=complaint.id,
            draft=RemedyCreate(
                version=complaint.version, kind=RemedyKind.COMPENSATION, description="没写金额"
            ),
            actor=personas.zhang_min.actor,
            clock=kesu.clock,
        )
    see_committed(session)
    assert session.scalars(select(RemedyProposal)).all() == []


def test_remedies_through_the_api_and_the_page(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _investigating(kesu, session, personas)
    agent = personas.zhang_min.headers
    proposed = client.post(
        f"/api/v1/complaints/{complaint.id}/remedies",
        json={
            "version": complaint.version,
            "kind": "compensation",
            "amount": "260.50",
            "description": "补偿医药费",
        },
        headers=agent,
    )
    assert proposed.status_code == 201
    assert proposed.json()["amount_fen"] == 26050
    bad = client.post(
        f"/api/v1/complaints/{complaint.id}/remedies",
        json={
            "version": complaint.version + 1,
            "kind": "compensation",
            "amount": "1.234",
            "description": "x",
        },
        headers=agent,
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")
    generic = client.post(
        f"/api/v1/complaints/{complaint.id}/transitions",
        json={"action": "carry_out", "version": complaint.version + 1},
        headers=agent,
    )
    assert (generic.status_code, generic.json()["code"]) == (409, "use_domain_command")
    submitted = client.post(
        f"/api/v1/complaints/{complaint.id}/remedies/submit",
        json={"version": complaint.version + 1},
        headers=agent,
    )
    assert submitted.json()["status"] == "awaiting_approval"

    client.post("/login", data={"username": "liqiang", "password": PASSWORD, "next": "/agent"})
    page = client.get(f"/agent/complaints/{complaint.id}")
    assert "待主管批示" in page.text
    assert 'value="carry_out"' not in page.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf is not None
    decided = client.post(
        f"/agent/complaints/{complaint.id}/remedies",
        data={
            "csrf": csrf.group(1),
            "step": "approve",
            "version": str(submitted.json()["version"]),
            "comment": "同意赔付",
        },
        follow_redirects=True,
    )
    assert "已批准" in decided.text
    assert "处理落实中" in decided.text
