"""Routing (派单): rules pick the responsible department; a strategy picks the handler in it."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

import yaml
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kesu.accounts import permissions
from kesu.accounts.models import Department, Role, User
from kesu.audit import service as audit
from kesu.complaints import service as complaints
from kesu.complaints.errors import ComplaintNotFound
from kesu.complaints.lifecycle import CATEGORY, Status, StatusCategory
from kesu.complaints.models import Complaint
from kesu.core.actors import Actor
from kesu.core.clock import Clock
from kesu.core.errors import Bilingual
from kesu.customers.models import Customer
from kesu.db.engine import transaction
from kesu.routing.errors import BadRuleFile, NoMatchingRule, UnknownDepartment
from kesu.routing.models import RoundRobinCursor, RoutingRule
from kesu.routing.schemas import RuleDraft, Strategy

HANDLER_ROLES = (Role.HANDLER, Role.AGENT)
# Work in hand: complaints assigned and not yet resolved or closed.
_IN_HAND = [
    s.value
    for s in Status
    if CATEGORY[s] is not StatusCategory.DONE and s not in {Status.RESOLVED, Status.FOLLOW_UP}
]


@dataclass(frozen=True)
class Route:
    rule: RoutingRule
    department: Department
    handler: User | None


def _matches(rule: RoutingRule, complaint: Complaint, tags: Sequence[str]) -> bool:
    return (
        rule.category in {None, complaint.category}
        and rule.product_line in {None, complaint.product_line}
        and rule.channel in {None, complaint.channel}
        and (rule.region_prefix is None or (complaint.region or "").startswith(rule.region_prefix))
        and (rule.customer_tag is None or rule.customer_tag in tags)
    )


def matching_rule(session: Session, complaint: Complaint) -> RoutingRule | None:
    customer = session.get(Customer, complaint.customer_id)
    tags = list(customer.tags) if customer is not None else []
    rules = session.scalars(
        select(RoutingRule)
        .where(RoutingRule.is_active.is_(True))
        .order_by(RoutingRule.position, RoutingRule.id)
    )
    return next((rule for rule in rules if _matches(rule, complaint, tags)), None)


def _handlers(session: Session, department_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(
                User.department_id == department_id,
                User.is_active.is_(True),
                User.role.in_(HANDLER_ROLES),
            )
            .order_by(User.id)
        )
    )


def _least_loaded(session: Session, handlers: list[User]) -> User:
    load = dict(
        session.execute(
            select(Complaint.assignee_id, func.count())
            .where(
                Complaint.assignee_id.in_([h.id for h in handlers]), Complaint.status.in_(_IN_HAND)
            )
            .group_by(Complaint.assignee_id)
        ).all()
    )
    return min(handlers, key=lambda handler: (load.get(handler.id, 0), handler.id))


def _round_robin(
    session: Session, department_id: int, handlers: list[User], *, advance: bool
) -> User:
    cursor = session.get(RoundRobinCursor, department_id, with_for_update=advance)
    after = cursor.last_user_id if cursor is not None else 0
    chosen = next((h for h in handlers if h.id > after), handlers[0])
    if advance:
        if cursor is None:
            session.add(RoundRobinCursor(department_id=department_id, last_user_id=chosen.id))
        else:
            cursor.last_user_id = chosen.id
    return chosen


def plan_route(session: Session, complaint: Complaint, *, advance: bool) -> Route | None:
    """The rule, department and handler for ``complaint``; ``advance`` moves the round-robin turn."""
    rule = matching_rule(session, complaint)
    if rule is None:
        return None
    department = session.get(Department, rule.department_id)
    if department is None:
        return None
    handlers = _handlers(session, department.id)
    handler = None
    if handlers and rule.strategy == Strategy.LEAST_LOADED:
        handler = _least_loaded(session, handlers)
    elif handlers and rule.strategy == Strategy.ROUND_ROBIN:
        handler = _round_robin(session, department.id, handlers, advance=advance)
    elif handlers and rule.strategy == Strategy.SKILL:
        skilled = [
            h for h in handlers if complaint.category is not None and complaint.category in h.skills
        ]
        handler = _least_loaded(session, skilled or handlers)
    return Route(rule=rule, department=department, handler=handler)


def route_complaint(
    session: Session, *, complaint_id: int, expected_version: int, actor: Actor, clock: Clock
) -> Complaint:
    """Assign the complaint by the first matching rule; raises ``NoMatchingRule`` if none does."""
    with transaction(session):
        complaint = session.get(Complaint, complaint_id)
        if complaint is None:
            raise ComplaintNotFound()
        route = plan_route(session, complaint, advance=True)
        if route is None:
            raise NoMatchingRule()
        return complaints.assign_complaint(
            session,
            complaint_id=complaint_id,
            expected_version=expected_version,
            department_id=route.department.id,
            assignee_id=route.handler.id if route.handler is not None else None,
            actor=actor,
            clock=clock,
            note=f"按派单规则“{route.rule.name}”",
        )


def create_rule(session: Session, draft: RuleDraft, *, actor: Actor, clock: Clock) -> RoutingRule:
    with transaction(session):
        return _add_rule(session, draft, actor, clock, line=None)


def _add_rule(
    session: Session, draft: RuleDraft, actor: Actor, clock: Clock, *, line: int | None
) -> RoutingRule:
    permissions.require(actor.role, permissions.Permission.MANAGE_SETTINGS)
    department = session.scalar(select(Department).where(Department.code == draft.department_code))
    if department is None:
        if line is not None:
            raise BadRuleFile(
                line=line,
                reason=Bilingual(
                    f"未知部门 {draft.department_code}",
                    f"unknown department {draft.department_code}",
                ),
            )
        raise UnknownDepartment(code=draft.department_code)
    rule = RoutingRule(
        **draft.model_dump(exclude={"department_code"}), department_id=department.id, is_active=True
    )
    session.add(rule)
    session.flush()
    audit.record(
        session,
        at=clock.now(),
        actor=actor.ref,
        action="routing.rule_created",
        subject_type="routing_rule",
        subject_id=rule.id,
        data=draft.model_dump(mode="json"),
    )
    return rule


CSV_COLUMNS = (
    "name",
    "position",
    "category",
    "product_line",
    "region_prefix",
    "channel",
    "customer_tag",
    "department_code",
    "strategy",
)


def _validated_draft(
    data: object, *, line: int, zh_prefix: str = "", en_prefix: str = ""
) -> RuleDraft:
    """One rule of an imported file, or ``BadRuleFile`` naming its first invalid field."""
    try:
        return RuleDraft.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise BadRuleFile(
            line=line,
            reason=Bilingual(f"{zh_prefix}{field} 无效", f"{en_prefix}{field}: {first['msg']}"),
        ) from error


def import_rules_csv(
    session: Session, text: str, *, actor: Actor, clock: Clock
) -> list[RoutingRule]:
    """Add every rule of a CSV file (header: ``CSV_COLUMNS``; empty cells match anything).

    All or nothing: one bad line refuses the whole file, naming the line.
    """
    with transaction(session):
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        missing = {"name", "department_code"} - set(reader.fieldnames or ())
        if missing:
            raise BadRuleFile(
                line=1,
                reason=Bilingual(
                    f"缺少列 {', '.join(sorted(missing))}",
                    f"missing columns {', '.join(sorted(missing))}",
                ),
            )
        rules = []
        for line, row in enumerate(reader, start=2):
            values = {
                key: (value or "").strip() or None
                for key, value in row.items()
                if key in CSV_COLUMNS
            }
            draft = _validated_draft({k: v for k, v in values.items() if v is not None}, line=line)
            rules.append(_add_rule(session, draft, actor, clock, line=line))
        return rules


def import_rules_yaml(
    session: Session, text: str, *, actor: Actor, clock: Clock
) -> list[RoutingRule]:
    """Add every rule of a YAML list of mappings (the keys of ``CSV_COLUMNS``); all or nothing."""
    with transaction(session):
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise BadRuleFile(
                line=getattr(getattr(error, "problem_mark", None), "line", 0) + 1,
                reason=Bilingual("不是有效的 YAML", "not valid YAML"),
            ) from error
        if not isinstance(document, list):
            raise BadRuleFile(line=1, reason=Bilingual("应为规则列表", "expected a list of rules"))
        rules = []
        for number, item in enumerate(document, start=1):
            draft = _validated_draft(
                item, line=number, zh_prefix=f"第 {number} 条规则 ", en_prefix=f"rule {number}, "
            )
            rules.append(_add_rule(session, draft, actor, clock, line=number))
        return rules
