"""Closing the loop: the follow-up visit, its survey link, reopening, and the archive check."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.bootstrap import Kesu
from kesu.complaints import service as complaints
from kesu.complaints.lifecycle import Action
from kesu.complaints.models import Complaint, TimelineEvent
from kesu.core.clock import FixedClock
from kesu.followup import evaluation
from kesu.followup import service as followup
from kesu.followup.errors import ArchiveIncomplete
from kesu.followup.models import FollowUpVisit, ImprovementAction
from kesu.followup.schemas import ActionDraft, EvaluationCreate, VisitAnswer
from kesu.handling import accountability, remedies
from kesu.handling import service as handling
from kesu.handling.schemas import (
    AccountabilityCreate,
    ContactChannel,
    ContactCreate,
    RemedyCreate,
    RemedyKind,
)
from kesu.jobs import registry
from kesu.jobs.worker import Worker, WorkerConfig
from tests.factories import PASSWORD, Personas, file_complaint, see_committed
from tests.fakes import MemoryNotifier

SECRET = "test-secret"


def _resolved(kesu: Kesu, session: Session, personas: Personas) -> Complaint:
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
    complaint = complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.START_INVESTIGATION,
        expected_version=complaint.version,
        actor=personas.zhao_lei.actor,
        clock=kesu.clock,
    )
    remedies.propose_remedy(
        session,
        complaint_id=complaint.id,
        draft=RemedyCreate(
            version=complaint.version,
            kind=RemedyKind.EXCHANGE,
            amount=Decimal("0"),
            description="换新机",
        ),
        actor=personas.zhao_lei.actor,
        clock=kesu.clock,
    )
    complaint = remedies.submit_remedies(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        actor=personas.zhao_lei.actor,
        clock=kesu.clock,
    )
    return complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.RESOLVE,
        expected_version=complaint.version,
        actor=personas.zhao_lei.actor,
        clock=kesu.clock,
    )


def _run_jobs(kesu: Kesu, notifier: MemoryNotifier) -> None:
    Worker(
        kesu.sessions,
        registry.build_handlers(
            notifier=notifier, clock=kesu.clock, secret=SECRET, public_url="http://kesu.example"
        ),
        kesu.clock,
        WorkerConfig(20, 60, 3),
    ).run_until_idle()


def test_resolution_schedules_a_visit_with_a_signed_survey_link(
    kesu: Kesu, session: Session, personas: Personas, notifier: MemoryNotifier
) -> None:
    complaint = _resolved(kesu, session, personas)
    _run_jobs(kesu, notifier)
    see_committed(session)
    visit = session.scalars(select(FollowUpVisit)).one()
    survey = [m for m in notifier.sent if "/followup/" in m.body]
    assert sorted(m.channel for m in survey) == ["email", "sms"]
    link = re.search(r"http://kesu\.example/followup/(\S+)", survey[0].body)
    assert link is not None
    assert followup.visit_from_token(session, SECRET, link.group(1)).id == visit.id
    with pytest.raises(Exception, match="does not exist"):
        followup.visit_from_token(session, SECRET, f"{visit.id}.forged")
    _run_jobs(kesu, notifier)
    see_committed(session)
    assert len(session.scalars(select(FollowUpVisit)).all()) == 1
    assert complaint.status == "resolved"


def test_an_unsatisfied_customer_reopens_the_complaint(
    kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _resolved(kesu, session, personas)
    reopened = followup.record_visit(
        session,
        complaint_id=complaint.id,
        answer=VisitAnswer(csat=1, comment="还是坏的"),
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    assert reopened.status == "reopened"
    note = session.scalars(
        select(TimelineEvent.note)
        .where(TimelineEvent.to_status == "reopened")
        .order_by(TimelineEvent.id.desc())
    ).first()
    assert note == "回访不满意（1 分）：还是坏的"


def test_archive_refuses_an_incomplete_record_with_a_clear_list(
    kesu: Kesu, session: Session, personas: Personas, clock: FixedClock
) -> None:
    complaint = _resolved(kesu, session, personas)
    complaint = followup.record_visit(
        session,
        complaint_id=complaint.id,
        answer=VisitAnswer(csat=5, nps=10),
        actor=personas.zhang_min.actor,
        clock=clock,
    )
    complaint = complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.CLOSE,
        expected_version=complaint.version,
        actor=personas.zhang_min.actor,
        clock=clock,
    )
    check = followup.archive_check(session, complaint)
    assert (check.complete, check.missing) == (False, ["communication"])
    with pytest.raises(ArchiveIncomplete, match="missing a communication with the customer"):
        followup.archive_complaint(
            session,
            complaint_id=complaint.id,
            expected_version=complaint.version,
            actor=personas.li_qiang.actor,
            clock=clock,
        )
    handling.record_contact(
        session,
        complaint_id=complaint.id,
        contact=ContactCreate(channel=ContactChannel.CALL, summary="回访电话"),
        actor=personas.zhang_min.actor,
        clock=clock,
    )
    archived = followup.archive_complaint(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        actor=personas.li_qiang.actor,
        clock=clock,
    )
    assert archived.status == "archived"


def test_the_customer_answers_through_the_link_and_staff_through_the_api(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _resolved(kesu, session, personas)
    visit = followup.schedule_visit(
        session,
        complaint_id=complaint.id,
        now=kesu.clock.now(),
        secret="test-secret",
        public_url="http://x",
    )
    assert visit is not None
    token = followup.visit_token("test-secret", visit.id)
    page = client.get(f"/followup/{token}")
    assert complaint.tracking_number in page.text
    assert client.get(f"/followup/{visit.id}.wrong").status_code == 404
    answered = client.post(f"/followup/{token}", data={"csat": "2", "comment": "没修好"})
    assert "重新交由处理人员跟进" in answered.text
    assert (
        client.post(f"/followup/{token}", data={"csat": "5"}).status_code == 404
    )  # one answer per visit
    see_committed(session)
    stored = session.get(Complaint, complaint.id)
    assert stored is not None
    assert stored.status == "reopened"

    agent = personas.zhang_min.headers
    check = client.get(f"/api/v1/complaints/{complaint.id}/archive-check", headers=agent).json()
    assert check["missing"] == ["communication"]
    refused = client.post(
        f"/api/v1/complaints/{complaint.id}/archive",
        json={"version": stored.version},
        headers=agent,
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "archive_incomplete")
    bad = client.post(
        f"/api/v1/complaints/{complaint.id}/follow-up", json={"csat": 9}, headers=agent
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")


def test_follow_up_and_archive_from_the_agent_page(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _resolved(kesu, session, personas)
    client.post("/login", data={"username": "liqiang", "password": PASSWORD, "next": "/agent"})
    page = client.get(f"/agent/complaints/{complaint.id}")
    assert "记录回访" in page.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf is not None
    visited = client.post(
        f"/agent/complaints/{complaint.id}/follow-up",
        data={"csrf": csrf.group(1), "csat": "5", "nps": "9", "comment": "满意", "channel": "call"},
        follow_redirects=True,
    )
    assert "回访中" in visited.text


def test_an_overdue_improvement_is_reminded_weekly_until_done(
    kesu: Kesu, session: Session, personas: Personas, notifier: MemoryNotifier, clock: FixedClock
) -> None:
    complaint = _resolved(kesu, session, personas)
    complaint = followup.record_visit(
        session,
        complaint_id=complaint.id,
        answer=VisitAnswer(csat=4),
        actor=personas.zhang_min.actor,
        clock=clock,
    )
    evaluation.evaluate_complaint(
        session,
        complaint_id=complaint.id,
        draft=EvaluationCreate(
            lessons="安装前未检测",
            root_cause_class="process",
            actions=[
                ActionDraft(
                    department_id=personas.quality.id,
                    description="修订安装规范",
                    due_at=clock.now() + timedelta(days=10),
                )
            ],
        ),
        actor=personas.li_qiang.actor,
        clock=clock,
    )
    clock.advance(timedelta(days=11))
    _run_jobs(kesu, notifier)
    clock.advance(evaluation.REMIND_EVERY)
    _run_jobs(kesu, notifier)
    see_committed(session)
    action = session.scalars(select(ImprovementAction)).one()
    assert action.reminders == 2
    evaluation.complete_action(
        session, action_id=action.id, note="已修订 V2.3", actor=personas.zhao_lei.actor, clock=clock
    )
    clock.advance(evaluation.REMIND_EVERY * 2)
    _run_jobs(kesu, notifier)
    see_committed(session)
    assert session.scalars(select(ImprovementAction)).one().reminders == 2


def test_evaluation_and_accountability_from_the_agent_page(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas, clock: FixedClock
) -> None:
    complaint = _resolved(kesu, session, personas)
    followup.record_visit(
        session,
        complaint_id=complaint.id,
        answer=VisitAnswer(csat=4),
        actor=personas.zhang_min.actor,
        clock=clock,
    )
    accountability.propose_accountability(
        session,
        complaint_id=complaint.id,
        draft=AccountabilityCreate(
            subject_kind="department", subject_id=personas.quality.id, finding="安装前未检测"
        ),
        actor=personas.zhao_lei.actor,
        clock=clock,
    )
    client.post("/login", data={"username": "liqiang", "password": PASSWORD, "next": "/agent"})
    page = client.get(f"/agent/complaints/{complaint.id}")
    assert "总结评价" in page.text
    assert "安装前未检测" in page.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf is not None
    record_id = re.search(r"/accountability/(\d+)", page.text)
    assert record_id is not None
    confirmed = client.post(
        f"/agent/complaints/{complaint.id}/accountability/{record_id.group(1)}",
        data={"csrf": csrf.group(1), "decision": "confirm"},
        follow_redirects=True,
    )
    assert "已确认" in confirmed.text
    evaluated = client.post(
        f"/agent/complaints/{complaint.id}/evaluation",
        data={
            "csrf": csrf.group(1),
            "lessons": "安装流程缺检测",
            "root_cause_class": "process",
            "action_description": "安装规范增加检测",
            "action_department_id": str(personas.quality.id),
            "action_due_on": "2027-01-31",
        },
        follow_redirects=True,
    )
    assert evaluated.status_code == 200
    see_committed(session)
    assert [a.description for a in session.scalars(select(ImprovementAction))] == [
        "安装规范增加检测"
    ]
