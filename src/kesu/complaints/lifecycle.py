"""The complaint lifecycle as a declared table: which action moves which status where.

Pure: no database. ``plan(status, action)`` is the only way a status changes; an action not in
the table for the current status raises ``InvalidTransition`` before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from kesu.complaints.errors import InvalidTransition, ResumeStatusMissing


class Status(StrEnum):
    RECEIVED = "received"
    TRIAGED = "triaged"
    REJECTED = "rejected"
    APPEALED = "appealed"
    ASSIGNED = "assigned"
    INVESTIGATING = "investigating"
    REMEDY_PROPOSED = "remedy_proposed"
    AWAITING_APPROVAL = "awaiting_approval"
    CARRYING_OUT = "carrying_out"
    WAITING_CUSTOMER = "waiting_customer"
    RESOLVED = "resolved"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"
    ARCHIVED = "archived"
    REOPENED = "reopened"
    WITHDRAWN = "withdrawn"


class StatusCategory(StrEnum):
    """What SLA clocks and queues key on, never a status name."""

    OPEN = "open"
    WAITING = "waiting"
    """The clock is paused: the next move is the customer's."""
    DONE = "done"


class Action(StrEnum):
    TRIAGE = "triage"
    REJECT = "reject"
    APPEAL = "appeal"
    ASSIGN = "assign"
    START_INVESTIGATION = "start_investigation"
    PROPOSE_REMEDY = "propose_remedy"
    REQUEST_APPROVAL = "request_approval"
    APPROVE_REMEDY = "approve_remedy"
    RETURN_REMEDY = "return_remedy"
    CARRY_OUT = "carry_out"
    WAIT_FOR_CUSTOMER = "wait_for_customer"
    CUSTOMER_REPLIED = "customer_replied"
    RESOLVE = "resolve"
    START_FOLLOW_UP = "start_follow_up"
    CLOSE = "close"
    ARCHIVE = "archive"
    REOPEN = "reopen"
    WITHDRAW = "withdraw"


S = Status

# The statuses in which the case is still being worked on and the customer may withdraw it.
_WITHDRAWABLE = frozenset(
    {
        S.RECEIVED,
        S.TRIAGED,
        S.APPEALED,
        S.ASSIGNED,
        S.INVESTIGATING,
        S.REMEDY_PROPOSED,
        S.AWAITING_APPROVAL,
        S.CARRYING_OUT,
        S.WAITING_CUSTOMER,
        S.REOPENED,
    }
)
# Waiting for the customer is possible wherever staff need a fact or a decision from them.
_CAN_WAIT = frozenset({S.TRIAGED, S.ASSIGNED, S.INVESTIGATING, S.REMEDY_PROPOSED, S.CARRYING_OUT})


@dataclass(frozen=True)
class Rule:
    sources: frozenset[Status]
    target: Status | None
    """``None``: back to the status the case was in before it started waiting."""
    needs_reason: bool = False


RULES: Mapping[Action, Rule] = {
    Action.TRIAGE: Rule(frozenset({S.RECEIVED, S.APPEALED}), S.TRIAGED),
    Action.REJECT: Rule(
        frozenset({S.RECEIVED, S.TRIAGED, S.APPEALED}), S.REJECTED, needs_reason=True
    ),
    Action.APPEAL: Rule(frozenset({S.REJECTED}), S.APPEALED, needs_reason=True),
    Action.ASSIGN: Rule(frozenset({S.TRIAGED, S.REOPENED}), S.ASSIGNED),
    Action.START_INVESTIGATION: Rule(frozenset({S.ASSIGNED}), S.INVESTIGATING),
    Action.PROPOSE_REMEDY: Rule(frozenset({S.INVESTIGATING}), S.REMEDY_PROPOSED),
    Action.REQUEST_APPROVAL: Rule(frozenset({S.REMEDY_PROPOSED}), S.AWAITING_APPROVAL),
    Action.APPROVE_REMEDY: Rule(frozenset({S.AWAITING_APPROVAL}), S.CARRYING_OUT),
    Action.RETURN_REMEDY: Rule(
        frozenset({S.AWAITING_APPROVAL}), S.INVESTIGATING, needs_reason=True
    ),
    Action.CARRY_OUT: Rule(frozenset({S.REMEDY_PROPOSED}), S.CARRYING_OUT),
    Action.WAIT_FOR_CUSTOMER: Rule(_CAN_WAIT, S.WAITING_CUSTOMER, needs_reason=True),
    Action.CUSTOMER_REPLIED: Rule(frozenset({S.WAITING_CUSTOMER}), None),
    Action.RESOLVE: Rule(frozenset({S.CARRYING_OUT}), S.RESOLVED),
    Action.START_FOLLOW_UP: Rule(frozenset({S.RESOLVED}), S.FOLLOW_UP),
    Action.CLOSE: Rule(frozenset({S.FOLLOW_UP}), S.CLOSED),
    Action.ARCHIVE: Rule(frozenset({S.CLOSED}), S.ARCHIVED),
    Action.REOPEN: Rule(
        frozenset({S.RESOLVED, S.FOLLOW_UP, S.CLOSED}), S.REOPENED, needs_reason=True
    ),
    Action.WITHDRAW: Rule(_WITHDRAWABLE, S.WITHDRAWN),
}

