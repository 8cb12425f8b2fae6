"""REST API of routing: rules (administrators), rule-based assignment and transfers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, status

from kesu.complaints import queries as complaint_queries
from kesu.complaints import service as complaints
from kesu.complaints.schemas import ComplaintRead
from kesu.routing import queries, service, transfers, units
from kesu.routing.schemas import (
    DelegateRequest,
    ReassignRequest,
    RegionRouteRequest,
    RouteRequest,
    RouteSuggestion,
    RuleDraft,
    RuleRead,
    TransferAnswer,
    TransferOrderCreate,
    TransferOrderRead,
)
from kesu.web.deps import CurrentUser, DbSession, KesuApp, RequestLanguage, actor_of

router = APIRouter(prefix="/api/v1", tags=["routing"])
_ERRORS: dict[int | str, dict[str, str]] = {
    403: {"description": "`permission_denied`"},
    404: {"description": "`no_matching_rule`, `complaint_not_found`"},
    409: {"description": "`invalid_transition`, `concurrent_update`"},
    422: {"description": "`unknown_department`, `bad_rule_file`, `validation_error`"},
}


@router.get("/routing/rules")
def list_rules(session: DbSession, _user: CurrentUser) -> list[RuleRead]:
    """Rules in the order they are tried."""
    return queries.rules(session)


@router.post("/routing/rules", status_code=status.HTTP_201_CREATED, responses=_ERRORS)
def create_rule(body: RuleDraft, session: DbSession, user: CurrentUser, kesu: KesuApp) -> RuleRead:
    rule = service.create_rule(session, body, actor=actor_of(user), clock=kesu.clock)
    return next(r for r in queries.rules(session) if r.id == rule.id)


@router.post("/routing/rules/import", status_code=status.HTTP_201_CREATED, responses=_ERRORS)
def import_rules(
    session: DbSession,
    user: CurrentUser,
    kesu: KesuApp,
    rules_text: Annotated[str, Body(media_type="text/csv", max_length=1_000_000)],
    file_format: Annotated[str, Query(alias="format", pattern="^(csv|yaml)$")] = "csv",
) -> list[RuleRead]:
    """Add rules from CSV (columns: name, position, category, product_line, region_prefix,
    channel, customer_tag, department_code, strategy) or, with ``?format=yaml``, a YAML list of
    mappings with the same keys. All or nothing."""
    importer = service.import_rules_yaml if file_format == "yaml" else service.import_rules_csv
    created = {
        rule.id for rule in importer(session, rules_text, actor=actor_of(user), clock=kesu.clock)
    }
    return [rule for rule in queries.rules(session) if rule.id in created]


@router.get("/complaints/{complaint_id}/route", responses=_ERRORS)
def suggest_route(complaint_id: int, session: DbSession, user: CurrentUser) -> RouteSuggestion:
    """Where the rules would send the complaint (nothing changes)."""
    complaint = complaint_queries.access_complaint(session, actor_of(user), complaint_id)
    return queries.suggest_route(session, complaint)


@router.post("/complaints/{complaint_id}/route", responses=_ERRORS)
def route_complaint(
    complaint_id: int,
    body: RouteRequest,
    session: DbSession,
    user: CurrentUser,
    kesu: KesuApp,
    language: RequestLanguage,
) -> ComplaintRead:
    """Assign the complaint by the first matching rule and the rule's handler strategy."""
    complaint = service.route_complaint(
        session,
        complaint_id=complaint_id,
        expected_version=body.version,
        actor=actor_of(user),
        clock=kesu.clock,
    )
    return complaint_queries.staff_view(session, complaint, language)


@router.post("/complaints/{complaint_id}/reassignment", responses=_ERRORS)
def reassign_complaint(
    complaint_id: int,
    body: ReassignRequest,
    session: DbSession,
    user: CurrentUser,
    kesu: KesuApp,
    language: RequestLanguage,
) -> ComplaintRead:
    """Transfer an assigned complaint to another department or handler; the reason is recorded."""
    complaint = complaints.reassign_complaint(
        session,
        complaint_id=complaint_id,
        expected_version=body.version,
        department_id=body.department_id,
        assignee_id=body.assignee_id,
        reason=body.reason,
        actor=actor_of(user),
        clock=kesu.clock,
    )
    return complaint_queries.staff_view(session, complaint, language)


@router.post("/complaints/{complaint_id}/route-by-region", responses=_ERRORS)
def route_by_region(
    complaint_id: int,
    body: RegionRouteRequest,
    session: DbSession,
    user: CurrentUser,
    kesu: KesuApp,
    language: RequestLanguage,
) -> ComplaintRead:
    """Consumer-association mode: to the county unit of the respondent, or the common upper unit."""
    complaint = units.route_by_region(
        session,
        complaint_id=complaint_id,
        expected_version=body.version,
        respondent_regions=body.respondent_regions,
        actor=actor_of(user),
        clock=kesu.clock,
    )
    return complaint_queries.staff_view(session, complaint, language)


@router.post("/complaints/{complaint_id}/delegation", responses=_ERRORS)
def delegate(
    complaint_id: int,
    body: DelegateRequest,
    session: DbSession,
    user: CurrentUser,
    kesu: KesuApp,
    language: RequestLanguage,
) -> ComplaintRead:
    """Hand the complaint to a unit directly below the one holding it (交办)."""
    complaint = units.delegate_down(
        session,
        complaint_id=complaint_id,
        expected_version=body.version,
        to_unit_id=body.unit_id,
        reason=body.reason,
        actor=actor_of(user),
        clock=kesu.clock,
    )
    return complaint_queries.staff_view(session, complaint, language)


@router.get("/complaints/{complaint_id}/transfer-orders")
def list_transfer_orders(
    complaint_id: int, session: DbSession, user: CurrentUser
) -> list[TransferOrderRead]:
    complaint = complaint_queries.access_complaint(session, actor_of(user), complaint_id)
    return queries.transfer_orders(session, complaint.id)


@router.post(
    "/complaints/{complaint_id}/transfer-orders",
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)
def issue_transfer_order(
    complaint_id: int,
    body: TransferOrderCreate,
    session: DbSession,
    user: CurrentUser,
    kesu: KesuApp,
) -> TransferOrderRead:
    """A transfer order (转办单) to the respondent, due ``days`` after filing; urged until answered."""
    complaint = complaint_queries.access_complaint(session, actor_of(user), complaint_id)
    order = transfers.issue_transfer_order(
        session,
        complaint_id=complaint.id,
        respondent=body.respondent,
        respondent_contact=body.respondent_contact,
        actor=actor_of(user),
        clock=kesu.clock,
        days=body.days,
    )
    return TransferOrderRead.model_validate(order)


@router.post(
    "/transfer-orders/{order_id}/answer",
    responses={409: {"description": "`transfer_already_answered`"}},
)
def answer_transfer_order(
    order_id: int, body: TransferAnswer, session: DbSession, user: CurrentUser, kesu: KesuApp
) -> TransferOrderRead:
    """Record the respondent's answer (entered by staff); urging stops."""
    order = transfers.answer_transfer_order(
        session, order_id=order_id, answer=body.answer, actor=actor_of(user), clock=kesu.clock
    )
    return TransferOrderRead.model_validate(order)
