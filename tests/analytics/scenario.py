"""Complaints in given states on given days, made through the real commands, for the analytics
tests; and the app with the analytics routes mounted."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session

from kesu.bootstrap import Kesu
from kesu.complaints import service as complaints
from kesu.complaints.lifecycle import Action
from kesu.complaints.models import Complaint
from kesu.core.clock import FixedClock
from kesu.handling import remedies
from kesu.handling.schemas import RemedyCreate, RemedyKind
from kesu.jobs import registry
from kesu.jobs.worker import Worker, WorkerConfig
from kesu.triage import service as triage
from kesu.web.app import create_app
from tests.factories import Personas, file_complaint
from tests.fakes import MemoryNotifier


def app_with_analytics(kesu: Kesu) -> FastAPI:
    return create_app(kesu)


def worker(kesu: Kesu, notifier: MemoryNotifier) -> Worker:
    """The worker with every registered job and the rollup refresh."""
    handlers = registry.build_handlers(notifier=notifier, clock=kesu.clock)
    return Worker(kesu.sessions, handlers, kesu.clock, WorkerConfig(50, 60, 3), name="test")


def filed(
    kesu: Kesu, session: Session, clock: FixedClock, when: datetime, **overrides: Any
) -> Complaint:
    clock.set(when)
    return file_complaint(kesu, session, **overrides)


def categorised(
    kesu: Kesu, session: Session, personas: Personas, complaint: Complaint, category: str
) -> Complaint:
    return triage.correct_triage(
        session,
        complaint_id=complaint.id,
        category=category,
        priority=None,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )


def assigned(
    kesu: Kesu, session: Session, personas: Personas, complaint: Complaint, department_id: int
) -> Complaint:
    complaint = complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.TRIAGE,
        expected_version=complaint.version,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    return complaints.assign_complaint(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        department_id=department_id,
        assignee_id=None,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )


def resolved(kesu: Kesu, session: Session, personas: Personas, complaint: Complaint) -> Complaint:
    """From assigned to resolved: investigation, an exchange within authority, resolution."""
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