CATEGORY: Mapping[Status, StatusCategory] = {
    status: (
        StatusCategory.WAITING
        if status is S.WAITING_CUSTOMER
        else StatusCategory.DONE
        if status in {S.REJECTED, S.CLOSED, S.ARCHIVED, S.WITHDRAWN}
        else StatusCategory.OPEN
    )
    for status in Status
}

TRANSITIONS: Mapping[Status, frozenset[Status]] = {
    source: frozenset(
        target
        for rule in RULES.values()
        if source in rule.sources
        for target in ((rule.target,) if rule.target is not None else _CAN_WAIT)
    )
    for source in Status
}
"""Derived view: every status reachable from each status (for documentation and tests)."""


COMMAND_ACTIONS = frozenset(
    {
        Action.PROPOSE_REMEDY,
        Action.REQUEST_APPROVAL,
        Action.APPROVE_REMEDY,
        Action.RETURN_REMEDY,
        Action.CARRY_OUT,
        Action.ARCHIVE,
    }
)
"""Taken only through the commands that check what the step needs: the remedy commands of
``kesu.handling`` (proposals, authority limits, 主管批示) and the archive command of
``kesu.followup`` (a complete record); a bare status change would skip the checks."""


def allowed_actions(status: Status) -> list[Action]:
    """The actions a person may take now, in table order (pages show only these buttons)."""
    return [action for action, rule in RULES.items() if status in rule.sources]


def plan(status: Status, action: Action, *, resume_status: Status | None = None) -> Status:
    """The status ``action`` leads to from ``status``; raises if the table does not allow it."""
    rule = RULES[action]
    if status not in rule.sources:
        raise InvalidTransition(status=status.value, action=action.value)
    if rule.target is not None:
        return rule.target
    if resume_status is None or resume_status not in _CAN_WAIT:
        raise ResumeStatusMissing()
    return resume_status


def needs_reason(action: Action) -> bool:
    return RULES[action].needs_reason


STATUS_LABELS = {
    S.RECEIVED: ("已受理", "Received"),
    S.TRIAGED: ("已评估", "Triaged"),
    S.REJECTED: ("不予受理", "Rejected as invalid"),
    S.APPEALED: ("申诉中", "Appealed"),
    S.ASSIGNED: ("已派单", "Assigned"),
    S.INVESTIGATING: ("调查中", "Investigating"),
    S.REMEDY_PROPOSED: ("已提出处理方案", "Remedy proposed"),
    S.AWAITING_APPROVAL: ("待主管批示", "Awaiting approval"),
    S.CARRYING_OUT: ("处理落实中", "Carrying out"),
    S.WAITING_CUSTOMER: ("等待客户回复", "Waiting for customer"),
    S.RESOLVED: ("已解决", "Resolved"),
    S.FOLLOW_UP: ("回访中", "Follow-up"),
    S.CLOSED: ("已结案", "Closed"),
    S.ARCHIVED: ("已归档", "Archived"),
    S.REOPENED: ("已重新处理", "Reopened"),
    S.WITHDRAWN: ("已撤诉", "Withdrawn"),
}

ACTION_LABELS = {
    Action.TRIAGE: ("完成评估", "Mark triaged"),
    Action.REJECT: ("不予受理", "Reject as invalid"),
    Action.APPEAL: ("申诉", "Appeal"),
    Action.ASSIGN: ("派单", "Assign"),
    Action.START_INVESTIGATION: ("开始调查", "Start investigation"),
    Action.PROPOSE_REMEDY: ("提出处理方案", "Propose remedy"),
    Action.REQUEST_APPROVAL: ("提交主管批示", "Request approval"),
    Action.APPROVE_REMEDY: ("批准方案", "Approve remedy"),
    Action.RETURN_REMEDY: ("退回方案", "Return remedy"),
    Action.CARRY_OUT: ("落实方案", "Carry out"),
    Action.WAIT_FOR_CUSTOMER: ("等待客户", "Wait for customer"),
    Action.CUSTOMER_REPLIED: ("客户已回复", "Customer replied"),
    Action.RESOLVE: ("标记已解决", "Resolve"),
    Action.START_FOLLOW_UP: ("开始回访", "Start follow-up"),
    Action.CLOSE: ("结案", "Close"),
    Action.ARCHIVE: ("归档", "Archive"),
    Action.REOPEN: ("重新处理", "Reopen"),
    Action.WITHDRAW: ("撤诉", "Withdraw"),
}
