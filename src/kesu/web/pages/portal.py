"""Customer portal: file a complaint, get the tracking number, follow its progress, appeal."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from kesu.bootstrap import Kesu
from kesu.complaints import queries, service
from kesu.complaints.errors import InvalidTransition, ReasonRequired
from kesu.complaints.lifecycle import Action, Status
from kesu.complaints.models import DEMAND_LABELS, Channel, Complaint
from kesu.core.actors import Actor
from kesu.core.errors import KesuError
from kesu.core.i18n import Language, label
from kesu.followup import service as followup
from kesu.followup.errors import NoVisitPending
from kesu.followup.schemas import VisitAnswer
from kesu.intake import inbox
from kesu.intake import service as intake
from kesu.intake.service import IntakeResult
from kesu.web.deps import DbSession, KesuApp
from kesu.web.errors import request_language
from kesu.web.pages.forms import PostedComplaint, complaint_form_context, read_complaint_form
from kesu.web.pages.rendering import render
from kesu.web.translation import N_, translate

router = APIRouter(include_in_schema=False)

APPEAL_REASON_MAX = 2000
"""A few paragraphs: room to explain, short enough for the reviewer to read in one sitting."""
_APPEAL_MESSAGES = {
    "sent": N_("您的申诉已提交，我们会重新评估您的投诉并尽快答复。"),
    "no_reason": N_("请填写申诉理由。"),
    "too_long": N_("申诉理由不能超过 {max} 字。"),
    "not_rejected": N_("只有“不予受理”的投诉可以申诉。"),
}


@router.get("/", response_class=HTMLResponse)
def file_form(request: Request) -> HTMLResponse:
    return render(
        request, "portal/file.html", complaint_form_context({"demands": []}, {}, staff=False)
    )


def file_posted_complaint(
    request: Request,
    kesu: Kesu,
    session: Session,
    posted: PostedComplaint,
    *,
    agent: Actor | None,
    extra: dict[str, Any],
    template: str = "portal/file.html",
) -> IntakeResult | HTMLResponse:
    """Register a posted form, or ``template`` again with what is wrong (nothing is stored then)."""
    staff = agent is not None
    if posted.draft is None:
        context = complaint_form_context(posted.values, posted.errors, staff=staff)
        return render(request, template, {**context, **extra}, status_code=422)
    draft = posted.draft if staff else posted.draft.model_copy(update={"channel": Channel.WEB})
    try:
        return intake.submit_complaint(
            session,
            draft,
            registration=kesu.registration,
            uploads=posted.uploads,
            idempotency_key=posted.submission_key,
            agent=agent,
        )
    except KesuError as error:
        errors = {"form": error.message(request_language(request))}
        context = complaint_form_context(posted.values, errors, staff=staff)
        return render(request, template, {**context, **extra}, status_code=error.http_status)


def _receipt(
    request: Request, kesu: Kesu, session: Session, posted: PostedComplaint
) -> HTMLResponse:
    result = file_posted_complaint(request, kesu, session, posted, agent=None, extra={})
    if isinstance(result, HTMLResponse):
        return result
    return render(
        request,
        "portal/receipt.html",
        {"complaint": result.complaint, "hours": kesu.intake_policy.first_response_hours},
        status_code=201 if result.created else 200,
    )


@router.post("/complaints", response_class=HTMLResponse)
async def file_complaint(request: Request, kesu: KesuApp, session: DbSession) -> HTMLResponse:
    posted = await read_complaint_form(request, kesu.intake_policy.evidence.max_bytes)
    # The database work is synchronous: keep it off the event loop.
    return await run_in_threadpool(_receipt, request, kesu, session, posted)


@router.get("/track", response_class=HTMLResponse)
def track_form(request: Request) -> HTMLResponse:
    return render(request, "portal/track.html", {"values": {}, "error": None, "view": None})


def _tracking_page(
    request: Request,
    session: Session,
    complaint: Complaint,
    values: dict[str, str],
    *,
    notice: str | None = None,
    appeal_error: str | None = None,
    reason: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """The progress of a complaint whose complainant has just proved who they are."""
    language = request_language(request)
    view = queries.public_view(session, complaint, language)
    separator = "、" if language is Language.ZH else ", "
    context = {
        "values": values,
        "error": None,
        "view": view,
        "demands": separator.join(label(DEMAND_LABELS, code, language) for code in view.demands),
        # The form is offered exactly when the lifecycle would accept an appeal.
        "can_appeal": view.status == Status.REJECTED,
        "reason": reason,
        "reason_max": APPEAL_REASON_MAX,
        "notice": notice,
        "appeal_error": appeal_error,
    }
    return render(request, "portal/track.html", context, status_code=status_code)


def _not_tracked(request: Request, values: dict[str, str], error: KesuError) -> HTMLResponse:
    context = {"values": values, "error": error.message(request_language(request)), "view": None}
    return render(request, "portal/track.html", context, status_code=error.http_status)


@router.post("/track", response_class=HTMLResponse)
def track(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    tracking_number: Annotated[str, Form(max_length=40)] = "",
    phone: Annotated[str, Form(max_length=254)] = "",
) -> HTMLResponse:
    # POST, not GET: the phone number stays out of URLs, browser history and access logs.
    values = {"tracking_number": tracking_number.strip(), "phone": phone.strip()}
    try:
        complaint = inbox.access_by_tracking_number(
            session,
            kesu.registration,
            tracking_number=values["tracking_number"],
            contact=values["phone"],
        )
    except KesuError as error:
        return _not_tracked(request, values, error)
    return _tracking_page(request, session, complaint, values)


@router.post("/track/appeal", response_class=HTMLResponse)
def appeal(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    tracking_number: Annotated[str, Form(max_length=40)] = "",
    phone: Annotated[str, Form(max_length=254)] = "",
    reason: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """The complainant appeals a rejection (不予受理), proving who they are as /track does.

    Like the other portal forms this carries no CSRF token: there is no session to ride on, and a
    forged post would have to know the tracking number and the contact, which is the proof itself.
    """
    language = request_language(request)
    values = {"tracking_number": tracking_number.strip(), "phone": phone.strip()}
    reason = reason.strip()
    try:
        complaint = inbox.access_by_tracking_number(
            session,
            kesu.registration,
            tracking_number=values["tracking_number"],
            contact=values["phone"],
        )
    except KesuError as error:
        return _not_tracked(request, values, error)

    def refuse(message: str, status_code: int) -> HTMLResponse:
        return _tracking_page(
            request,
            session,
            complaint,
            values,
            appeal_error=message,
            reason=reason,
            status_code=status_code,
        )

    # Checked here first so the customer reads why in plain words, not a lifecycle code.
    if complaint.status != Status.REJECTED:
        return refuse(translate(_APPEAL_MESSAGES["not_rejected"], language), 409)
    if not reason:
        return refuse(translate(_APPEAL_MESSAGES["no_reason"], language), 422)
    if len(reason) > APPEAL_REASON_MAX:
        too_long = translate(_APPEAL_MESSAGES["too_long"], language)
        return refuse(too_long.format(max=APPEAL_REASON_MAX), 422)
    try:
        complaint = service.transition_complaint(
            session,
            complaint_id=complaint.id,
            action=Action.APPEAL,
            expected_version=complaint.version,
            actor=queries.customer_actor(complaint),
            clock=kesu.clock,
            note=reason,
        )
    except InvalidTransition as error:
        # Someone else moved the case between the read and the write.
        return refuse(translate(_APPEAL_MESSAGES["not_rejected"], language), error.http_status)
    except ReasonRequired as error:
        # The reason was nothing but control characters.
        return refuse(translate(_APPEAL_MESSAGES["no_reason"], language), error.http_status)
    except KesuError as error:
        return refuse(error.message(language), error.http_status)
    return _tracking_page(
        request, session, complaint, values, notice=translate(_APPEAL_MESSAGES["sent"], language)
    )


@router.get("/followup/{token}", response_class=HTMLResponse)
def survey_form(token: str, request: Request, session: DbSession, kesu: KesuApp) -> HTMLResponse:
    """The satisfaction survey a customer opens from the link in the follow-up message."""
    try:
        visit = followup.visit_from_token(session, kesu.settings.secret_key, token)
    except KesuError as error:
        return render(
            request,
            "portal/survey.html",
            {"error": error.message(request_language(request)), "done": False},
            status_code=error.http_status,
        )
    complaint = session.get(Complaint, visit.complaint_id)
    return render(
        request,
        "portal/survey.html",
        {"complaint": complaint, "token": token, "error": None, "done": False},
    )


@router.post("/followup/{token}", response_class=HTMLResponse)
def answer_survey(
    token: str,
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    csat: Annotated[int, Form(ge=1, le=5)],
    nps: Annotated[int | None, Form(ge=0, le=10)] = None,
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    try:
        visit = followup.visit_from_token(session, kesu.settings.secret_key, token)
        complaint = session.get(Complaint, visit.complaint_id)
        if complaint is None:
            raise NoVisitPending()
        followup.record_visit(
            session,
            complaint_id=complaint.id,
            answer=VisitAnswer(csat=csat, nps=nps, comment=comment or None, channel="portal"),
            actor=queries.customer_actor(complaint),
            clock=kesu.clock,
            by_customer=True,
        )
    except KesuError as error:
        return render(
            request,
            "portal/survey.html",
            {"error": error.message(request_language(request)), "done": False},
            status_code=error.http_status,
        )
    return render(request, "portal/survey.html", {"error": None, "done": True, "csat": csat})
