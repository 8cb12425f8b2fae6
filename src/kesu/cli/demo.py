"""Demo data: departments, staff personas and the sample complaints in every lifecycle stage.

The complaints were written for kesu (``demo_complaints.json``); each is filed through the real
intake workflow on a clock set to its filing day and advanced through the real lifecycle, so
the demo exercises exactly the code a live installation runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kesu.accounts import service as accounts
from kesu.accounts.models import Department, Role, User
from kesu.bootstrap import Kesu
from kesu.complaints import service as complaints
from kesu.complaints.lifecycle import Action
from kesu.complaints.models import Complaint
from kesu.complaints.queries import customer_actor
from kesu.complaints.schemas import ComplaintDraft
from kesu.core.actors import Actor, ActorKind
from kesu.core.clock import FixedClock
from kesu.followup import service as followup
from kesu.followup.schemas import VisitAnswer
from kesu.handling import remedies
from kesu.handling import service as handling
from kesu.handling.models import CauseCode
from kesu.handling.schemas import (
    CauseCreate,
    ContactChannel,
    ContactCreate,
    RemedyCreate,
    RemedyKind,
)
from kesu.intake import service as intake
from kesu.routing import service as routing
from kesu.routing.models import RoutingRule
from kesu.routing.schemas import RuleDraft, Strategy

DEMO_FILE = Path(__file__).with_name("demo_complaints.json")
DEMO_PASSWORD = "kesu-demo"  # noqa: S105 - documented demo credential, never used in production

DEPARTMENTS = (
    ("CS", "客户服务中心"),
    ("QA", "质量管理部"),
    ("LOG", "储运部"),
    ("FIN", "财务部"),
    ("MKT", "市场部"),
    ("SEC", "信息安全部"),
)
# username, display name, role, department code
STAFF = (
    ("zhangmin", "张敏", Role.AGENT, "CS"),
    ("zhaolei", "赵磊", Role.HANDLER, "QA"),
    ("sunli", "孙丽", Role.HANDLER, "LOG"),
    ("liqiang", "李强", Role.SUPERVISOR, "CS"),
    ("chenjing", "陈静", Role.ANALYST, "QA"),
    ("admin", "系统管理员", Role.ADMIN, None),
)
# (rule name, category, department, strategy); a catch-all sends the rest to the service centre.
ROUTING_RULES = (
    ("物流运输 → 储运部", "logistics", "LOG", Strategy.LEAST_LOADED),
    ("产品质量 → 质量管理部", "product_quality", "QA", Strategy.LEAST_LOADED),
    ("安全问题 → 质量管理部", "safety", "QA", Strategy.ROUND_ROBIN),
    ("价格收费退款 → 财务部", "billing_refund", "FIN", Strategy.DEPARTMENT),
    ("虚假宣传 → 市场部", "misinformation", "MKT", Strategy.DEPARTMENT),
    ("隐私 → 信息安全部", "privacy", "SEC", Strategy.DEPARTMENT),
    ("其他 → 客户服务中心", None, "CS", Strategy.LEAST_LOADED),
)
CAUSES = (
    ("DESIGN_DEFECT", "产品设计缺陷"),
    ("PRODUCTION_DEFECT", "生产质量问题"),
    ("TRANSPORT_DAMAGE", "运输途中损坏"),
    ("DELIVERY_DELAY", "配送延误"),
    ("PROCESS_GAP", "服务流程缺失"),
    ("STAFF_CONDUCT", "员工服务态度"),
    ("MISLEADING_PROMOTION", "宣传与实际不符"),
    ("SYSTEM_FAULT", "系统故障"),
    ("CUSTOMER_MISUNDERSTANDING", "客户误解"),
)
_ASSIGNED = [Action.TRIAGE, Action.ASSIGN]
_INVESTIGATING = [*_ASSIGNED, Action.START_INVESTIGATION]
_PROPOSED = [*_INVESTIGATING, Action.PROPOSE_REMEDY]
_CARRYING_OUT = [*_PROPOSED, Action.REQUEST_APPROVAL, Action.APPROVE_REMEDY]
_CLOSED = [*_CARRYING_OUT, Action.RESOLVE, Action.START_FOLLOW_UP, Action.CLOSE]
STAGE_PATHS: dict[str, list[Action]] = {
    "received": [],
    "triaged": [Action.TRIAGE],
    "rejected": [Action.REJECT],
    "appealed": [Action.REJECT, Action.APPEAL],
    "assigned": _ASSIGNED,
    "investigating": _INVESTIGATING,
    "remedy_proposed": _PROPOSED,
    "awaiting_approval": [*_PROPOSED, Action.REQUEST_APPROVAL],
    "carrying_out": _CARRYING_OUT,
    "resolved": [*_CARRYING_OUT, Action.RESOLVE],
    "follow_up": [*_CARRYING_OUT, Action.RESOLVE, Action.START_FOLLOW_UP],
    "closed": _CLOSED,
    "archived": [*_CLOSED, Action.ARCHIVE],
    "reopened": [*_CLOSED, Action.REOPEN],
    "withdrawn": [Action.TRIAGE, Action.WITHDRAW],
    "waiting_customer": [*_INVESTIGATING, Action.WAIT_FOR_CUSTOMER],
}
_SUPERVISOR_ACTIONS = {Action.ARCHIVE}
_CUSTOMER_ACTIONS = {Action.WITHDRAW, Action.APPEAL}


@dataclass(frozen=True)
class Staff:
    agent: Actor
    supervisor: Actor


# Demo remedies go through the real commands: a ¥300 compensation is above an agent's ¥200
# authority, so every demo case on the remedy path waits for, and gets, the supervisor's approval.
DEMO_COMPENSATION = Decimal("300")


def _propose(session: Session, staff: Staff, complaint: Complaint, clock: FixedClock) -> Complaint:
    remedies.propose_remedy(
        session,
        complaint_id=complaint.id,
        draft=RemedyCreate(
            version=complaint.version,
            kind=RemedyKind.COMPENSATION,
            amount=DEMO_COMPENSATION,
            description="按客户诉求处理，并补偿 300 元",
        ),
        actor=staff.agent,
        clock=clock,
    )
    return complaint  # the same instance the command updated (one session, one identity map)


def _submit(session: Session, staff: Staff, complaint: Complaint, clock: FixedClock) -> Complaint:
    return remedies.submit_remedies(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        actor=staff.agent,
        clock=clock,
    )


def _approve(session: Session, staff: Staff, complaint: Complaint, clock: FixedClock) -> Complaint:
    return remedies.decide_remedies(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        approve=True,
        comment="同意，尽快落实",
        actor=staff.supervisor,
        clock=clock,
    )


def _follow_up(
    session: Session, staff: Staff, complaint: Complaint, clock: FixedClock
) -> Complaint:
    handling.record_contact(
        session,
        complaint_id=complaint.id,
        contact=ContactCreate(
            channel=ContactChannel.CALL, summary="回访电话：客户确认问题已解决。"
        ),
        actor=staff.agent,
        clock=clock,
    )
    return followup.record_visit(
        session,
        complaint_id=complaint.id,
        answer=VisitAnswer(csat=5, nps=9, comment="处理及时，满意。"),
        actor=staff.agent,
        clock=clock,
    )


def _archive(session: Session, staff: Staff, complaint: Complaint, clock: FixedClock) -> Complaint:
    return followup.archive_complaint(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        actor=staff.supervisor,
        clock=clock,
    )


_REMEDY_STEPS = {
    Action.PROPOSE_REMEDY: _propose,
    Action.REQUEST_APPROVAL: _submit,
    Action.APPROVE_REMEDY: _approve,
    Action.START_FOLLOW_UP: _follow_up,
    Action.ARCHIVE: _archive,
}


def _actor(user: User) -> Actor:
    return Actor(kind=ActorKind.USER, id=user.id, role=user.role, name=user.display_name)


def ensure_staff(session: Session, kesu: Kesu) -> Staff:
    """Create the demo departments and staff unless they exist (safe to run twice)."""
    departments = {d.code: d.id for d in session.scalars(select(Department))}
    for code, name in DEPARTMENTS:
        if code not in departments:
            departments[code] = accounts.create_department(
                session, code=code, name=name, clock=kesu.clock
            ).id
    users = {u.username: u for u in session.scalars(select(User))}
    for username, display_name, role, department in STAFF:
        if username not in users:
            users[username] = accounts.create_user(
                session,
                username=username,
                display_name=display_name,
                role=role,
                password=DEMO_PASSWORD,
                clock=kesu.clock,
                department_id=departments[department] if department else None,
            )
    if not session.scalar(select(func.count()).select_from(CauseCode)):
        for code, name in CAUSES:
            handling.add_cause(
                session,
                CauseCreate(code=code, name=name),
                actor=_actor(users["admin"]),
                clock=kesu.clock,
            )
    if not session.scalar(select(func.count()).select_from(RoutingRule)):
        admin = _actor(users["admin"])
        for position, (name, category, department, strategy) in enumerate(ROUTING_RULES, start=1):
            routing.create_rule(
                session,
                RuleDraft(
                    name=name,
                    position=position * 10,
                    category=category,
                    department_code=department,
                    strategy=strategy,
                ),
                actor=admin,
                clock=kesu.clock,
            )
    return Staff(
        agent=_actor(users["zhangmin"]),
        supervisor=_actor(users["liqiang"]),
    )


def _draft(item: dict[str, Any]) -> ComplaintDraft:
    return ComplaintDraft(
        complainant_name=item["name"],
        phone=item["phone"],
        email=item["email"],
        channel=item["channel"],
        region=item["region"],
        target_type=item["target_type"],
        target=item["target"],
        product_line=item["product_line"],
        description=item["description"],
        demands=item["demands"],
    )


def _advance(
    session: Session, staff: Staff, complaint: Complaint, item: dict[str, Any], clock: FixedClock
) -> None:
    for step, action in enumerate(STAGE_PATHS[item["stage"]]):
        clock.advance(timedelta(hours=3 + step))
        last = step == len(STAGE_PATHS[item["stage"]]) - 1
        note = (
            item["note"]
            if last or action in {Action.REJECT, Action.WAIT_FOR_CUSTOMER, Action.REOPEN}
            else None
        )
        if action is Action.REJECT and not last:
            note = "经初步核实，材料不足，暂不予受理。"
        if action in _REMEDY_STEPS:
            complaint = _REMEDY_STEPS[action](session, staff, complaint, clock)
            continue
        if action is Action.ASSIGN:
            complaint = routing.route_complaint(
                session,
                complaint_id=complaint.id,
                expected_version=complaint.version,
                actor=staff.agent,
                clock=clock,
            )
            continue
        actor = (
            staff.supervisor
            if action in _SUPERVISOR_ACTIONS
            else customer_actor(complaint)
            if action in _CUSTOMER_ACTIONS
            else staff.agent
        )
        complaint = complaints.transition_complaint(
            session,
            complaint_id=complaint.id,
            action=action,
            expected_version=complaint.version,
            actor=actor,
            clock=clock,
            note=note,
        )


def load(kesu: Kesu) -> int:
    """File every sample complaint through intake and advance it to its stage."""
    items: list[dict[str, Any]] = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    now = kesu.clock.now()
    with kesu.sessions() as session:
        staff = ensure_staff(session, kesu)
        # Oldest first, so tracking numbers and ids follow the filing dates.
        for item in sorted(items, key=lambda entry: -int(entry["days_ago"])):
            # Start early enough that the last step still lies in the past.
            steps = len(STAGE_PATHS[item["stage"]])
            busy = timedelta(hours=sum(3 + step for step in range(steps)) + 1)
            clock = FixedClock(now - timedelta(days=int(item["days_ago"])) - busy)
            result = intake.submit_complaint(
                session,
                _draft(item),
                registration=replace(kesu.registration, clock=clock),
                agent=staff.agent if item["channel"] in {"phone", "counter", "onsite"} else None,
            )
            _advance(session, staff, result.complaint, item, clock)
    return len(items)


def load_if_empty(kesu: Kesu) -> int:
    with kesu.sessions() as session:
        if session.scalar(select(func.count()).select_from(Complaint)):
            return 0
    return load(kesu)
