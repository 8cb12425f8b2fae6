"""Closing the loop: the follow-up visit after resolution, and archiving only a complete record."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from kesu.accounts import permissions
from kesu.complaints import service as complaints
from kesu.complaints.errors import ComplaintNotFound
from kesu.complaints.events import EventKind, record_event
from kesu.complaints.lifecycle import Action, Status
from kesu.complaints.models import Complaint
from kesu.complaints.notify import notify_customer
from kesu.core.actors import SYSTEM, Actor
from kesu.core.clock import Clock
from kesu.core.errors import Bilingual
from kesu.core.i18n import Language, label
from kesu.core.text_limits import clean_text
from kesu.db.engine import transaction
from kesu.followup.errors import ArchiveIncomplete, NoVisitPending
from kesu.followup.models import FollowUpVisit, ImprovementAction, SummaryEvaluation
from kesu.followup.schemas import ArchiveCheck, VisitAnswer
from kesu.handling.models import ContactRecord, RemedyProposal

SCHEDULE_JOB = complaints.FOLLOW_UP_JOB
VISIT_DELAY = timedelta(days=2)
"""The visit is due two days after resolution: long enough to see whether the fix holds."""
UNSATISFIED_CSAT = 2
"""CSAT at or below this reopens the complaint."""
MISSING_LABELS = {
    "communication": ("与客户的沟通记录", "a communication with the customer"),
    "result": (
        "处理结果（已批准的方案或解决记录）",
        "a result (an approved remedy or the resolution)",
    ),
    "follow_up": ("已完成的回访", "a completed follow-up visit"),
}


def visit_token(secret: str, visit_id: int) -> str:
    """A link only the customer was sent: the visit id and its HMAC."""
    mac = hmac.new(secret.encode(), f"follow-up:{visit_id}".encode(), hashlib.sha256).hexdigest()[
        :32
    ]
    return f"{visit_id}.{mac}"


def visit_from_token(session: Session, secret: str, token: str) -> FollowUpVisit:
    visit_id, _, _mac = token.partition(".")
    if not visit_id.isdigit() or not hmac.compare_digest(visit_token(secret, int(visit_id)), token):
        raise NoVisitPending()
    visit = session.get(FollowUpVisit, int(visit_id))
    if visit is None or visit.done_at is not None:
        raise NoVisitPending()
    return visit


def schedule_visit(
    session: Session, *, complaint_id: int, now: datetime, secret: str, public_url: str
) -> FollowUpVisit | None:
    """Create the visit task of a resolved complaint and send the customer the survey link, once."""
    with transaction(session):
        complaint = session.get(Complaint, complaint_id)
        if complaint is None or complaint.status != Status.RESOLVED:
            return None
        already = session.scalar(
            select(FollowUpVisit).where(
                FollowUpVisit.complaint_id == complaint_id, FollowUpVisit.done_at.is_(None)
            )
        )
        if already is not None:
            return already
        visit = FollowUpVisit(complaint_id=complaint_id, scheduled_at=now + VISIT_DELAY)
        session.add(visit)
        session.flush()
        link = f"{public_url.rstrip('/')}/followup/{visit_token(secret, visit.id)}"
        body = (
            f"{complaint.complainant_name}您好：您的投诉（受理编号 {complaint.tracking_number}）已处理完毕。"
            f"请花一分钟告诉我们您是否满意：{link}"
        )
        notify_customer(
            session,
            complaint,
            kind="followup.survey",
            subject=f"回访（{complaint.tracking_number}）",
            body=body,
            now=now,
        )
        return visit


def record_visit(
    session: Session,
    *,
    complaint_id: int,
    answer: VisitAnswer,
    actor: Actor,
    clock: Clock,
    by_customer: bool = False,
) -> Complaint:
    """Record the visit's answers; an unsatisfied customer reopens the complaint, with the reason."""
    with transaction(session):
        if not by_customer:
            permissions.require(actor.role, permissions.Permission.HANDLE_COMPLAINTS)
        complaint = session.get(Complaint, complaint_id)
        if complaint is None:
            raise ComplaintNotFound()
        now = clock.now()
        comment = (
            clean_text(
                answer.comment or "",
                field=Bilingual("意见", "comment"),
                max_length=2000,
                required=False,
            )
            or None
        )
        # The system moves the case on the customer's answer; the answer itself is theirs.
        mover = SYSTEM if by_customer else actor
        if complaint.status == Status.RESOLVED:
            complaint = complaints.transition_complaint(
                session,
                complaint_id=complaint.id,
                action=Action.START_FOLLOW_UP,
                expected_version=complaint.version,
                actor=mover,
                clock=clock,
            )
        visit = session.scalar(
            select(FollowUpVisit).where(
                FollowUpVisit.complaint_id == complaint.id, FollowUpVisit.done_at.is_(None)
            )
        ) or FollowUpVisit(complaint_id=complaint.id, scheduled_at=now)
        session.add(visit)
        visit.done_at, visit.csat, visit.nps, visit.comment = now, answer.csat, answer.nps, comment
        visit.channel, visit.recorded_by = ("portal" if by_customer else answer.channel), actor.ref
        session.flush()
        record_event(
            session,
            complaint,
            kind=EventKind.FOLLOW_UP_RECORDED,
            actor=actor,
            at=now,
            is_public=True,
            note=comment,
            data={"csat": answer.csat, "nps": answer.nps, "channel": visit.channel},
        )
        if answer.csat <= UNSATISFIED_CSAT:
            complaint = complaints.transition_complaint(
                session,
                complaint_id=complaint.id,
                action=Action.REOPEN,
                expected_version=complaint.version,
                actor=mover,
                clock=clock,
                note=f"回访不满意（{answer.csat} 分）" + (f"：{comment}" if comment else ""),
            )
        return complaint


