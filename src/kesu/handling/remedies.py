"""Remedy proposals and their approval (主管批示) by authority limit.

A handler proposes one or more remedies while investigating and submits them. Within the
proposer's limit they are carried out at once; above it they wait for someone whose limit covers
the largest amount. A rejection returns the complaint to investigation with the comment.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.accounts import permissions
from kesu.accounts.models import Role
from kesu.complaints import service as complaints
from kesu.complaints.lifecycle import Action, Status
from kesu.complaints.models import Complaint
from kesu.core.actors import Actor, ActorKind
from kesu.core.clock import Clock
from kesu.core.errors import Bilingual, ConcurrentUpdate, InvalidInput, PermissionDenied
from kesu.core.text_limits import clean_text
from kesu.db.engine import transaction
from kesu.handling.errors import NothingToSubmit
from kesu.handling.models import RemedyProposal
from kesu.handling.schemas import RemedyCreate, RemedyKind

# Largest single money remedy each role may grant on its own, in fen; None = no limit.
AUTHORITY_LIMITS_FEN: Mapping[str, int | None] = {
    Role.AGENT: 200_00,
    Role.HANDLER: 500_00,
    Role.SUPERVISOR: 5_000_00,
    Role.ADMIN: None,
}
MONEY_KINDS = frozenset(
    {RemedyKind.RETURN, RemedyKind.DISCOUNT, RemedyKind.COMPENSATION, RemedyKind.VOUCHER}
)


def limit_for(actor: Actor) -> int | None:
    if actor.kind is ActorKind.SYSTEM:
        return None
    return AUTHORITY_LIMITS_FEN.get(actor.role, 0)


def _within(limit: int | None, amount_fen: int | None) -> bool:
    return limit is None or (amount_fen or 0) <= limit


def _pending(session: Session, complaint_id: int, status: str) -> list[RemedyProposal]:
    return list(
        session.scalars(
            select(RemedyProposal)
            .where(RemedyProposal.complaint_id == complaint_id, RemedyProposal.status == status)
            .order_by(RemedyProposal.id)
            .with_for_update()
        )
    )


def propose_remedy(
    session: Session, *, complaint_id: int, draft: RemedyCreate, actor: Actor, clock: Clock
) -> RemedyProposal:
    """Add a remedy to the complaint under investigation (the first one moves it to 已提出处理方案)."""
    with transaction(session):
        permissions.require(actor.role, permissions.Permission.HANDLE_COMPLAINTS)
        if draft.kind in MONEY_KINDS and draft.amount is None:
            raise InvalidInput(
                reason=Bilingual("金钱类方案需填写金额", "a money remedy needs an amount")
            )
        complaint = session.get(Complaint, complaint_id)
        if complaint is None or complaint.status != Status.REMEDY_PROPOSED:
            # The first remedy moves an investigated complaint on; the lifecycle refuses any other status.
            complaint = complaints.transition_complaint(
                session,
                complaint_id=complaint_id,
                action=Action.PROPOSE_REMEDY,
                expected_version=draft.version,
                actor=actor,
                clock=clock,
                via_command=True,
            )
        elif complaint.version != draft.version:
            raise ConcurrentUpdate()
        amount_fen = (
            int((draft.amount * 100).to_integral_value()) if draft.amount is not None else None
        )
        proposal = RemedyProposal(
            complaint_id=complaint.id,
            kind=draft.kind,
            amount_fen=amount_fen,
            currency="CNY",
            description=clean_text(
                draft.description, field=Bilingual("方案说明", "description"), max_length=5000
            ),
            status="proposed",
            proposed_by=actor.ref,
            proposed_by_name=actor.name,
            proposed_by_role=actor.role,
            proposed_at=clock.now(),
        )
        session.add(proposal)
        session.flush()
        return proposal


def submit_remedies(
    session: Session, *, complaint_id: int, expected_version: int, actor: Actor, clock: Clock
) -> Complaint:
    """Carry out what is within the proposers' authority; send the rest for approval."""
    with transaction(session):
        proposals = _pending(session, complaint_id, "proposed")
        if not proposals:
            raise NothingToSubmit()
        within = all(
            _within(AUTHORITY_LIMITS_FEN.get(p.proposed_by_role, 0), p.amount_fen)
            for p in proposals
        )
        action = Action.CARRY_OUT if within else Action.REQUEST_APPROVAL
        note = (
            None
            if within
            else "超出权限，提交主管批示："
            + "；".join(
                f"{p.description}（¥{Decimal(p.amount_fen or 0) / 100:.2f}）" for p in proposals
            )
        )
        complaint = complaints.transition_complaint(
            session,
            complaint_id=complaint_id,
            action=action,
            expected_version=expected_version,
            actor=actor,
            clock=clock,
            note=note,
            via_command=True,
        )
        for proposal in proposals:
            proposal.status = "approved" if within else "awaiting_approval"
            if within:
                proposal.decided_by, proposal.decided_by_name, proposal.decided_at = (
                    actor.ref,
                    actor.name,
                    clock.now(),
                )
                proposal.decision_comment = "权限内，直接落实"
        return complaint


def decide_remedies(
    session: Session,
    *,
    complaint_id: int,
    expected_version: int,
    approve: bool,
    comment: str | None,
    actor: Actor,
    clock: Clock,
) -> Complaint:
    """The supervisor's decision (主管批示): approve within their own limit, or return with a comment."""
    with transaction(session):
        proposals = _pending(session, complaint_id, "awaiting_approval")
        if not proposals:
            raise NothingToSubmit()
        largest = max((p.amount_fen or 0) for p in proposals)
        if approve and not _within(limit_for(actor), largest):
            raise PermissionDenied()
        comment = (
            clean_text(
                comment or "",
                field=Bilingual("批示意见", "comment"),
                max_length=5000,
                required=False,
            )
            or None
        )
        complaint = complaints.transition_complaint(
            session,
            complaint_id=complaint_id,
            action=Action.APPROVE_REMEDY if approve else Action.RETURN_REMEDY,
            expected_version=expected_version,
            actor=actor,
            clock=clock,
            note=comment,
            via_command=True,
        )
        now = clock.now()
        for proposal in proposals:
            proposal.status = "approved" if approve else "rejected"
            proposal.decided_by, proposal.decided_by_name, proposal.decided_at = (
                actor.ref,
                actor.name,
                now,
            )
            proposal.decision_comment = comment
        return complaint
