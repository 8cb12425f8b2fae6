"""Two agents working on one complaint: the second write is refused, never silently applied."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from kesu.bootstrap import Kesu
from kesu.complaints import service as complaints
from kesu.complaints.lifecycle import Action, Status
from kesu.complaints.models import Complaint, TimelineEvent
from kesu.core.errors import ConcurrentUpdate
from kesu.customers import service as customers
from kesu.customers.models import Customer
from kesu.db.engine import transaction
from kesu.notifications.models import Notification
from tests.factories import Personas, file_complaint, see_committed


def test_a_stale_version_is_refused_and_changes_nothing(
    kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = file_complaint(kesu, session)
    seen_by_both = complaint.version
    with kesu.sessions() as first_agent:
        complaints.transition_complaint(
            first_agent,
            complaint_id=complaint.id,
            action=Action.TRIAGE,
            expected_version=seen_by_both,
            actor=personas.zhang_min.actor,
            clock=kesu.clock,
        )
    with kesu.sessions() as second_agent, pytest.raises(ConcurrentUpdate):
        complaints.transition_complaint(
            second_agent,
            complaint_id=complaint.id,
            action=Action.REJECT,
            expected_version=seen_by_both,
            actor=personas.zhao_lei.actor,
            clock=kesu.clock,
            note="信息不全",
        )
    see_committed(session)
    stored = session.get(Complaint, complaint.id)
    assert stored is not None
    assert (stored.status, stored.version) == (Status.TRIAGED, seen_by_both + 1)
    events = session.scalar(select(func.count()).where(TimelineEvent.complaint_id == complaint.id))
    assert events == 4  # registered, assessed, acknowledged, triaged


def test_the_version_column_guards_writes_that_bypass_the_check(
    kesu: Kesu, session: Session, personas: Personas
) -> None:
    """An ORM write from a session that loaded the row before someone else's update fails."""
    complaint = file_complaint(kesu, session)
    with kesu.sessions() as first, kesu.sessions() as second:
        mine = first.get(Complaint, complaint.id)
        theirs = second.get(Complaint, complaint.id)
        assert mine is not None
        assert theirs is not None
        # End both read transactions but keep the loaded rows, as a web request that renders a
        # form and later posts it would.
        first.commit()
        second.commit()
        mine.region = "上海市"
        first.add(mine)
        first.commit()
        theirs.region = "北京市"
        second.add(theirs)
        with pytest.raises(StaleDataError):
            second.commit()
    see_committed(session)
    stored = session.get(Complaint, complaint.id)
    assert stored is not None
    assert stored.region == "上海市"


def test_version_increments_on_every_command(
    kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = file_complaint(kesu, session)
    assert complaint.version == 1
    triaged = complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.TRIAGE,
        expected_version=1,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    assert triaged.version == 2


def test_milestones_are_sent_to_the_customer(
    kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = file_complaint(kesu, session)
    triaged = complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.TRIAGE,
        expected_version=complaint.version,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    complaints.assign_complaint(
        session,
        complaint_id=complaint.id,
        expected_version=triaged.version,
        department_id=personas.quality.id,
        assignee_id=None,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    see_committed(session)
    sent = session.scalars(
        select(Notification).where(Notification.kind == "complaint.assigned")
    ).all()
    assert sorted(n.channel for n in sent) == ["email", "sms"]
    assert "已转交责任部门处理" in sent[0].body
    assert (
        session.scalars(select(Notification).where(Notification.kind == "complaint.triaged")).all()
        == []
    )


def test_two_first_complaints_from_one_phone_share_one_profile(
    kesu: Kesu, session: Session
) -> None:
    """The second intake meets the first one's uncommitted profile: on PostgreSQL its INSERT waits
    on the unique phone and then fails, and it must fall back to the profile that won."""
    contact = customers.Contact(name="王芳", phone="13911112222", email="wf@example.com")
    now = kesu.clock.now()
    results: list[tuple[int, bool]] = []

    def second_intake() -> None:
        with kesu.sessions() as second, transaction(second):
            customer, created = customers.match_customer(second, contact, now=now)
            results.append((customer.id, created))

    with kesu.sessions() as first:
        with transaction(first):
            winner, created = customers.match_customer(first, contact, now=now)
            first.flush()
            racer = threading.Thread(target=second_intake)
            racer.start()
            time.sleep(0.5)  # the racer is now blocked on the first transaction's row or lock
        winner_id = winner.id
    racer.join(timeout=30)
    assert not racer.is_alive()
    assert created
    assert results == [(winner_id, False)]
    see_committed(session)
    assert session.scalar(select(func.count()).select_from(Customer)) == 1
