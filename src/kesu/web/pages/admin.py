"""Administration pages (系统管理, administrators only): departments, staff accounts and roles,
SLA policies and the organisation calendar, reply templates, the cause catalogue, routing rules.

Every page refuses anyone without the administrators' permissions; every form post checks the
session's CSRF token, goes through one domain command (which records the audit entry) and, if
refused, shows the same page again with the message in the reader's language and the values
that were typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.orm import Session

from kesu.accounts import permissions
from kesu.accounts import queries as accounts_queries
from kesu.accounts import service as accounts
from kesu.accounts.models import User
from kesu.accounts.permissions import Permission
from kesu.accounts.schemas import (
    MIN_PASSWORD_LENGTH,
    STAFF_ROLES,
    DepartmentCreate,
    DepartmentRename,
    PasswordReset,
    UserCreate,
    UserUpdate,
)
from kesu.bootstrap import Kesu
from kesu.complaints import queries as complaint_queries
from kesu.core.errors import KesuError, NotFound
from kesu.core.i18n import Language
from kesu.handling import queries as handling_queries
from kesu.handling import service as handling_service
from kesu.handling.replies import ReplyTemplateWrite
from kesu.handling.schemas import CauseCreate
from kesu.intake import inbox
from kesu.routing import queries as routing_queries
from kesu.routing import service as routing_service
from kesu.routing.schemas import RuleDraft, Strategy
from kesu.sla import queries as sla_queries
from kesu.sla import service as sla_service
from kesu.sla.calendar import ClockType
from kesu.sla.schemas import CalendarDayWrite, PolicyCreate, PolicyRead
from kesu.text.analysis import Priority
from kesu.text.classify import CATEGORIES
from kesu.web.deps import DbSession, KesuApp, OptionalUser, actor_of
from kesu.web.errors import request_language
from kesu.web.pages.guards import check_csrf, csrf_for, to_login
from kesu.web.pages.rendering import render
from kesu.web.translation import N_, translate

router = APIRouter(include_in_schema=False)
HUB = "/agent/admin"
MAX_RULE_FILE_BYTES = 1_000_000
# Generous bounds on raw form fields: the schemas give the precise, readable refusal.
_SHORT = 200
_LONG = 5000

_STRATEGY_LABELS = {
    Strategy.DEPARTMENT: N_("交部门分配"),
    Strategy.LEAST_LOADED: N_("最少在办"),
    Strategy.ROUND_ROBIN: N_("轮流"),
    Strategy.SKILL: N_("按技能"),
}
_CLOCK_TYPE_LABELS = {ClockType.CALENDAR: N_("自然时间"), ClockType.WORKING: N_("工作时间")}
_TAG_LABELS = {
    "vip": N_("重要客户"),
    "frequent": N_("经常投诉"),
    "professional_claimant": N_("职业索赔"),
    "blacklist": N_("黑名单"),
}
_NOTICES = {"saved": N_("已保存。")}


@dataclass(frozen=True)
class Section:
    href: str
    title: str
    summary: str


SECTIONS = (
    Section(f"{HUB}/departments", N_("部门"), N_("责任部门，以及消协模式下的各级单位。")),
    Section(f"{HUB}/users", N_("用户与角色"), N_("工作人员账号：角色、部门、停用与重设密码。")),
    Section(f"{HUB}/sla", N_("时限策略"), N_("按类别、优先级和客户标签承诺的响应与处理时限。")),
    Section(f"{HUB}/calendar", N_("工作日历"), N_("企业自己的休息日和调休工作日。")),
    Section(f"{HUB}/replies", N_("答复模板"), N_("各类投诉在各个环节给客户的答复措辞。")),
    Section(f"{HUB}/causes", N_("原因目录"), N_("调查记录中选用的根本原因。")),
    Section(f"{HUB}/routing", N_("派单规则"), N_("新投诉按规则派给责任部门和处理人。")),
    Section(f"{HUB}/intake", N_("受理队列"), N_("接口已受理、等待登记的投诉，以及登记失败的。")),
)


@dataclass(frozen=True)
class Problem:
    """A refused form post: the message to show and the fields to mark invalid."""

    message: str
    status_code: int
    fields: frozenset[str] = frozenset()


def _reason(detail: ErrorDetails, language: Language) -> str:
    kind, context = detail["type"], detail.get("ctx", {})
    if kind == "missing" or (kind == "string_too_short" and context.get("min_length") == 1):
        return translate("不能为空", language)
    if kind == "string_too_short":
        return translate("至少需要 %(n)s 个字符", language) % {"n": context["min_length"]}
    if kind == "string_too_long":
        return translate("不能超过 %(n)s 个字符", language) % {"n": context["max_length"]}
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return translate("超出允许范围", language)
    return translate("格式不正确", language)


def _invalid(error: ValidationError, language: Language, labels: Mapping[str, str]) -> Problem:
    separator = "：" if language is Language.ZH else ": "
    messages, fields = [], set()
    for detail in error.errors():
        field = str(detail["loc"][0]) if detail["loc"] else ""
        fields.add(field)
        name = translate(labels.get(field, field), language)
        messages.append(f"{name}{separator}{_reason(detail, language)}")
    return Problem(
        ("；" if language is Language.ZH else "; ").join(messages), 422, frozenset(fields)
    )


def _attempt(
    command: Callable[[], object], language: Language, labels: Mapping[str, str]
) -> Problem | None:
    """Run one command for a form post; the refusal, if any, as a problem to show."""
    try:
        command()
    except ValidationError as error:
        return _invalid(error, language, labels)
    except KesuError as error:
        return Problem(error.message(language), error.http_status)
    return None


def _filled(form: Mapping[str, str]) -> dict[str, str]:
    """Posted values without blanks: an empty optional field means "not given"."""
    return {key: value.strip() for key, value in form.items() if value.strip()}


def _may(user: User, permission: Permission) -> None:
    permissions.require(user.role, permission)


def _translated(labels: Mapping[Any, str], language: Language) -> dict[str, str]:
    return {str(code): translate(text, language) for code, text in labels.items()}


def _page(
    request: Request,
    kesu: Kesu,
    user: User,
    template: str,
    context: Mapping[str, Any],
    *,
    problem: Problem | None = None,
    form: Mapping[str, Any] | None = None,
    failed: str = "",
) -> HTMLResponse:
    language = request_language(request)
    notice = _NOTICES.get(request.query_params.get("done", ""))
    return render(
        request,
        template,
        {
            "user": user,
            "csrf": csrf_for(request, kesu),
            "hub": HUB,
            "error": problem.message if problem else None,
            "invalid": problem.fields if problem else frozenset(),
            "failed": failed if problem else "",
            "form": form or {},
            "notice": translate(notice, language) if notice and problem is None else None,
            **context,
        },
        status_code=problem.status_code if problem else 200,
    )


def _saved(path: str, anchor: str = "") -> RedirectResponse:
    separator = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{separator}done=saved{anchor}", status_code=303)


@router.get(HUB, response_class=HTMLResponse, response_model=None)
def hub(request: Request, kesu: KesuApp, user: OptionalUser) -> Response:
    if user is None:
        return to_login(request)
    _may(user, Permission.MANAGE_SETTINGS)
    return _page(request, kesu, user, "admin/index.html", {"sections": SECTIONS})


# 部门 departments ------------------------------------------------------------------------------

_DEPARTMENT_LABELS = {
    "code": N_("部门代码"),
    "name": N_("部门名称"),
    "parent_id": N_("上级部门"),
    "region": N_("所辖地区"),
}


def _departments(
    request: Request, session: Session, kesu: Kesu, user: User, **shown: Any
) -> HTMLResponse:
    rows = accounts_queries.departments(session, actor_of(user))
    return _page(request, kesu, user, "admin/departments.html", {"departments": rows}, **shown)


@router.get(f"{HUB}/departments", response_class=HTMLResponse, response_model=None)
def departments(
    request: Request, session: DbSession, kesu: KesuApp, user: OptionalUser
) -> Response:
    if user is None:
        return to_login(request)
    _may(user, Permission.MANAGE_ACCOUNTS)
    return _departments(request, session, kesu, user)


@router.post(f"{HUB}/departments", response_model=None)
def add_department(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    code: Annotated[str, Form(max_length=_SHORT)] = "",
    name: Annotated[str, Form(max_length=_SHORT)] = "",
    parent_id: Annotated[str, Form(max_length=20)] = "",
    region: Annotated[str, Form(max_length=_SHORT)] = "",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    _may(user, Permission.MANAGE_ACCOUNTS)
    form = {"code": code, "name": name, "parent_id": parent_id, "region": region}

    def create() -> None:
        draft = DepartmentCreate.model_validate(_filled(form))
        accounts.create_department(
            session, **draft.model_dump(), clock=kesu.clock, actor=actor_of(user)
        )

    problem = _attempt(create, request_language(request), _DEPARTMENT_LABELS)
    if problem is not None:
        return _departments(request, session, kesu, user, problem=problem, form=form, failed="add")
    return _saved(f"{HUB}/departments")


@router.post(f"{HUB}/departments/{{department_id}}/name", response_model=None)
def rename_department(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    department_id: int,
    csrf: Annotated[str, Form()],
    name: Annotated[str, Form(max_length=_SHORT)] = "",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    _may(user, Permission.MANAGE_ACCOUNTS)

    def rename() -> None:
        draft = DepartmentRename.model_validate(_filled({"name": name}))
        accounts.rename_department(
            session,
            department_id=department_id,
            name=draft.name,
            actor=actor_of(user),
            clock=kesu.clock,
        )

    problem = _attempt(rename, request_language(request), _DEPARTMENT_LABELS)
    if problem is not None:
        return _departments(
            request,
            session,
            kesu,
            user,
            problem=problem,
            form={"name": name},
            failed=f"rename-{department_id}",
        )
    return _saved(f"{HUB}/departments")


# 用户与角色 users and roles ------------------------------------------------------------------

_USER_LABELS = {
    "username": N_("用户名"),
    "display_name": N_("姓名"),
    "role": N_("角色"),
    "department_id": N_("所属部门"),
    "password": N_("密码"),
    "skills": N_("擅长类别"),
}


def _user_choices(session: Session, user: User) -> dict[str, Any]:
    return {
        "roles": STAFF_ROLES,
        "departments": accounts_queries.departments(session, actor_of(user)),
        "min_password": MIN_PASSWORD_LENGTH,
    }


def _users(
    request: Request, session: Session, kesu: Kesu, user: User, **shown: Any
) -> HTMLResponse:
    context = {"users": accounts_queries.users(session, actor_of(user))}
    context.update(_user_choices(session, user))
    return _page(request, kesu, user, "admin/users.html", context, **shown)


@router.get(f"{HUB}/users", response_class=HTMLResponse, response_model=None)
def users(request: Request, session: DbSession, kesu: KesuApp, user: OptionalUser) -> Response:
    if user is None:
        return to_login(request)
    _may(user, Permission.MANAGE_ACCOUNTS)
    return _users(request, session, kesu, user)


@router.post(f"{HUB}/users", response_model=None)
def create_user(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    username: Annotated[str, Form(max_length=_SHORT)] = "",
    display_name: Annotated[str, Form(max_length=_SHORT)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    department_id: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=_SHORT)] = "",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    _may(user, Permission.MANAGE_ACCOUNTS)
    # The password is never sent back, not even to the administrator who typed it.
    form = {
        "username": username,
        "display_name": display_name,
        "role": role,
        "department_id": department_id,
    }

    def create() -> None:
        draft = UserCreate.model_validate({**_filled(form), "password": password})
        accounts.create_user(
            session,
            username=draft.username,
            display_name=draft.display_name,
            role=draft.role,
            password=draft.password,
            department_id=draft.department_id,
            clock=kesu.clock,
            actor=actor_of(user),
        )

    problem = _attempt(create, request_language(request), _USER_LABELS)
    if problem is not None:
        return _users(request, session, kesu, user, problem=problem, form=form, failed="add")
    return _saved(f"{HUB}/users")


def _account(
    request: Request, session: Session, kesu: Kesu, user: User, user_id: int, **shown: Any
) -> HTMLResponse:
    context: dict[str, Any] = {
        "account": accounts_queries.user(session, actor_of(user), user_id),
        "categories": CATEGORIES,
    }
    context.update(_user_choices(session, user))
    return _page(request, kesu, user, "admin/user.html", context, **shown)


@router.get(f"{HUB}/users/{{user_id}}", response_class=HTMLResponse, response_model=None)
def account(
    request: Request, session: DbSession, kesu: KesuApp, user: OptionalUser, user_id: int
) -> Response:
    if user is None:
        return to_login(request)
    _may(user, Permission.MANAGE_ACCOUNTS)
    return _account(request, session, kesu, user, user_id)


@router.post(f"{HUB}/users/{{user_id}}", response_model=None)
def update_user(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    user_id: int,
    csrf: Annotated[str, Form()],
    role: Annotated[str, Form(max_length=20)] = "",
    department_id: Annotated[str, Form(max_length=20)] = "",
    skills: Annotated[list[str] | None, Form()] = None,
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    _may(user, Permission.MANAGE_ACCOUNTS)
    form: dict[str, Any] = {"role": role, "department_id": department_id}

    def update() -> None:
        draft = UserUpdate.model_validate({**_filled(form), "skills": skills or []})
        accounts.update_user(
            session,
            user_id=user_id,
            role=draft.role,
            department_id=draft.department_id,
            skills=draft.skills,
            actor=actor_of(user),
            clock=kesu.clock,
        )

    problem = _attempt(update, request_language(request), _USER_LABELS)
    if problem is not None:
        form["skills"] = skills or []
        return _account(
            request, session, kesu, user, user_id, problem=problem, form=form, failed="update"
        )
    return _saved(f"{HUB}/users/{user_id}")


@router.post(f"{HUB}/users/{{user_id}}/active", response_model=None)
def set_user_active(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    user_id: int,
    csrf: Annotated[str, Form()],
    active: Annotated[bool, Form()],
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    _may(user, Permission.MANAGE_ACCOUNTS)
    problem = _attempt(
        lambda: accounts.set_user_active(
            session, user_id=user_id, active=active, actor=actor_of(user), clock=kesu.clock
        ),
        request_language(request),
        _USER_LABELS,
    )
    if problem is not None:
        return _account(request, session, kesu, user, user_id, problem=problem, failed="active")
    return _saved(f"{HUB}/users/{user_id}")


@router.post(f"{HUB}/users/{{user_id}}/password", response_model=None)
def reset_password(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    user_id: int,
    csrf: Annotated[str, Form()],
    password: Annotated[str, Form(max_length=_SHORT)] = "",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    _may(user, Permission.MANAGE_ACCOUNTS)

    def reset() -> None:
        draft = PasswordReset.model_validate({"password": password})
        accounts.reset_password(
            session,
            user_id=user_id,
            password=draft.password,
            actor=actor_of(user),
            clock=kesu.clock,
        )

    problem = _attempt(reset, request_language(request), _USER_LABELS)
    if problem is not None:
        return _account(request, session, kesu, user, user_id, problem=problem, failed="password")
    return _saved(f"{HUB}/users/{user_id}")


# 时限策略 SLA policies -----------------------------------------------------------------------

_POLICY_LABELS = {
    "name": N_("策略名称"),
    "category": N_("类别"),
    "priority": N_("优先级"),
    "customer_tag": N_("客户标签"),
    "first_response_minutes": N_("首次响应时限（小时）"),
    "first_response_clock_type": N_("首次响应计时"),
    "resolution_minutes": N_("处理时限（小时）"),
    "clock_type": N_("处理计时"),
    "warn_before_minutes": N_("提前提醒（小时）"),
    "compensation_voucher": N_("超时补偿"),
}
_HOURS_FIELDS = {
    "first_response_hours": "first_response_minutes",
    "resolution_hours": "resolution_minutes",
    "warn_before_hours": "warn_before_minutes",
}


def _minutes(hours: str) -> int | str:
    try:
        value = Decimal(hours)
    except InvalidOperation:
        return hours  # refused by the schema, against the field the person typed it in
    if not value.is_finite():
        return hours
    return int((value * 60).to_integral_value(rounding=ROUND_HALF_UP))


def _policy_draft(form: Mapping[str, str]) -> PolicyCreate:
    values: dict[str, Any] = _filled(form)
    for hours_field, minutes_field in _HOURS_FIELDS.items():
        if hours_field in values:
            values[minutes_field] = _minutes(values.pop(hours_field))
    return PolicyCreate.model_validate(values)


def _hours(minutes: int) -> str:
    return f"{minutes / 60:g}"


def _policy_form(policy: PolicyRead) -> dict[str, Any]:
    return {
        "name": policy.name,
        "category": policy.category or "",
        "priority": policy.priority or "",
        "customer_tag": policy.customer_tag or "",
        "first_response_hours": _hours(policy.first_response_minutes),
        "first_response_clock_type": policy.first_response_clock_type,
        "resolution_hours": _hours(policy.resolution_minutes),
        "clock_type": policy.clock_type,
        "warn_before_hours": _hours(policy.warn_before_minutes),
        "compensation_voucher": policy.compensation_voucher or "",
        "is_active": policy.is_active,
    }


_NEW_POLICY = {
    "first_response_hours": "24",
    "first_response_clock_type": ClockType.CALENDAR.value,
    "resolution_hours": "45",
    "clock_type": ClockType.WORKING.value,
    "warn_before_hours": "4",
}


def _policy_choices(language: Language) -> dict[str, Any]:
    return {
        "categories": CATEGORIES,
        "priorities": list(Priority),
        "tag_labels": _translated(_TAG_LABELS, language),
        "clock_type_labels": _translated(_CLOCK_TYPE_LABELS, language),
        "hours": _hours,
    }


def _policies(
    request: Request, session: Session, kesu: Kesu, user: User, **shown: Any
) -> HTMLResponse:
    context = {"policies": sla_queries.policies(session), "new_policy": _NEW_POLICY}
    context.update(_policy_choices(request_language(request)))
    return _page(request, kesu, user, "admin/sla.html", context, **shown)


@router.get(f"{HUB}/sla", response_class=HTMLResponse, response_model=None)
def policies(request: Request, session: DbSession, kesu: KesuApp, user: OptionalUser) -> Response:
    if user is None:
        return to_login(request)
    _may(user, Permission.MANAGE_SETTINGS)
    return _policies(request, session, kesu, user)


def _posted_policy(
    name: str = "",
    category: str = "",
    priority: str = "",
    customer_tag: str = "",
    first_response_hours: str = "",
    first_response_clock_type: str = "",
    resolution_hours: str = "",
    clock_type: str = "",
    warn_before_hours: str = "",
    compensation_voucher: str = "",
) -> dict[str, str]:
    return {
        "name": name,
        "category": category,
        "priority": priority,
        "customer_tag": customer_tag,
        "first_response_hours": first_response_hours,
        "first_response_clock_type": first_response_clock_type,
        "resolution_hours": resolution_hours,
        "clock_type": clock_type,
        "warn_before_hours": warn_before_hours,
        "compensation_voucher": compensation_voucher,
    }


PolicyField = Annotated[str, Form(max_length=_SHORT)]


@router.post(f"{HUB}/sla", response_model=None)
def add_policy(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    name: PolicyField = "",
    category: PolicyField = "",
    priority: PolicyField = "",
    customer_tag: PolicyField = "",
    first_response_hours: PolicyField = "",
    first_response_clock_type: PolicyField = "",
    resolution_hours: PolicyField = "",
    clock_type: PolicyField = "",
    warn_before_hours: PolicyField = "",
    compensation_voucher: PolicyField = "",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    _may(user, Permission.MANAGE_SETTINGS)
    form = _posted_policy(
        name,
        category,
        priority,
        customer_tag,
        first_response_hours,
        first_response_clock_type,
        resolution_hours,
        clock_type,
        warn_before_hours,
        compensation_voucher,
    )
    problem = _attempt(
        lambda: sla_service.create_policy(
            session, _policy_draft(form), actor=actor_of(user), now=kesu.clock.now()
        ),
        request_language(request),
        _POLICY_LABELS,
    )
    if problem is not None:
        return _policies(request, session, kesu, user, problem=problem, form=form, failed="add")
    return _saved(f"{HUB}/sla")


def _policy_page(
    request: Request, session: Session, kesu: Kesu, user: User, policy_id: int, **shown: Any
) -> HTMLResponse:
    policy = sla_queries.policy(session, policy_id)
    shown.setdefault("form", _policy_form(policy))
    context = {"policy": policy}
    context.update(_policy_choices(request_language(request)))
    return _page(request, kesu, user, "admin/policy.html", context, **shown)


@router.get(f"{HUB}/sla/{{policy_id}}", response_class=HTMLResponse, response_model=None)
def policy(
    request: Request, session: DbSession, kesu: KesuApp, user: OptionalUser, policy_id: int
) -> Response:
    if user is None:
        return to_login(request)
    _may(user, Permission.MANAGE_SETTINGS)
    return _policy_page(request, session, kesu, user, policy_id)


@router.post(f"{HUB}/sla/{{policy_id}}", response_model=None)
def update_policy(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    policy_id: int,
    csrf: Annotated[str, Form()],
    name: PolicyField = "",
    category: PolicyField = "",
    priority: PolicyField = "",
    customer_tag: PolicyField = "",
    first_response_hours: PolicyField = "",
    first_response_clock_type: PolicyField = "",
    resolution_hours: PolicyField = "",
    clock_type: PolicyField = "",
    warn_before_hours: PolicyField = "",
    compensation_voucher: PolicyField = "",
    is_active: Annotated[bool, Form()] = False,
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    _may(user, Permission.MANAGE_SETTINGS)
    form: dict[str, Any] = _posted_policy(
        name,
        category,
        priority,
        customer_tag,
        first_response_hours,
        first_response_clock_type,
        resolution_hours,
        clock_type,
        warn_before_hours,
        compensation_voucher,
    )
    problem = _attempt(
        lambda: sla_service.update_policy(
            session,
            policy_id,
            _policy_draft(form),
            is_active=is_active,
            actor=actor_of(user),
            now=kesu.clock.now(),
        ),
        request_language(request),
        _POLICY_LABELS,
    )
    if problem is not None:
        form["is_active"] = is_active
        return _policy_page(
            request, session, kesu, user, policy_id, problem=problem, form=form, failed="edit"
        )
    return _saved(f"{HUB}/sla")


# 工作日历 organisation calendar --------------------------------------------------------------

_CALENDAR_LABELS = {"day": N_("日期"), "is_working": N_("类型"), "note": N_("说明")}
_DAY_KINDS = {"closed": False, "working": True}


class _DayForm(BaseModel):
    day: date


def _calendar(
    request: Request, session: Session, kesu: Kesu, user: User, **shown: Any
) -> HTMLResponse:
    context = {"days": sla_queries.calendar_days(session)}
    return _page(request, kesu, user, "admin/calendar.html", context, **shown)


@router.get(f"{HUB}/calendar", response_class=HTMLResponse, response_model=None)
def calendar(request: Request, session: DbSession, kesu: KesuApp, user: OptionalUser) -> Response:
    if user is None:
        return to_login(request)
    _may(user, Permission.MANAGE_SETTINGS)
    return _calendar(request, session, kesu, user)


@router.post(f"{HUB}/calendar", response_model=None)
def set_calendar_day(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    day: Annotated[str, Form(max_length=40)] = "",
    kind: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=_LONG)] = "",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    _may(user, Permission.MANAGE_SETTINGS)
    form = {"day": day, "kind": kind, "note": note}

    def set_day() -> None:
        values: dict[str, Any] = _filled({"day": day, "note": note})
        values["is_working"] = _DAY_KINDS.get(kind, kind)
        sla_service.set_calendar_day(
            session,
            CalendarDayWrite.model_validate(values),
            actor=actor_of(user),
            now=kesu.clock.now(),
        )

    problem = _attempt(set_day, request_language(request), _CALENDAR_LABELS)
    if problem is not None:
        return _calendar(request, session, kesu, user, problem=problem, form=form, failed="add")
    return _saved(f"{HUB}/calendar")


@router.post(f"{HUB}/calendar/remove", response_model=None)
def remove_calendar_day(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    day: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    _may(user, Permission.MANAGE_SETTINGS)
    problem = _attempt(
        lambda: sla_service.remove_calendar_day(
            session,
            _DayForm.model_validate({"day": day}).day,
            actor=actor_of(user),
            now=kesu.clock.now(),
        ),
        request_language(request),
        _CALENDAR_LABELS,
    )
    if problem is not None:
        return _calendar(request, session, kesu, user, problem=problem, failed="remove")
    return _saved(f"{HUB}/calendar")


# 答复模板 reply templates --------------------------------------------------------------------

_REPLY_LABELS = {"text": N_("模板内容")}


def _replies(
    request: Request, session: Session, kesu: Kesu, user: User, category: str, **shown: Any
) -> HTMLResponse:
    context = {
        "category": category,
        "categories": CATEGORIES,
        "entries": handling_queries.reply_template_catalogue(session, category),
    }
    return _page(request, kesu, user, "admin/replies.html", context, **shown)


def _known_category(category: str) -> str:
    if category not in CATEGORIES:
        raise NotFound()
    return category


@router.get(f"{HUB}/replies", response_class=HTMLResponse, response_model=None)
def replies(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    category: Annotated[str, Query(max_length=32)] = CATEGORIES[0],
) -> Response:
    if user is None:
        return to_login(request)
    _may(user, Permission.MANAGE_SETTINGS)
    return _replies(request, session, kesu, user, _known_category(category))


@router.post(f"{HUB}/replies", response_model=None)
def save_reply_template(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    category: Annotated[str, Form(max_length=32)],
    situation: Annotated[str, Form(max_length=32)],
    text: Annotated[str, Form(max_length=_LONG)] = "",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    _may(user, Permission.MANAGE_SETTINGS)
    _known_category(category)

    def save() -> None:
        draft = ReplyTemplateWrite.model_validate(_filled({"text": text}))
        handling_service.save_reply_template(
            session,
            category=category,
            situation=situation,
            text=draft.text,
            actor=actor_of(user),
            clock=kesu.clock,
        )

    problem = _attempt(save, request_language(request), _REPLY_LABELS)
    if problem is not None:
        return _replies(
            request,
            session,
            kesu,
            user,
            category,
            problem=problem,
            form={"text": text},
            failed=situation,
        )
    return _saved(f"{HUB}/replies?category={category}", f"#{situation}")


@router.post(f"{HUB}/replies/restore", response_model=None)
def restore_reply_template(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    category: Annotated[str, Form(max_length=32)],
    situation: Annotated[str, Form(max_length=32)],
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    _may(user, Permission.MANAGE_SETTINGS)
    _known_category(category)
    problem = _attempt(
        lambda: handling_service.restore_reply_template(
            session,
            category=category,
            situation=situation,
            actor=actor_of(user),
            clock=kesu.clock,
        ),
        request_language(request),
        _REPLY_LABELS,
    )
    if problem is not None:
        return _replies(request, session, kesu, user, category, problem=problem, failed="restore")
    return _saved(f"{HUB}/replies?category={category}", f"#{situation}")


# 原因目录 cause catalogue --------------------------------------------------------------------

_CAUSE_LABELS = {"code": N_("原因代码"), "name": N_("原因名称")}


def _causes(
    request: Request, session: Session, kesu: Kesu, user: User, **shown: Any
) -> HTMLResponse:
    context = {"causes": handling_queries.causes(session)}
    return _page(request, kesu, user, "admin/causes.html", context, **shown)


@router.get(f"{HUB}/causes", response_class=HTMLResponse, response_model=None)
def causes(request: Request, session: DbSession, kesu: KesuApp, user: OptionalUser) -> Response:
    if user is None:
        return to_login(request)
    _may(user, Permission.MANAGE_SETTINGS)
    return _causes(request, session, kesu, user)


@router.post(f"{HUB}/causes", response_model=None)
def add_cause(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    code: Annotated[str, Form(max_length=_SHORT)] = "",
    name: Annotated[str, Form(max_length=_SHORT)] = "",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    _may(user, Permission.MANAGE_SETTINGS)
    form = {"code": code, "name": name}
    problem = _attempt(
        lambda: handling_service.add_cause(
            session,
            # Codes are upper case; typing them in lower case is no reason to refuse.
            CauseCreate.model_validate(_filled({"code": code.upper(), "name": name})),
            actor=actor_of(user),
            clock=kesu.clock,
        ),
        request_language(request),
        _CAUSE_LABELS,
    )
    if problem is not None:
        return _causes(request, session, kesu, user, problem=problem, form=form, failed="add")
    return _saved(f"{HUB}/causes")


@router.post(f"{HUB}/causes/{{code}}/active", response_model=None)
def set_cause_active(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    code: str,
    csrf: Annotated[str, Form()],
    active: Annotated[bool, Form()],
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    _may(user, Permission.MANAGE_SETTINGS)
    problem = _attempt(
        lambda: handling_service.set_cause_active(
            session, code=code, active=active, actor=actor_of(user), clock=kesu.clock
        ),
        request_language(request),
        _CAUSE_LABELS,
    )
    if problem is not None:
        return _causes(request, session, kesu, user, problem=problem, failed="toggle")
    return _saved(f"{HUB}/causes")


# 派单规则 routing rules ----------------------------------------------------------------------

_RULE_LABELS = {
    "name": N_("名称"),
    "position": N_("顺序"),
    "category": N_("类别"),
    "product_line": N_("产品线"),
    "region_prefix": N_("地区前缀"),
    "department_code": N_("责任部门"),
    "strategy": N_("分配方式"),
}


def _routing(
    request: Request, session: Session, kesu: Kesu, user: User, **shown: Any
) -> HTMLResponse:
    context = {
        "rules": routing_queries.rules(session),
        "departments": complaint_queries.departments(session),
        "categories": CATEGORIES,
        "strategies": list(Strategy),
        "strategy_labels": _translated(_STRATEGY_LABELS, request_language(request)),
    }
    return _page(request, kesu, user, "agent/routing.html", context, **shown)


@router.get(f"{HUB}/routing", response_class=HTMLResponse, response_model=None)
def routing_rules(
    request: Request, session: DbSession, kesu: KesuApp, user: OptionalUser
) -> Response:
    if user is None:
        return to_login(request)
    _may(user, Permission.MANAGE_SETTINGS)
    return _routing(request, session, kesu, user)


@router.post(f"{HUB}/routing", response_model=None)
def add_rule(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    name: Annotated[str, Form(max_length=_SHORT)] = "",
    position: Annotated[str, Form(max_length=20)] = "100",
    category: Annotated[str, Form(max_length=32)] = "",
    product_line: Annotated[str, Form(max_length=_SHORT)] = "",
    region_prefix: Annotated[str, Form(max_length=_SHORT)] = "",
    department_code: Annotated[str, Form(max_length=40)] = "",
    strategy: Annotated[str, Form(max_length=16)] = "department",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    _may(user, Permission.MANAGE_SETTINGS)
    form = {
        "name": name,
        "position": position,
        "category": category,
        "product_line": product_line,
        "region_prefix": region_prefix,
        "department_code": department_code,
        "strategy": strategy,
    }
    problem = _attempt(
        lambda: routing_service.create_rule(
            session,
            RuleDraft.model_validate(_filled(form)),
            actor=actor_of(user),
            clock=kesu.clock,
        ),
        request_language(request),
        _RULE_LABELS,
    )
    if problem is not None:
        return _routing(request, session, kesu, user, problem=problem, form=form, failed="add")
    return _saved(f"{HUB}/routing")


@router.post(f"{HUB}/routing/import", response_model=None)
async def import_rules(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    rules_file: Annotated[UploadFile, File()],
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    _may(user, Permission.MANAGE_SETTINGS)
    language = request_language(request)
    data = await rules_file.read(MAX_RULE_FILE_BYTES + 1)
    name = (rules_file.filename or "").lower()
    importer = (
        routing_service.import_rules_yaml
        if name.endswith((".yaml", ".yml"))
        else routing_service.import_rules_csv
    )
    problem: Problem | None
    if len(data) > MAX_RULE_FILE_BYTES:
        problem = Problem(translate("文件超过 1 MB。", language), 413)
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            problem = Problem(translate("文件应为 UTF-8 编码。", language), 422)
        else:
            problem = _attempt(
                lambda: importer(session, text, actor=actor_of(user), clock=kesu.clock),
                language,
                _RULE_LABELS,
            )
    if problem is not None:
        return _routing(request, session, kesu, user, problem=problem, failed="import")
    return _saved(f"{HUB}/routing")


# 受理队列 the API's intake inbox --------------------------------------------------------------


@router.get(f"{HUB}/intake", response_class=HTMLResponse, response_model=None)
def intake_inbox(
    request: Request, session: DbSession, kesu: KesuApp, user: OptionalUser
) -> Response:
    if user is None:
        return to_login(request)
    state = inbox.inbox_state(session, actor_of(user))
    return _page(request, kesu, user, "admin/intake.html", {"state": state})


@router.post(f"{HUB}/intake/retry", response_model=None)
def retry_intake(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    inbox.retry_failed(session, actor_of(user), kesu.clock)
    return _saved(f"{HUB}/intake")
