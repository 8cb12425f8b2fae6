"""Staff pages: sign in, the complaint queue, one complaint with the actions allowed now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import Row
from sqlalchemy.orm import Session

from kesu.accounts import permissions
from kesu.accounts import service as accounts
from kesu.accounts.models import User
from kesu.bootstrap import Kesu
from kesu.complaints import lifecycle, queries, service
from kesu.complaints.events import EventKind
from kesu.complaints.lifecycle import COMMAND_ACTIONS, STATUS_LABELS, Action, Status
from kesu.complaints.models import CHANNEL_LABELS
from kesu.complaints.schemas import TimelineEventRead
from kesu.core.errors import KesuError
from kesu.core.i18n import Labels, Language, label
from kesu.customers.service import TAG_LABELS, CustomerTag
from kesu.escalation import packet as escalation_packet_builder
from kesu.escalation import queries as escalation_queries
from kesu.escalation import service as escalation_service
from kesu.escalation.service import LEVEL_LABELS, TOP_LEVEL
from kesu.followup import evaluation as followup_evaluation
from kesu.followup import service as followup_service
from kesu.followup.schemas import ActionDraft, EvaluationCreate, VisitAnswer
from kesu.handling import accountability as accountability_service
from kesu.handling import guidance as settlement
from kesu.handling import queries as handling_queries
from kesu.handling import remedies
from kesu.handling import service as handling_service
from kesu.handling.replies import SITUATION_LABELS
from kesu.handling.schemas import (
    ContactChannel,
    ContactCreate,
    Direction,
    InvestigationWrite,
    RemedyCreate,
    RemedyKind,
)
from kesu.intake import callers
from kesu.routing import queries as routing_queries
from kesu.routing import service as routing_service
from kesu.sla import queries as sla_queries
from kesu.text.analysis import PRIORITY_LABELS, Priority
from kesu.text.classify import CATEGORIES, CATEGORY_LABELS
from kesu.triage import queries as triage_queries
from kesu.triage import service as triage_service
from kesu.triage.queries import ANGER_LABELS
from kesu.web.deps import SESSION_COOKIE, DbSession, KesuApp, OptionalUser, actor_of
from kesu.web.errors import request_language
from kesu.web.pages.forms import PostedComplaint, complaint_form_context, read_complaint_form
from kesu.web.pages.guards import check_csrf, csrf_for, safe_next, to_login
from kesu.web.pages.portal import file_posted_complaint
from kesu.web.pages.rendering import local_time, render
from kesu.web.translation import N_, translate

router = APIRouter(include_in_schema=False)
QUEUE_PAGE = 50
UNASSIGNED = "none"
"""The queue's assignee choice for complaints nobody has been given yet."""
TRIGGER_LABELS = {
    "manual": N_("人工升级"),
    "breach": N_("超时"),
    "threat": N_("升级威胁"),
    "vip": N_("重要客户"),
    "send_back": N_("发还"),
}


def _labels(table: Labels, language: Language) -> dict[Any, str]:
    return {code: label(table, code, language) for code in table}


def _in_language(events: list[TimelineEventRead], language: Language) -> list[TimelineEventRead]:
    """A timeline with the escalation levels in the reader's language.

    An escalation's note is written once, in Chinese, as "一线处理 → 部门负责人：<reason>"; read in
    English, the levels become the event's detail and the note keeps only the reason given.
    """
    if language is Language.ZH:
        return events
    moves = {
        f"{LEVEL_LABELS[a][0]} → {LEVEL_LABELS[b][0]}": f"{LEVEL_LABELS[a][1]} → {LEVEL_LABELS[b][1]}"
        for a in LEVEL_LABELS
        for b in LEVEL_LABELS
        if a != b
    }
    shown = []
    for event in events:
        if event.kind in {EventKind.ESCALATED, EventKind.SENT_BACK} and event.note:
            for chinese, english in moves.items():
                if event.note.startswith(chinese):
                    reason = event.note.removeprefix(chinese).removeprefix("：")
                    event = event.model_copy(update={"detail": english, "note": reason or None})
                    break
        shown.append(event)
    return shown


