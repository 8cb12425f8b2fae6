"""Turn posted forms into the same schemas the API accepts, with errors a person can read."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from kesu.complaints.models import Channel, Demand, TargetType
from kesu.complaints.schemas import ComplaintDraft
from kesu.complaints.service import EvidenceUpload
from kesu.core.i18n import DEFAULT_LANGUAGE, Language
from kesu.web.errors import request_language
from kesu.web.translation import N_, translate

_FIELD_LABELS = {
    "complainant_name": N_("投诉人姓名"),
    "phone": N_("联系电话"),
    "email": N_("电子邮箱"),
    "region": N_("所在地区"),
    "target_type": N_("投诉对象类型"),
    "target": N_("投诉对象"),
    "product_line": N_("产品线"),
    "order_number": N_("订单号"),
    "description": N_("投诉内容"),
    "demands": N_("诉求"),
    "occurred_at": N_("发生日期"),
    "channel": N_("受理渠道"),
}
_REQUIRED = N_("必填")
_TOO_LONG = N_("内容过长")
_NO_CONTACT = N_("请至少填写联系电话或电子邮箱")
_MALFORMED = N_("格式不正确")
_FIELD_PROBLEM = N_("{field}：{problem}")


def draft_from_form(
    form: FormData, *, language: Language = DEFAULT_LANGUAGE
) -> tuple[ComplaintDraft | None, dict[str, str], dict[str, Any]]:
    """Returns (draft or None, errors by field in ``language``, the values to show again)."""
    values: dict[str, Any] = {
        key: str(form.get(key) or "").strip()
        for key in (
            "complainant_name",
            "phone",
            "email",
            "channel",
            "region",
            "target_type",
            "target",
            "product_line",
            "order_number",
            "description",
            "occurred_on",
        )
    }
    values["demands"] = [str(v) for v in form.getlist("demands")]
    data: dict[str, Any] = {
        key: values[key] or None
        for key in (
            "complainant_name",
            "phone",
            "email",
            "region",
            "target",
            "product_line",
            "order_number",
            "description",
        )
    }
    data["demands"] = values["demands"]
    if values["channel"]:
        data["channel"] = values["channel"]
    if values["target_type"]:
        data["target_type"] = values["target_type"]
    if values["occurred_on"]:
        data["occurred_at"] = f"{values['occurred_on']}T00:00:00+08:00"
    try:
        return ComplaintDraft.model_validate(data), {}, values
    except ValidationError as error:
        problems: dict[str, str] = {}
        for item in error.errors():
            field = str(item["loc"][0]) if item["loc"] else "form"
            if field == "form" and not (values["phone"] or values["email"]):
                # A rule across fields has no field to name; with no contact given it is the
                # phone-or-e-mail rule, recognised here rather than by the wording of its error.
                problems.setdefault(field, translate(_NO_CONTACT, language))
                continue
            problem = translate(_message(item), language)
            name = translate(_FIELD_LABELS.get(field, field), language)
            problems.setdefault(
                field, translate(_FIELD_PROBLEM, language).format(field=name, problem=problem)
            )
        return None, problems, values


def _message(item: Any) -> str:
    kind = item["type"]
    if kind in {"missing", "string_type", "string_too_short", "too_short"}:
        return _REQUIRED
    if kind in {"string_too_long", "too_long"}:
        return _TOO_LONG
    return _MALFORMED


@dataclass(frozen=True)
class PostedComplaint:
    """A submitted registration form, read completely before any database work starts."""

    draft: ComplaintDraft | None
    errors: dict[str, str]
    values: dict[str, Any]
    uploads: list[EvidenceUpload]
    submission_key: str | None
    csrf: str


async def read_complaint_form(request: Request, max_bytes: int) -> PostedComplaint:
    async with request.form() as form:
        draft, errors, values = draft_from_form(form, language=request_language(request))
        uploads = []
        for item in form.getlist("files"):
            if not isinstance(item, UploadFile) or not item.filename:
                continue
            # One byte past the limit is enough to refuse; a huge file is never read whole.
            data = await item.read(max_bytes + 1)
            uploads.append(
                EvidenceUpload(
                    filename=item.filename,
                    content_type=item.content_type or "application/octet-stream",
                    data=data,
                )
            )
        return PostedComplaint(
            draft=draft,
            errors=errors,
            values=values,
            uploads=uploads,
            submission_key=str(form.get("submission_key") or "") or None,
            csrf=str(form.get("csrf") or ""),
        )


SELF_SERVICE_CHANNELS = (Channel.WEB,)


def complaint_form_context(
    values: dict[str, object], errors: dict[str, str], *, staff: bool
) -> dict[str, object]:
    return {
        "values": values,
        "errors": errors,
        "demands": list(Demand),
        "target_types": list(TargetType),
        "channels": list(Channel) if staff else list(SELF_SERVICE_CHANNELS),
        "staff": staff,
        # One key per rendered form: a double click or a browser resubmit files one complaint.
        "submission_key": secrets.token_urlsafe(16),
    }
