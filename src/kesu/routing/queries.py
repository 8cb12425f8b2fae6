"""Reads of routing: the rules, and where a complaint would go."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.accounts.models import Department
from kesu.complaints.models import Complaint
from kesu.routing.models import RoutingRule, TransferOrder
from kesu.routing.schemas import RouteSuggestion, RuleRead, TransferOrderRead
from kesu.routing.service import plan_route


def rules(session: Session) -> list[RuleRead]:
    rows = session.execute(
        select(RoutingRule, Department.name)
        .join(Department, Department.id == RoutingRule.department_id)
        .order_by(RoutingRule.position, RoutingRule.id)
    ).all()
    return [
        RuleRead(
            id=rule.id,
            name=rule.name,
            position=rule.position,
            category=rule.category,
            product_line=rule.product_line,
            region_prefix=rule.region_prefix,
            channel=rule.channel,
            customer_tag=rule.customer_tag,
            department_id=rule.department_id,
            department_name=name,
            strategy=rule.strategy,
            is_active=rule.is_active,
        )
        for rule, name in rows
    ]


def suggest_route(session: Session, complaint: Complaint) -> RouteSuggestion:
    """Where the rules would send the complaint now (the round-robin turn is not taken)."""
    route = plan_route(session, complaint, advance=False)
    if route is None:
        return RouteSuggestion(
            rule_id=None,
            rule_name=None,
            department_id=None,
            department_name=None,
            assignee_id=None,
            assignee_name=None,
        )
    return RouteSuggestion(
        rule_id=route.rule.id,
        rule_name=route.rule.name,
        department_id=route.department.id,
        department_name=route.department.name,
        assignee_id=route.handler.id if route.handler else None,
        assignee_name=route.handler.display_name if route.handler else None,
    )


def transfer_orders(session: Session, complaint_id: int) -> list[TransferOrderRead]:
    return [
        TransferOrderRead.model_validate(order)
        for order in session.scalars(
            select(TransferOrder)
            .where(TransferOrder.complaint_id == complaint_id)
            .order_by(TransferOrder.id)
        )
    ]