def archive_check(
    session: Session, complaint: Complaint, language: Language = Language.ZH
) -> ArchiveCheck:
    """What the record still lacks before it may be archived (SPEC §5)."""
    # One statement for the three questions: the complaint page asks them on every view.
    has_contact, has_result, has_visit = session.execute(
        select(
            exists().where(ContactRecord.complaint_id == complaint.id),
            exists().where(
                RemedyProposal.complaint_id == complaint.id, RemedyProposal.status == "approved"
            ),
            exists().where(
                FollowUpVisit.complaint_id == complaint.id, FollowUpVisit.done_at.is_not(None)
            ),
        )
    ).one()
    missing = []
    if not has_contact:
        missing.append("communication")
    if not has_result and complaint.status not in {
        Status.CLOSED,
        Status.RESOLVED,
        Status.FOLLOW_UP,
    }:
        missing.append("result")
    if not has_visit:
        missing.append("follow_up")
    return ArchiveCheck(
        complete=not missing,
        missing=missing,
        missing_labels=[label(MISSING_LABELS, m, language) for m in missing],
    )


def archive_complaint(
    session: Session, *, complaint_id: int, expected_version: int, actor: Actor, clock: Clock
) -> Complaint:
    """Archive a closed complaint whose record is complete; else say what is missing."""
    with transaction(session):
        complaint = session.get(Complaint, complaint_id)
        if complaint is None:
            raise ComplaintNotFound()
        check = archive_check(session, complaint)
        if not check.complete:
            raise ArchiveIncomplete(
                missing=Bilingual(
                    "、".join(label(MISSING_LABELS, m, Language.ZH) for m in check.missing),
                    ", ".join(label(MISSING_LABELS, m, Language.EN) for m in check.missing),
                )
            )
        return complaints.transition_complaint(
            session,
            complaint_id=complaint_id,
            action=Action.ARCHIVE,
            expected_version=expected_version,
            actor=actor,
            clock=clock,
            via_command=True,
        )


def has_evaluation(session: Session, complaint_id: int) -> bool:
    return bool(
        session.scalar(select(exists().where(SummaryEvaluation.complaint_id == complaint_id)))
    )


def evaluation_begun(session: Session, complaint_id: int) -> bool:
    """Whether the complaint has an improvement action or a summary evaluation (one statement)."""
    return bool(
        session.scalar(
            select(
                or_(
                    exists().where(ImprovementAction.complaint_id == complaint_id),
                    exists().where(SummaryEvaluation.complaint_id == complaint_id),
                )
            )
        )
    )
