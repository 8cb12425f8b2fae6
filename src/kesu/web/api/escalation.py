"""REST API of escalation: up a level, back down (发还), and the packet for the next level."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from kesu.complaints import queries as complaint_queries
from kesu.complaints.schemas import ComplaintRead
from kesu.escalation import packet, service
from kesu.escalation.schemas import EscalateRequest, EscalationPacket
from kesu.web.deps import CurrentUser, DbSession, KesuApp, RequestLanguage, actor_of

router = APIRouter(prefix="/api/v1/complaints", tags=["escalation"])
_ERRORS: dict[int | str, dict[str, str]] = {
    403: {"description": "`permission_denied`"},
    409: {"description": "`already_at_top_level`, `already_at_front_line`, `concurrent_update`"},
}


@router.post("/{complaint_id}/escalation", responses=_ERRORS)
def escalate(
    complaint_id: int,
    body: EscalateRequest,
    session: DbSession,
    user: CurrentUser,
    kesu: KesuApp,
    language: RequestLanguage,
) -> ComplaintRead:
    """One level up: front line → department → management → headquarters/regulator."""
    complaint = service.escalate_complaint(
        session,
        complaint_id=complaint_id,
        expected_version=body.version,
        reason=body.reason,
        actor=actor_of(user),
        clock=kesu.clock,
    )
    return complaint_queries.staff_view(session, complaint, language)


@router.post("/{complaint_id}/send-back", responses=_ERRORS)
def send_back(
    complaint_id: int,
    body: EscalateRequest,
    session: DbSession,
    user: CurrentUser,
    kesu: KesuApp,
    language: RequestLanguage,
) -> ComplaintRead:
    """One level down (发还, supervisors): flagged for special attention, its deadline tightened."""
    complaint = service.send_back(
        session,
        complaint_id=complaint_id,
        expected_version=body.version,
        reason=body.reason,
        actor=actor_of(user),
        clock=kesu.clock,
    )
    return complaint_queries.staff_view(session, complaint, language)


@router.get(
    "/{complaint_id}/escalation-packet",
    responses={
        200: {
            "content": {"text/markdown": {}},
            "description": "JSON, or Markdown with ?format=markdown",
        }
    },
    response_model=None,
)
def escalation_packet(
    complaint_id: int,
    session: DbSession,
    user: CurrentUser,
    kesu: KesuApp,
    language: RequestLanguage,
    output: Annotated[str, Query(alias="format", pattern="^(json|markdown)$")] = "json",
) -> EscalationPacket | PlainTextResponse:
    """Timeline, demands, threats, emotion trend, time limits and escalations in one document."""
    complaint = complaint_queries.access_complaint(session, actor_of(user), complaint_id)
    built = packet.build_packet(session, complaint, now=kesu.clock.now(), language=language)
    if output == "markdown":
        return PlainTextResponse(
            packet.render_markdown(built), media_type="text/markdown; charset=utf-8"
        )
    return built
