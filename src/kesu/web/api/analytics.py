"""REST API of the complaint dashboard (统计分析)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from kesu.analytics import queries
from kesu.analytics.schemas import AnalyticsSummary
from kesu.web.deps import CurrentUser, DbSession, KesuApp, RequestLanguage, actor_of

router = APIRouter(prefix="/api/v1", tags=["analytics"])


@router.get(
    "/analytics/summary",
    responses={
        401: {"description": "`not_authenticated`"},
        403: {
            "description": "`permission_denied`: no view permission, or a department outside "
            "the viewer's scope"
        },
        404: {"description": "`department_not_found`"},
        422: {
            "description": "`period_reversed` (from after to), `period_too_long` (more than "
            "three years), `unknown_category`, `validation_error` (a date not YYYY-MM-DD)"
        },
    },
)
def analytics_summary(
    session: DbSession,
    user: CurrentUser,
    language: RequestLanguage,
    kesu: KesuApp,
    start: Annotated[
        date | None,
        Query(alias="from", description="First day, China time (default: 29 days before `to`)."),
    ] = None,
    end: Annotated[
        date | None, Query(alias="to", description="Last day, inclusive (default: today).")
    ] = None,
    department_id: Annotated[
        int | None, Query(ge=0, description="A department; 0 for complaints not yet assigned.")
    ] = None,
    category: Annotated[
        str | None, Query(max_length=32, description="A category code, e.g. `logistics`.")
    ] = None,
) -> AnalyticsSummary:
    """Complaint volume, SLA compliance, response and resolution times, CSAT, NPS, escalation,
    reopen and repeat rates for a period, by category, department, channel, province and status,
    with a day-by-day (week-by-week beyond 62 days) trend and the previous period of equal length
    for comparison. Complaints count on the day they were received (China time).

    Read from the rollup, which the worker refreshes every minute (`refreshed_at`). Handlers see
    their own department (and the units below it) only."""
    return queries.dashboard(
        session,
        actor_of(user),
        queries.SummaryRequest(
            start=start, end=end, department_id=department_id, category=category
        ),
        now=kesu.clock.now(),
        language=language,
    )
