"""Customer portal: file a complaint, get the tracking number, follow its progress."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from kesu.bootstrap import Kesu
from kesu.complaints import queries
from kesu.complaints.models import Channel, Complaint
from kesu.core.actors import Actor
from kesu.core.errors import KesuError
from kesu.core.i18n import Language
from kesu.followup import service as followup
from kesu.followup.errors import NoVisitPending
from kesu.followup.schemas import VisitAnswer
from kesu.intake import service as intake
from kesu.intake.service import IntakeResult
from kesu.web.deps import DbSession, KesuApp
from kesu.web.pages.forms import PostedComplaint, complaint_form_context, read_complaint_form
from kesu.web.pages.rendering import render

router = APIRouter(include_in_schema=False)


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
) -> IntakeResult | HTMLResponse:
    """Register a posted form, or the form again with what is wrong (nothing is stored then)."""
    staff = agent is not None
    if posted.draft is None:
        context = complaint_form_context(posted.values, posted.errors, staff=staff)
        return render(request, "portal/file.html", {**context, **extra}, status_code=422)
    draft = posted.draft if staff else posted.draft.model_copy(update={"channel": Channel.WEB})
    try:
        return intake.submit_complaint(
            session,
            draft,
            policy=kesu.intake_policy,
            clock=kesu.clock,
            store=kesu.evidence_store,
            engine=kesu.triage_engine,
            uploads=posted.uploads,
            idempotency_key=posted.submission_key,
            agent=agent,
        )
    except KesuError as error:
        errors = {"form": error.message(Language.ZH)}
        context = complaint_form_context(posted.values, errors, staff=staff)
        return render(
            request, "portal/file.html", {**context, **extra}, status_code=error.http_status
        )


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


@router.post("/track", response_class=HTMLResponse)
def track(
    request: Request,
    session: DbSession,
    tracking_number: Annotated[str, Form(max_length=40)] = "",
    phone: Annotated[str, Form(max_length=254)] = "",
) -> HTMLResponse:
    # POST, not GET: the phone number stays out of URLs, browser history and access logs.
    values = {"tracking_number": tracking_number.strip(), "phone": phone.strip()}
    try:
        complaint = queries.access_by_tracking_number(
            session, tracking_number=values["tracking_number"], contact=values["phone"]
        )
    except KesuError as error:
        context = {"values": values, "error": error.message(Language.ZH), "view": None}
        return render(request, "portal/track.html", context, status_code=error.http_status)
    view = queries.public_view(session, complaint, Language.ZH)
    return render(request, "portal/track.html", {"values": values, "error": None, "view": view})


@router.get("/followup/{token}", response_class=HTMLResponse)
def survey_form(token: str, request: Request, session: DbSession, kesu: KesuApp) -> HTMLResponse:
    """The satisfaction survey a customer opens from the link in the follow-up message."""
    try:
        visit = followup.visit_from_token(session, kesu.settings.secret_key, token)
    except KesuError as error:
        return render(
            request,
            "portal/survey.html",
            {"error": error.message(Language.ZH), "done": False},
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
            {"error": error.message(Language.ZH), "done": False},
            status_code=error.http_status,
        )
    return render(request, "portal/survey.html", {"error": None, "done": True, "csat": csat})