def _id(value: str) -> int | None:
    # Ids typed into a URL: ASCII digits only, and short enough for any database integer.
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


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
            "error": error.message(request_language(request)),
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
    kesu: KesuApp,
    user: OptionalUser,
    status: Annotated[list[Status] | None, Query()] = None,
    category: Annotated[str, Query(max_length=32)] = "",
    priority: Annotated[str, Query(max_length=4)] = "",
    department_id: Annotated[str, Query(max_length=20)] = "",
    assignee: Annotated[str, Query(max_length=20)] = "",
    sla: Annotated[str, Query(max_length=16)] = "",
    customer_tag: Annotated[str, Query(max_length=32)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    mine: bool = False,
    breached: bool = False,
    before_id: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    if user is None:
        return to_login(request)
    language = request_language(request)
    now = kesu.clock.now()
    # A choice the form never offers (an edited link) filters nothing rather than failing.
    sla_state = queries.SlaState(sla) if sla in set(queries.SlaState) else None
    tag = CustomerTag(customer_tag) if customer_tag in set(CustomerTag) else None
    rows = queries.summary_rows(
        session,
        actor_of(user),
        queries.ComplaintFilter(
            statuses=status or (),
            categories=[category] if category else (),
            priorities=[priority] if priority else (),
            department_id=_id(department_id),
            assignee_id=user.id if mine else _id(assignee),
            unassigned=not mine and assignee == UNASSIGNED,
            breached=breached,
            sla_states=[sla_state] if sla_state is not None else (),
            customer_tags=[tag.value] if tag is not None else (),
            now=now,
            search=q,
            before_id=before_id,
            limit=QUEUE_PAGE,
        ),
    )
    departments = queries.departments(session)
    department_names = {d.id: d.name for d in departments}
    handlers_by_department: dict[str, list[tuple[int, str, bool]]] = {}
    for handler in queries.handlers(session):
        group = department_names.get(handler.department_id or 0, translate("未分部门", language))
        handlers_by_department.setdefault(group, []).append(
            (handler.id, handler.display_name, assignee == str(handler.id))
        )
    sla_labels = _labels(queries.SLA_STATE_LABELS, language)
    chosen_sla = sla_state.value if sla_state is not None else ""
    chosen_tag = tag.value if tag is not None else ""
    selected = set(status or ())
    # Every menu as (value, text, selected) and every row's cells in the reader's language,
    # made here once: looked up by the template, each label was a context call per cell.
    return render(
        request,
        "agent/queue.html",
        {
            "user": user,
            "rows": _queue_rows(
                rows, queries.sla_states(session, [row.id for row in rows], now=now), language
            ),
            "sla_options": [(code, text, chosen_sla == code) for code, text in sla_labels.items()],
            "status_options": [
                (s.value, label(STATUS_LABELS, s.value, language), s in selected) for s in Status
            ],
            "category_options": [
                (c, label(CATEGORY_LABELS, c, language), category == c) for c in CATEGORIES
            ],
            "priority_options": [
                (p.value, label(PRIORITY_LABELS, p.value, language), priority == p.value)
                for p in Priority
            ],
            "department_options": [(d.id, d.name, department_id == str(d.id)) for d in departments],
            "handlers": handlers_by_department,
            "tag_options": [
                (code, text, chosen_tag == code)
                for code, text in _labels(TAG_LABELS, language).items()
            ],
            "unassigned": UNASSIGNED,
            "chosen": {
                "q": q,
                "unassigned": assignee == UNASSIGNED,
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


@dataclass(frozen=True, slots=True)
class _QueueRow:
    """One line of the queue, each cell as shown."""

    id: int
    tracking_number: str
    priority: str | None
    sla: str | None
    """The deadline state's code (its badge's class), None without a live clock."""
    sla_label: str
    category_label: str
    status: str
    status_label: str
    complainant_name: str
    target: str
    channel_label: str
    received: str
    """Local time of receipt, as every page shows times."""


def _queue_rows(
    rows: list[Row[Any]], sla_of: dict[int, queries.SlaState], language: Language
) -> list[_QueueRow]:
    sla_labels = _labels(queries.SLA_STATE_LABELS, language)
    categories = _labels(CATEGORY_LABELS, language)
    channels = _labels(CHANNEL_LABELS, language)
    statuses = _labels(STATUS_LABELS, language)
    shown = []
    for row in rows:
        sla = sla_of.get(row.id)
        shown.append(
            _QueueRow(
                id=row.id,
                tracking_number=row.tracking_number,
                priority=row.priority,
                sla=sla.value if sla is not None else None,
                sla_label=sla_labels[sla] if sla is not None else "",
                category_label=categories.get(row.category, row.category) if row.category else "—",
                status=row.status,
                status_label=statuses.get(row.status, row.status),
                complainant_name=row.complainant_name,
                target=row.target,
                channel_label=channels.get(row.channel, row.channel),
                received=local_time(row.received_at),
            )
        )
    return shown


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
    language = request_language(request)
    complaint = service.open_complaint(session, actor_of(user), complaint_id, clock=kesu.clock)
    # Loaded first: the view's own department then comes from the session, not another query.
    departments = queries.departments(session)
    view = queries.staff_view(session, complaint, language)
    view = view.model_copy(update={"timeline": _in_language(view.timeline, language)})
    status = Status(complaint.status)
    # Only what this person may do now: a button the service would refuse is not shown.
    may_handle = permissions.allows(user.role, permissions.Permission.HANDLE_COMPLAINTS)
    may_approve = permissions.allows(user.role, permissions.Permission.APPROVE_REMEDIES)
    may_archive = permissions.allows(user.role, permissions.Permission.ARCHIVE_COMPLAINTS)
    allowed = lifecycle.allowed_actions(status)
    can_investigate = may_handle and status in handling_service.INVESTIGATING_STATUSES
    records = handling_queries.case_records(session, complaint.id)
    found, proposals = records.investigation, records.remedies
    guidance = (
        settlement.settlement_guidance(session, complaint)
        if may_handle and status in {Status.INVESTIGATING, Status.REMEDY_PROPOSED}
        else None
    )
    return render(
        request,
        "agent/detail.html",
        {
            "user": user,
            "view": view,
            "actions": [
                action
                for action in allowed
                if may_handle and action != Action.ASSIGN and action not in COMMAND_ACTIONS
            ],
            "may_handle": may_handle,
            "remedies": proposals,
            "remedy_kinds": list(RemedyKind),
            "can_propose": may_handle and status in {Status.INVESTIGATING, Status.REMEDY_PROPOSED},
            "can_submit": may_handle and status == Status.REMEDY_PROPOSED,
            "can_decide": may_approve and status == Status.AWAITING_APPROVAL,
            "can_follow_up": may_handle and status in {Status.RESOLVED, Status.FOLLOW_UP},
            "can_investigate": can_investigate,
            "investigation": found,
            # The catalogue only fills the investigation form.
            "causes": handling_queries.causes(session) if can_investigate else [],
            "guidance": guidance.model_copy(
                update={"rules": [translate(rule, language) for rule in guidance.rules]}
            )
            if guidance is not None
            else None,
            "replies": [
                reply.model_copy(
                    update={"title": label(SITUATION_LABELS, reply.situation, language)}
                )
                for reply in handling_queries.reply_templates(
                    session, complaint, loaded=(found, proposals)
                )
            ],
            "accountability": records.accountability,
            "can_decide_accountability": may_approve,
            "can_evaluate": may_handle
            and status in {Status.FOLLOW_UP, Status.CLOSED}
            and not followup_service.evaluation_begun(session, complaint.id),
            "archive": followup_service.archive_check(session, complaint, language)
            if may_archive and status == Status.CLOSED
            else None,
            "can_assign": may_handle and Action.ASSIGN in allowed,
            "departments": departments,
            "triage": triage_queries.triage_view(session, complaint, language),
            "can_correct_triage": may_handle,
            "route": routing_queries.suggest_route(session, complaint)
            if may_handle and Action.ASSIGN in allowed
            else None,
            "can_reassign": may_handle and status in service.REASSIGNABLE,
            "can_escalate": may_handle and complaint.escalation_level < TOP_LEVEL,
            "can_send_back": may_approve and complaint.escalation_level > 0,
            "clocks": [
                # Default policies carry a generated Chinese name; names staff gave stay as typed.
                clock.model_copy(update={"policy_name": translate(clock.policy_name, language)})
                for clock in sla_queries.clocks_of(
                    session, complaint.id, now=kesu.clock.now(), language=language
                )
            ],
            "escalation_label": label(LEVEL_LABELS, complaint.escalation_level, language),
            "anger": _labels(ANGER_LABELS, language),
            "special_attention": complaint.special_attention,
            "contacts": records.contacts,
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
            error=error.message(request_language(request)),
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
    language = request_language(request)
    complaint = service.open_complaint(session, actor_of(user), complaint_id, clock=kesu.clock)
    built = escalation_packet_builder.build_packet(
        session, complaint, now=kesu.clock.now(), language=language
    )
    timeline = _in_language(built.complaint.timeline, language)
    built = built.model_copy(
        update={"complaint": built.complaint.model_copy(update={"timeline": timeline})}
    )
    return render(
        request,
        "agent/packet.html",
        {
            "user": user,
            "packet": built,
            "levels": _labels(LEVEL_LABELS, language),
            "anger": _labels(ANGER_LABELS, language),
            "triggers": {code: translate(text, language) for code, text in TRIGGER_LABELS.items()},
        },
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
                error=translate("方案内容或金额格式不正确。", request_language(request)),
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
            error=translate("调查记录内容不完整。", request_language(request)),
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
            error=translate("总结评价内容不完整或日期格式不正确。", request_language(request)),
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
    language = request_language(request)
    rows = escalation_queries.breaches(session, actor_of(user), language)
    return render(
        request,
        "agent/breaches.html",
        {"user": user, "rows": rows, "levels": _labels(LEVEL_LABELS, language)},
    )


@router.get("/agent/new", response_class=HTMLResponse, response_model=None)
def entry_form(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    contact: Annotated[str, Query(max_length=254)] = "",
) -> Response:
    """Agent entry of a complaint received by phone, at the counter or on site.

    With ``contact`` (the caller's phone number or e-mail) the caller is looked up first: their
    earlier complaints and warnings show above the form, which starts filled in from the profile.
    """
    if user is None:
        return to_login(request)
    language = request_language(request)
    values: dict[str, object] = {"demands": [], "channel": "phone"}
    history = None
    lookup_error = None
    contact = contact.strip()
    if contact:
        try:
            history = callers.look_up_customer(
                session,
                contact=contact,
                viewer=actor_of(user),
                now=kesu.clock.now(),
                language=language,
            )
        except KesuError as error:
            lookup_error = error.message(language)
        if history is not None:
            values.update(
                complainant_name=history.name,
                phone=history.phone or "",
                email=history.email or "",
            )
        elif lookup_error is None:
            values["email" if "@" in contact else "phone"] = contact
    context = complaint_form_context(values, {}, staff=True)
    return render(
        request,
        "agent/entry.html",
        {
            **context,
            "user": user,
            "csrf": csrf_for(request, kesu),
            "contact": contact,
            "history": history,
            "lookup_error": lookup_error,
            "tag_labels": _labels(TAG_LABELS, language),
            "repeat_days": callers.REPEAT_WINDOW.days,
        },
    )


def _enter(
    request: Request, kesu: Kesu, session: Session, user: User, posted: PostedComplaint
) -> Response:
    check_csrf(request, kesu, posted.csrf)
    language = request_language(request)
    extra = {
        "user": user,
        "csrf": csrf_for(request, kesu),
        # The caller lookup stays on the page above the form that needs correcting.
        "contact": "",
        "history": None,
        "lookup_error": None,
        "tag_labels": _labels(TAG_LABELS, language),
        "repeat_days": callers.REPEAT_WINDOW.days,
    }
    result = file_posted_complaint(
        request,
        kesu,
        session,
        posted,
        agent=actor_of(user),
        extra=extra,
        template="agent/entry.html",
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
