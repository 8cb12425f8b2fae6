"""Summary evaluation (总结评价) at closing, and improvement actions tracked to done."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.accounts import permissions
from kesu.accounts.models import Department
from kesu.complaints.errors import ComplaintNotFound, InvalidTransition
from kesu.complaints.events import EventKind, record_event
from kesu.complaints.lifecycle import Status
from kesu.complaints.models import Complaint
from kesu.core.actors import SYSTEM, Actor
from kesu.core.clock import Clock
from kesu.core.errors import Bilingual, Conflict, InvalidInput, NotFound
from kesu.core.text_limits import clean_text
from kesu.db import outbox
from kesu.db.engine import transaction
from kesu.followup.models import ImprovementAction, SummaryEvaluation
from kesu.followup.schemas import EvaluationCreate
from kesu.notifications import service as notifications
from kesu.notifications.models import Channel

ACTION_DUE_JOB = "followup.action_due"
REMIND_EVERY = timedelta(days=7)
"""An overdue improvement action is reminded weekly until it is done."""
EVALUABLE = frozenset({Status.FOLLOW_UP, Status.CLOSED, Status.ARCHIVED})


def _arm(session: Session, action: ImprovementAction, run_at: datetime, now: datetime) -> None:
    outbox.enqueue(
        session,
        ACTION_DUE_JOB,
        {"action_id": action.id, "reminders": action.reminders},
        now=now,
        run_at=run_at,
        dedupe_key=f"{ACTION_DUE_JOB}:{action.id}:{action.reminders}",
    )


def evaluate_complaint(
    session: Session, *, complaint_id: int, draft: EvaluationCreate, actor: Actor, clock: Clock
) -> SummaryEvaluation:
    """Record lessons learned and the root-cause class; each action gets its department and due date."""
    with transaction(session):
        permissions.require(actor.role, permissions.Permission.HANDLE_COMPLAINTS)
        complaint = session.get(Complaint, complaint_id)
        if complaint is None:
            raise ComplaintNotFound()
        if Status(complaint.status) not in EVALUABLE:
            raise InvalidTransition(status=complaint.status, action="evaluate")
        if (
            session.scalar(
                select(SummaryEvaluation.id).where(SummaryEvaluation.complaint_id == complaint_id)
            )
            is not None
        ):
            raise Conflict()
        now = clock.now()
        for item in draft.actions:
            if session.get(Department, item.department_id) is None:
                raise InvalidInput(
                    reason=Bilingual("改进措施的部门不存在", "no such department for an action")
                )
            if item.due_at.tzinfo is None or item.due_at <= now:
                raise InvalidInput(
                    reason=Bilingual(
                        "改进措施的完成期限应晚于现在", "an action's due date must lie ahead"
                    )
                )
        evaluation = SummaryEvaluation(
            complaint_id=complaint_id,
            lessons=clean_text(
                draft.lessons, field=Bilingual("经验教训", "lessons"), max_length=10_000
            ),
            root_cause_class=draft.root_cause_class,
            evaluated_by=actor.ref,
            evaluated_at=now,
        )
        session.add(evaluation)
        for item in draft.actions:
            action = ImprovementAction(
                complaint_id=complaint_id,
                department_id=item.department_id,
                description=clean_text(
                    item.description, field=Bilingual("改进措施", "action"), max_length=2000
                ),
                due_at=item.due_at,
                created_at=now,
                reminders=0,
            )
            session.add(action)
            session.flush()
            _arm(session, action, action.due_at, now)
        session.flush()
        record_event(
            session,
            complaint,
            kind=EventKind.EVALUATED,
            actor=actor,
            at=now,
            is_public=False,
            note=evaluation.lessons,
            data={"root_cause_class": draft.root_cause_class, "actions": len(draft.actions)},
        )
        return evaluation


def complete_action(
    session: Session, *, action_id: int, note: str, actor: Actor, clock: Clock
) -> ImprovementAction:
    with transaction(session):
        permissions.require(actor.role, permissions.Permission.HANDLE_COMPLAINTS)
        action = session.scalar(
            select(ImprovementAction).where(ImprovementAction.id == action_id).with_for_update()
        )
        if action is None:
            raise NotFound()
        if action.done_at is not None:
            raise Conflict()
        action.done_at = clock.now()
        action.done_note = clean_text(note, field=Bilingual("完成说明", "note"), max_length=2000)
        return action


def remind_overdue(session: Session, *, action_id: int, reminders: int, now: datetime) -> bool:
    """Remind the department of an overdue action, then again a week later, until it is done."""
    with transaction(session):
        action = session.scalar(
            select(ImprovementAction).where(ImprovementAction.id == action_id).with_for_update()
        )
        if (
            action is None
            or action.done_at is not None
            or action.reminders != reminders
            or now < action.due_at
        ):
            return False
        action.reminders += 1
        complaint = session.get(Complaint, action.complaint_id)
        if complaint is None:
            return False
        notifications.queue_notification(
            session,
            subject_type="complaint",
            subject_id=complaint.id,
            kind="improvement.overdue",
            channel=Channel.INTERNAL,
            recipient=f"department:{action.department_id}",
            subject=f"改进措施逾期：{complaint.tracking_number}",
            body=f"改进措施“{action.description}”已于 {action.due_at:%Y-%m-%d} 到期，尚未完成（第 {action.reminders} 次提醒）。",
            now=now,
        )
        record_event(
            session,
            complaint,
            kind=EventKind.IMPROVEMENT_OVERDUE,
            actor=SYSTEM,
            at=now,
            is_public=False,
            note=action.description,
            data={"action_id": action.id, "reminders": action.reminders},
        )
        session.flush()
        _arm(session, action, now + REMIND_EVERY, now)
        return True
