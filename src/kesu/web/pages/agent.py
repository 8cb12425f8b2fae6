"""Staff pages: sign in, the complaint queue, one complaint with the actions allowed now."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from kesu.accounts import service as accounts
from kesu.accounts.models import User
from kesu.bootstrap import Kesu
from kesu.complaints import queries, service
from kesu.complaints.lifecycle import COMMAND_ACTIONS, Action, Status
from kesu.core.errors import KesuError
from kesu.core.i18n import Language
from kesu.escalation import packet as escalation_packet_builder
from kesu.escalation import queries as escalation_queries
from kesu.escalation import service as escalation_service
from kesu.followup import evaluation as followup_evaluation
from kesu.followup import queries as followup_queries
from kesu.followup import service as followup_service
from kesu.followup.schemas import ActionDraft, EvaluationCreate, VisitAnswer
from kesu.handling import accountability as accountability_service
from kesu.handling import guidance as settlement
from kesu.handling import queries as handling_queries
from kesu.handling import remedies
from kesu.handling import service as handling_service
from kesu.handling.schemas import (
    ContactChannel,
    ContactCreate,
    Direction,
    InvestigationWrite,
    RemedyCreate,
    RemedyKind,
)
from kesu.routing import queries as routing_queries
from kesu.routing import service as routing_service
from kesu.sla import queries as sla_queries
from kesu.text.analysis import Priority
from kesu.text.classify import CATEGORIES
from kesu.triage import queries as triage_queries
from kesu.triage import service as triage_service
from kesu.web.deps import SESSION_COOKIE, DbSession, KesuApp, OptionalUser, actor_of
from kesu.web.pages.forms import PostedComplaint, complaint_form_context, read_complaint_form
from kesu.web.pages.guards import check_csrf, csrf_for, safe_next, to_login
from kesu.web.pages.portal import file_posted_complaint
from kesu.web.pages.rendering import render

router = APIRouter(include_in_schema=False)
QUEUE_PAGE = 50


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, next_path: Annotated[str, Query(alias="next")] = "/agent"
) -> HTMLResponse:
    return render(
        request, "agent/login.html", {"error": None, "next": safe_next(next_path), "username": ""}
    )


@router.post("/login", response_model=None)
def login(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    username: Annotated[str, Form(max_length=60)],
    password: Annotated[str, Form(max_length=200)],
    next_path: Annotated[str, Form(alias="next")] = "/agent",
) -> Response:
    try:
        _user, token = accounts.log_in(
            session, username=username, password=password, clock=kesu.clock
        )
    except KesuError as error:
        context = {
            "error": error.message(Language.ZH),
            "next": safe_next(next_path),
            "username": username,
        }
        return render(request, "agent/login.html", context, status_code=error.http_status)
    response = RedirectResponse(safe_next(next_path), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=kesu.settings.resolved_public_url().startswith("https://"),
        max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
    )
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession, kesu: KesuApp) -> RedirectResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.revoke_token(session, token=token, clock=kesu.clock)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/agent", response_class=HTMLResponse, response_model=None)
def queue(
    request: Request,
    session: DbSession,
    user: OptionalUser,
    status: Annotated[list[Status] | None, Query()] = None,
    category: Annotated[str, Query(max_length=32)] = "",
    priority: Annotated[str, Query(max_length=4)] = "",
    department_id: Annotated[str, Query(max_length=20)] = "",
    mine: bool = False,
    breached: bool = False,
    before_id: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    if user is None:
        return to_login(request)
    rows = queries.list_complaints(
        session,
        actor_of(user),
        queries.ComplaintFilter(
            statuses=status or (),
            categories=[category] if category else (),
            priorities=[priority] if priority else (),
            department_id=int(department_id) if department_id.isdigit() else None,
            assignee_id=user.id if mine else None,
            breached=breached,
            before_id=before_id,
            limit=QUEUE_PAGE,
        ),
        Language.ZH,
    )
    return render(
        request,
        "agent/queue.html",
        {
            "user": user,
            "rows": rows,
            "statuses": list(Status),
            "selected": set(status or ()),
            "categories": CATEGORIES,
            "priorities": list(Priority),
            "departments": queries.departments(session),
            "chosen": {
                "category": category,
                "priority": priority,
                "department_id": department_id,
                "mine": mine,
                "breached": breached,
            },
            "next_page": urlencode(
                [(k, v) for k, v in request.query_params.multi_items() if k != "before_id"]
                + [("before_id", str(rows[-1].id))]
            )
            if len(rows) == QUEUE_PAGE
            else None,
        },
    )


def _detail(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: User,
    complaint_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    complaint = service.open_complaint(session, actor_of(user), complaint_id, clock=kesu.clock)
    view = queries.staff_view(session, complaint, Language.ZH)
    return render(
        request,
        "agent/detail.html",
        {
            "user": user,
            "view": view,
            "actions": [
                Action(a)
                for a in view.allowed_actions
                if a != Action.ASSIGN and Action(a) not in COMMAND_ACTIONS
            ],
            "remedies": handling_queries.remedies(session, complaint.id),
            "remedy_kinds": list(RemedyKind),
            "can_propose": Status(complaint.status)
            in {Status.INVESTIGATING, Status.REMEDY_PROPOSED},
            "can_submit": complaint.status == Status.REMEDY_PROPOSED,
            "can_decide": complaint.status == Status.AWAITING_APPROVAL,
            "can_follow_up": complaint.status in {Status.RESOLVED, Status.FOLLOW_UP},
            "can_investigate": Status(complaint.status) in handling_service.INVESTIGATING_STATUSES,
            "investigation": handling_queries.investigation(session, complaint.id),
            "causes": handling_queries.causes(session),
            "guidance": settlement.settlement_guidance(session, complaint)
            if view.status in {"investigating", "remedy_proposed"}
            else None,
            "replies": handling_queries.reply_templates(session, complaint),
            "accountability": handling_queries.accountability(session, complaint.id),
            "can_evaluate": complaint.status in {Status.FOLLOW_UP, Status.CLOSED}
            and not followup_queries.actions(session, complaint_id=complaint.id)
            and not followup_service.has_evaluation(session, complaint.id),
            "archive": followup_service.archive_check(session, complaint)
            if complaint.status == Status.CLOSED
            else None,
            "can_assign": Action.ASSIGN in view.allowed_actions,
            "departments": queries.departments(session),
            "triage": triage_queries.triage_view(session, complaint, Language.ZH),
            "route": routing_queries.suggest_route(session, complaint)
            if Action.ASSIGN in view.allowed_actions
            else None,
            "can_reassign": Status(complaint.status) in service.REASSIGNABLE,
            "clocks": sla_queries.clocks_of(
                session, complaint.id, now=kesu.clock.now(), language=Language.ZH
            ),
            "escalation_label": escalation_service.LEVEL_LABELS[complaint.escalation_level][0],
            "special_attention": complaint.special_attention,
            "contacts": handling_queries.contacts(session, complaint.id),
            "contact_channels": list(ContactChannel),
            "categories": CATEGORIES,
            "priorities": list(Priority),
            "csrf": csrf_for(request, kesu),
            "error": error,
        },
        status_code=status_code,
    )


def _perform(
    request: Request,
    session: Session,
    kesu: Kesu,
    user: User,
    complaint_id: int,
    command: Callable[[], object],
) -> Response:
    """Run one command for a form post: back to the complaint, or the page again with the error."""
    try:
        command()
    except KesuError as error:
        return _detail(
            request,
            session,
            kesu,
            user,
            complaint_id,
            error=error.message(Language.ZH),
            status_code=error.http_status,
        )
    return RedirectResponse(f"/agent/complaints/{complaint_id}", status_code=303)


@router.get("/agent/complaints/{complaint_id}", response_class=HTMLResponse, response_model=None)
def detail(
    complaint_id: int, request: Request, session: DbSession, kesu: KesuApp, user: OptionalUser
) -> Response:
    if user is None:
        return to_login(request)
    return _detail(request, session, kesu, user, complaint_id)


@router.post("/agent/complaints/{complaint_id}/transitions", response_model=None)
def transition(
    complaint_id: int,
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    action: Annotated[Action, Form()],
    version: Annotated[int, Form(ge=1)],
    csrf: Annotated[str, Form()],
    note: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    return _perform(
        request,
        session,
        kesu,
        user,
        complaint_id,
        lambda: service.transition_complaint(
            session,
            complaint_id=complaint_id,
            action=action,
            expected_version=version,
            actor=actor_of(user),
            clock=kesu.clock,
            note=note or None,
        ),
    )


@router.post("/agent/complaints/{complaint_id}/assignment", response_model=None)
def assign(
    complaint_id: int,
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    version: Annotated[int, Form(ge=1)],
    department_id: Annotated[int, Form(ge=1)],
    csrf: Annotated[str, Form()],
    note: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    return _perform(
        request,
        session,
        kesu,
        user,
        complaint_id,
        lambda: service.assign_complaint(
            session,
            complaint_id=complaint_id,
            expected_version=version,
            department_id=department_id,
            assignee_id=None,
            actor=actor_of(user),
            clock=kesu.clock,
            note=note or None,
        ),
    )


@router.post("/agent/complaints/{complaint_id}/route", response_model=None)
def route(
    complaint_id: int,
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    version: Annotated[int, Form(ge=1)],
    csrf: Annotated[str, Form()],
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    return _perform(
        request,
        session,
        kesu,
        user,
        complaint_id,
        lambda: routing_service.route_complaint(
            session,
            complaint_id=complaint_id,
            expected_version=version,
            actor=actor_of(user),
            clock=kesu.clock,
        ),
    )


@router.post("/agent/complaints/{complaint_id}/reassignment", response_model=None)
def reassign(
    complaint_id: int,
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    version: Annotated[int, Form(ge=1)],
    department_id: Annotated[int, Form(ge=1)],
    csrf: Annotated[str, Form()],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    return _perform(
        request,
        session,
        kesu,
        user,
        complaint_id,
        lambda: service.reassign_complaint(
            session,
            complaint_id=complaint_id,
            expected_version=version,
            department_id=department_id,
            assignee_id=None,
            reason=reason,
            actor=actor_of(user),
            clock=kesu.clock,
        ),
    )


@router.post("/agent/complaints/{complaint_id}/escalation", response_model=None)
def escalate(
    complaint_id: int,
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    version: Annotated[int, Form(ge=1)],
    direction: Annotated[str, Form(pattern="^(up|back)$")],
    csrf: Annotated[str, Form()],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    command = (
        escalation_service.escalate_complaint if direction == "up" else escalation_service.send_back
    )
    return _perform(
        request,
        session,
        kesu,
        user,
        complaint_id,
        lambda: command(
            session,
            complaint_id=complaint_id,
            expected_version=version,
            reason=reason,
            actor=actor_of(user),
            clock=kesu.clock,
        ),
    )


@router.get(
    "/agent/complaints/{complaint_id}/packet", response_class=HTMLResponse, response_model=None
)
def escalation_packet(
    complaint_id: int, request: Request, session: DbSession, kesu: KesuApp, user: OptionalUser
) -> Response:
    """The escalation packet as a page a superior reads before taking the case."""
    if user is None:
        return to_login(request)
    complaint = service.open_complaint(session, actor_of(user), complaint_id, clock=kesu.clock)
    built = escalation_packet_builder.build_packet(
        session, complaint, now=kesu.clock.now(), language=Language.ZH
    )
    return render(
        request,
        "agent/packet.html",
        {"user": user, "packet": built, "levels": escalation_service.LEVEL_LABELS},
    )


@router.post("/agent/complaints/{complaint_id}/contacts", response_model=None)
def record_contact(
    complaint_id: int,
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    channel: Annotated[ContactChannel, Form()],
    direction: Annotated[Direction, Form()] = Direction.OUTBOUND,
    summary: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    # Channel and direction are checked by the form types; the service checks the summary and
    # answers in words a person reads (an empty one is refused there, not with a 500).
    contact = ContactCreate.model_construct(
        channel=channel, direction=direction, summary=summary, contacted_at=None
    )
    return _perform(
        request,
        session,
        kesu,
        user,
        complaint_id,
        lambda: handling_service.record_contact(
            session,
            complaint_id=complaint_id,
            contact=contact,
            actor=actor_of(user),
            clock=kesu.clock,
        ),
    )


@router.post("/agent/complaints/{complaint_id}/remedies", response_model=None)
def remedy_form(
    complaint_id: int,
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    step: Annotated[str, Form(pattern="^(propose|submit|approve|return)$")],
    version: Annotated[int, Form(ge=1)],
    kind: Annotated[RemedyKind, Form()] = RemedyKind.EXPLANATION,
    amount: Annotated[str, Form(max_length=20)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
    comment: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Propose, submit, and decide remedies (one form, the button names the step)."""
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    actor = actor_of(user)
    if step == "propose":
        try:
            draft = RemedyCreate(
                version=version,
                kind=kind,
                amount=Decimal(amount) if amount.strip() else None,
                description=description,
            )
        except (ValidationError, InvalidOperation):
            return _detail(
                request,
                session,
                kesu,
                user,
                complaint_id,
                error="方案内容或金额格式不正确。",
                status_code=422,
            )
        return _perform(
            request,
            session,
            kesu,
            user,
            complaint_id,
            lambda: remedies.propose_remedy(
                session, complaint_id=complaint_id, draft=draft, actor=actor, clock=kesu.clock
            ),
        )
    if step == "submit":
        return _perform(
            request,
            session,
            kesu,
            user,
            complaint_id,
            lambda: remedies.submit_remedies(
                session,
                complaint_id=complaint_id,
                expected_version=version,
                actor=actor,
                clock=kesu.clock,
            ),
        )
    return _perform(
        request,
        session,
        kesu,
        user,
        complaint_id,
        lambda: remedies.decide_remedies(
            session,
            complaint_id=complaint_id,
            expected_version=version,
            approve=step == "approve",
            comment=comment or None,
            actor=actor,
            clock=kesu.clock,
        ),
    )


