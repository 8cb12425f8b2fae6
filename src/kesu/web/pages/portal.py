"""Customer portal: file a complaint, get the tracking number, follow its progress."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kesu.complaints import queries
from kesu.complaints.models import Channel
from kesu.core.errors import KesuError
from kesu.core.i18n import Language
from kesu.intake import service as intake
from kesu.web.deps import DbSession, KesuApp
from kesu.web.pages.forms import complaint_form_context, draft_from_form, uploads_from_form
from kesu.web.pages.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def file_form(request: Request) -> HTMLResponse:
    return render(
        request, "portal/file.html", complaint_form_context({"demands": []}, {}, staff=False)
    )


@router.post("/complaints", response_class=HTMLResponse)
async def file_complaint(request: Request, kesu: KesuApp, session: DbSession) -> HTMLResponse:
    form = await request.form()
    draft, errors, values = draft_from_form(form)
    if draft is None:
        return render(
            request,
            "portal/file.html",
            complaint_form_context(values, errors, staff=False),
            status_code=422,
        )
    draft.channel = Channel.WEB
    try:
        result = intake.submit_complaint(
            session,
            draft,
            policy=kesu.intake_policy,
            clock=kesu.clock,
            store=kesu.evidence_store,
            uploads=await uploads_from_form(form, kesu.intake_policy.evidence.max_bytes),
            idempotency_key=str(form.get("submission_key") or "") or None,
        )
    except KesuError as error:
        context = complaint_form_context(values, {"form": error.message(Language.ZH)}, staff=False)
        return render(request, "portal/file.html", context, status_code=error.http_status)
    return render(
        request,
        "portal/receipt.html",
        {"complaint": result.complaint, "hours": kesu.intake_policy.first_response_hours},
        status_code=201 if result.created else 200,
    )


@router.get("/track", response_class=HTMLResponse)
def track_form(request: Request) -> HTMLResponse:
    return render(request, "portal/track.html", {"values": {}, "error": None, "view": None})


@router.post("/track", response_class=HTMLResponse)
async def track(request: Request, session: DbSession) -> HTMLResponse:
    # POST, not GET: the phone number stays out of URLs, browser history and access logs.
    form = await request.form()
    values = {key: str(form.get(key) or "").strip() for key in ("tracking_number", "phone")}
    try:
        complaint = queries.access_by_tracking_number(
            session, tracking_number=values["tracking_number"], contact=values["phone"]
        )
    except KesuError as error:
        context = {"values": values, "error": error.message(Language.ZH), "view": None}
        return render(request, "portal/track.html", context, status_code=error.http_status)
    view = queries.public_view(session, complaint, Language.ZH)
    return render(request, "portal/track.html", {"values": values, "error": None, "view": view})
