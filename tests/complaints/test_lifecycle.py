"""Every (status, action) pair: allowed ones move the complaint and record it; refused ones raise
and leave the complaint, its timeline and the audit log exactly as they were."""

from __future__ import annotations

from collections import deque

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kesu.audit.models import AuditEntry
from kesu.bootstrap import Kesu
from kesu.complaints import lifecycle
from kesu.complaints import service as complaints
from kesu.complaints.errors import InvalidTransition, ReasonRequired, ResumeStatusMissing
from kesu.complaints.lifecycle import RULES, Action, Status
from kesu.complaints.models import Complaint, TimelineEvent
from kesu.complaints.queries import customer_actor
from kesu.core.actors import SYSTEM, Actor
from tests.factories import Personas, file_complaint, see_committed


def _path_to(target: Status) -> list[Action]:
    """Shortest action sequence from received to ``target`` (breadth-first over the table)."""
    paths: dict[Status, list[Action]] = {Status.RECEIVED: []}
    queue = deque([Status.RECEIVED])
    while queue:
        status = queue.popleft()
        for action in lifecycle.allowed_actions(status):
            if action is Action.CUSTOMER_REPLIED:
                continue
            nxt = lifecycle.plan(status, action)
            if nxt not in paths:
                paths[nxt] = [*paths[status], action]
                queue.append(nxt)
    return paths[target]


def test_every_status_is_reachable_from_received() -> None:
    assert {status for status in Status if status is Status.RECEIVED or _path_to(status)} == set(
        Status
    )


def test_transition_table_matches_the_rules() -> None:
    assert lifecycle.TRANSITIONS[Status.RECEIVED] == {
        Status.TRIAGED,
        Status.REJECTED,
        Status.WITHDRAWN,
    }
    assert lifecycle.TRANSITIONS[Status.ARCHIVED] == frozenset()
    assert lifecycle.TRANSITIONS[Status.WITHDRAWN] == frozenset()
    assert Status.REOPENED in lifecycle.TRANSITIONS[Status.CLOSED]
    assert lifecycle.CATEGORY[Status.WAITING_CUSTOMER] is lifecycle.StatusCategory.WAITING


def _actor_for(action: Action, complaint: Complaint, personas: Personas) -> Actor:
    if action in complaints.CUSTOMER_ACTIONS:
        return customer_actor(complaint)
    if action in {Action.APPROVE_REMEDY, Action.RETURN_REMEDY, Action.ARCHIVE}:
        return personas.li_qiang.actor
    return personas.zhang_min.actor


def _walk(kesu: Kesu, session: Session, personas: Personas, target: Status) -> Complaint:
    complaint = file_complaint(kesu, session)
    for action in _path_to(target):
        if action is Action.ASSIGN:
            complaint = complaints.assign_complaint(
                session,
                complaint_id=complaint.id,
                expected_version=complaint.version,
                department_id=personas.quality.id,
                assignee_id=None,
                actor=personas.zhang_min.actor,
                clock=kesu.clock,
            )
            continue
        complaint = complaints.transition_complaint(
            session,
            complaint_id=complaint.id,
            action=action,
            expected_version=complaint.version,
            actor=_actor_for(action, complaint, personas),
            clock=kesu.clock,
            note="说明",
            via_command=True,
        )
    assert complaint.status == target
    return complaint


def _counts(session: Session, complaint_id: int) -> tuple[int, int]:
    events = session.scalar(select(func.count()).where(TimelineEvent.complaint_id == complaint_id))
    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    assert events is not None
    assert audits is not None
    return events, audits


def _apply(
    kesu: Kesu, session: Session, personas: Personas, complaint: Complaint, action: Action
) -> Complaint:
    if action is Action.ASSIGN:
        return complaints.assign_complaint(
            session,
            complaint_id=complaint.id,
            expected_version=complaint.version,
            department_id=personas.logistics.id,
            assignee_id=None,
            actor=personas.zhang_min.actor,
            clock=kesu.clock,
        )
    return complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=action,
        expected_version=complaint.version,
        actor=_actor_for(action, complaint, personas),
        clock=kesu.clock,
        note="原因说明",
        via_command=True,
    )


@pytest.mark.parametrize("status", list(Status), ids=str)
def test_every_action_from_every_status(
    status: Status, kesu: Kesu, session: Session, personas: Personas
) -> None:
    allowed = lifecycle.allowed_actions(status)
    refused = [action for action in Action if action not in allowed]

    subject = _walk(kesu, session, personas, status)
    version_before = subject.version
    before = _counts(session, subject.id)
    for action in refused:
        with pytest.raises(InvalidTransition):
            _apply(kesu, session, personas, subject, action)
        see_committed(session)
        stored = session.get(Complaint, subject.id)
        assert stored is not None
        assert (stored.status, stored.version) == (status, version_before)
        assert _counts(session, subject.id) == before

    for action in allowed:
        complaint = _walk(kesu, session, personas, status)
        events, audits = _counts(session, complaint.id)
        version = complaint.version
        resume = Status(complaint.resume_status) if complaint.resume_status else None
        expected = lifecycle.plan(status, action, resume_status=resume)
        moved = _apply(kesu, session, personas, complaint, action)
        assert moved.status == expected
        assert moved.version == version + 1
        assert _counts(session, complaint.id) == (events + 1, audits + 1)
        last = session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.complaint_id == complaint.id)
            .order_by(TimelineEvent.id.desc())
        ).first()
        assert last is not None
        assert (last.from_status, last.to_status) == (status, expected)


def test_customer_reply_returns_to_the_status_before_waiting(
    kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = _walk(kesu, session, personas, Status.INVESTIGATING)
    waiting = _apply(kesu, session, personas, complaint, Action.WAIT_FOR_CUSTOMER)
    assert (waiting.status, waiting.resume_status) == (
        Status.WAITING_CUSTOMER,
        Status.INVESTIGATING,
    )
    assert lifecycle.CATEGORY[Status(waiting.status)] is lifecycle.StatusCategory.WAITING
    resumed = _apply(kesu, session, personas, waiting, Action.CUSTOMER_REPLIED)
    assert (resumed.status, resumed.resume_status) == (Status.INVESTIGATING, None)


def test_resume_without_a_recorded_status_is_refused() -> None:
    with pytest.raises(ResumeStatusMissing):
        lifecycle.plan(Status.WAITING_CUSTOMER, Action.CUSTOMER_REPLIED, resume_status=None)


@pytest.mark.parametrize("action", [a for a, rule in RULES.items() if rule.needs_reason], ids=str)
def test_actions_that_need_a_reason_refuse_without_one(
    action: Action, kesu: Kesu, session: Session, personas: Personas
) -> None:
    source = next(iter(sorted(RULES[action].sources)))
    complaint = _walk(kesu, session, personas, source)
    version_before = complaint.version
    before = _counts(session, complaint.id)
    with pytest.raises(ReasonRequired):
        complaints.transition_complaint(
            session,
            complaint_id=complaint.id,
            action=action,
            expected_version=complaint.version,
            actor=_actor_for(action, complaint, personas),
            clock=kesu.clock,
            note="   ",
            via_command=True,
        )
    see_committed(session)
    stored = session.get(Complaint, complaint.id)
    assert stored is not None
    assert (stored.status, stored.version) == (source, version_before)
    assert _counts(session, complaint.id) == before


def test_system_actor_may_take_any_allowed_action(kesu: Kesu, session: Session) -> None:
    complaint = file_complaint(kesu, session)
    moved = complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.TRIAGE,
        expected_version=1,
        actor=SYSTEM,
        clock=kesu.clock,
    )
    assert moved.status == Status.TRIAGED