@router.post("/agent/complaints/{complaint_id}/investigation", response_model=None)
def investigation(
    complaint_id: int,
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    findings: Annotated[str, Form(max_length=10_000)] = "",
    cause_code: Annotated[str, Form(max_length=40)] = "",
    responsible_person: Annotated[str, Form(max_length=120)] = "",
    appraisal_party: Annotated[str, Form(max_length=200)] = "",
    appraisal_cost_bearer: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    try:
        record = InvestigationWrite(
            findings=findings,
            cause_code=cause_code or None,
            responsible_person=responsible_person or None,
            appraisal_requested=bool(appraisal_party),
            appraisal_party=appraisal_party or None,
            appraisal_cost_bearer=appraisal_cost_bearer or None,
        )
    except ValidationError:
        return _detail(
            request,
            session,
            kesu,
            user,
            complaint_id,
            error="调查记录内容不完整。",
            status_code=422,
        )
    return _perform(
        request,
        session,
        kesu,
        user,
        complaint_id,
        lambda: handling_service.record_investigation(
            session,
            complaint_id=complaint_id,
            record=record,
            actor=actor_of(user),
            clock=kesu.clock,
        ),
    )


@router.post("/agent/complaints/{complaint_id}/accountability/{record_id}", response_model=None)
def decide_accountability(
    complaint_id: int,
    record_id: int,
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    decision: Annotated[str, Form(pattern="^(confirm|dismiss)$")],
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    return _perform(
        request,
        session,
        kesu,
        user,
        complaint_id,
        lambda: accountability_service.decide_accountability(
            session,
            record_id=record_id,
            confirm=decision == "confirm",
            actor=actor_of(user),
            clock=kesu.clock,
        ),
    )


@router.post("/agent/complaints/{complaint_id}/evaluation", response_model=None)
def evaluate(
    complaint_id: int,
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    lessons: Annotated[str, Form(max_length=10_000)] = "",
    root_cause_class: Annotated[str, Form(max_length=16)] = "other",
    action_department_id: Annotated[str, Form(max_length=20)] = "",
    action_description: Annotated[str, Form(max_length=2000)] = "",
    action_due_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    try:
        actions = (
            [
                ActionDraft(
                    department_id=int(action_department_id),
                    description=action_description,
                    due_at=f"{action_due_on}T18:00:00+08:00",
                )
            ]
            if action_description.strip()
            else []
        )
        draft = EvaluationCreate(
            lessons=lessons, root_cause_class=root_cause_class, actions=actions
        )
    except (ValidationError, ValueError):
        return _detail(
            request,
            session,
            kesu,
            user,
            complaint_id,
            error="总结评价内容不完整或日期格式不正确。",
            status_code=422,
        )
    return _perform(
        request,
        session,
        kesu,
        user,
        complaint_id,
        lambda: followup_evaluation.evaluate_complaint(
            session, complaint_id=complaint_id, draft=draft, actor=actor_of(user), clock=kesu.clock
        ),
    )


@router.post("/agent/complaints/{complaint_id}/follow-up", response_model=None)
def follow_up(
    complaint_id: int,
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    csat: Annotated[int, Form(ge=1, le=5)],
    nps: Annotated[int | None, Form(ge=0, le=10)] = None,
    comment: Annotated[str, Form(max_length=2000)] = "",
    channel: Annotated[str, Form(pattern="^(call|sms|email|visit|chat)$")] = "call",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    answer = VisitAnswer(csat=csat, nps=nps, comment=comment or None, channel=channel)
    return _perform(
        request,
        session,
        kesu,
        user,
        complaint_id,
        lambda: followup_service.record_visit(
            session,
            complaint_id=complaint_id,
            answer=answer,
            actor=actor_of(user),
            clock=kesu.clock,
        ),
    )


@router.post("/agent/complaints/{complaint_id}/archive", response_model=None)
def archive(
    complaint_id: int,
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    version: Annotated[int, Form(ge=1)],
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    return _perform(
        request,
        session,
        kesu,
        user,
        complaint_id,
        lambda: followup_service.archive_complaint(
            session,
            complaint_id=complaint_id,
            expected_version=version,
            actor=actor_of(user),
            clock=kesu.clock,
        ),
    )


@router.post("/agent/complaints/{complaint_id}/triage", response_model=None)
def correct_triage(
    complaint_id: int,
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    category: Annotated[str, Form(max_length=32)] = "",
    priority: Annotated[str, Form(max_length=4)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    return _perform(
        request,
        session,
        kesu,
        user,
        complaint_id,
        lambda: triage_service.correct_triage(
            session,
            complaint_id=complaint_id,
            category=category or None,
            priority=Priority(priority) if priority in set(Priority) else None,
            actor=actor_of(user),
            clock=kesu.clock,
            note=note or None,
        ),
    )


@router.get("/agent/breaches", response_class=HTMLResponse, response_model=None)
def breaches(request: Request, session: DbSession, user: OptionalUser) -> Response:
    """Missed deadlines, for supervisors and anyone who works the queue."""
    if user is None:
        return to_login(request)
    rows = escalation_queries.breaches(session, actor_of(user), Language.ZH)
    return render(
        request,
        "agent/breaches.html",
        {"user": user, "rows": rows, "levels": escalation_service.LEVEL_LABELS},
    )


@router.get("/agent/new", response_class=HTMLResponse, response_model=None)
def entry_form(request: Request, kesu: KesuApp, user: OptionalUser) -> Response:
    """Agent entry of a complaint received by phone, at the counter or on site."""
    if user is None:
        return to_login(request)
    context = complaint_form_context({"demands": [], "channel": "phone"}, {}, staff=True)
    return render(
        request, "portal/file.html", {**context, "user": user, "csrf": csrf_for(request, kesu)}
    )


def _enter(
    request: Request, kesu: Kesu, session: Session, user: User, posted: PostedComplaint
) -> Response:
    check_csrf(request, kesu, posted.csrf)
    extra = {"user": user, "csrf": csrf_for(request, kesu)}
    result = file_posted_complaint(
        request, kesu, session, posted, agent=actor_of(user), extra=extra
    )
    if isinstance(result, HTMLResponse):
        return result
    return RedirectResponse(f"/agent/complaints/{result.complaint.id}", status_code=303)


@router.post("/agent/new", response_class=HTMLResponse, response_model=None)
async def enter_complaint(
    request: Request, kesu: KesuApp, session: DbSession, user: OptionalUser
) -> Response:
    if user is None:
        return to_login(request)
    posted = await read_complaint_form(request, kesu.intake_policy.evidence.max_bytes)
    return await run_in_threadpool(_enter, request, kesu, session, user, posted)
