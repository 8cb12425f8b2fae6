"""REST API of time limits: a complaint's clocks, missed deadlines, policies and calendar days."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from kesu.complaints import queries as complaint_queries
from kesu.escalation import queries as escalation_queries
from kesu.sla import queries, service
from kesu.sla.schemas import BreachRead, CalendarDayWrite, ClockRead, PolicyCreate, PolicyRead
from kesu.web.deps import CurrentUser, DbSession, KesuApp, RequestLanguage, actor_of

router = APIRouter(prefix="/api/v1", tags=["sla"])


@router.get(
    "/complaints/{complaint_id}/sla", responses={404: {"description": "`complaint_not_found`"}}
)
def complaint_clocks(
    complaint_id: int,
    session: DbSession,
    user: CurrentUser,
    language: RequestLanguage,
    kesu: KesuApp,
) -> list[ClockRead]:
    """First-response and resolution clocks: deadline, state, time left (negative once missed)."""
    complaint = complaint_queries.access_complaint(session, actor_of(user), complaint_id)
    return queries.clocks_of(session, complaint.id, now=kesu.clock.now(), language=language)


@router.get("/sla/breaches")
def list_breaches(
    session: DbSession,
    user: CurrentUser,
    language: RequestLanguage,
    limit: Annotated[int, Query(ge=1, le=escalation_queries.MAX_BREACHES)] = 100,
) -> list[BreachRead]:
    """Missed deadlines, newest first, with the escalation level each complaint reached."""
    return escalation_queries.breaches(session, actor_of(user), language, limit=limit)


@router.get("/sla/policies")
def list_policies(session: DbSession, _user: CurrentUser) -> list[PolicyRead]:
    return queries.policies(session)


@router.post(
    "/sla/policies",
    status_code=status.HTTP_201_CREATED,
    responses={403: {"description": "`permission_denied`"}},
)
def create_policy(
    body: PolicyCreate, session: DbSession, user: CurrentUser, kesu: KesuApp
) -> PolicyRead:
    """Add a policy (administrators); the most specific matching policy applies at intake."""
    policy = service.create_policy(session, body, actor=actor_of(user), now=kesu.clock.now())
    return PolicyRead.model_validate(policy)


@router.put("/sla/calendar", responses={403: {"description": "`permission_denied`"}})
def set_calendar_day(
    body: CalendarDayWrite, session: DbSession, user: CurrentUser, kesu: KesuApp
) -> CalendarDayWrite:
    """Declare an organisation's own working or closed day over the national holiday schedule."""
    day = service.set_calendar_day(session, body, actor=actor_of(user), now=kesu.clock.now())
    return CalendarDayWrite(day=day.day, is_working=day.is_working, note=day.note)
