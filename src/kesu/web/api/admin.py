"""REST API of administration: departments, staff accounts, SLA policy changes and calendar days,
the cause catalogue's switches, the reply-template catalogue and the intake inbox. Writes are for
administrators."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, status

from kesu.accounts import queries as accounts_queries
from kesu.accounts import service as accounts
from kesu.accounts.schemas import (
    DepartmentCreate,
    DepartmentRead,
    DepartmentRename,
    PasswordReset,
    UserCreate,
    UserRead,
    UserUpdate,
)
from kesu.handling import queries as handling_queries
from kesu.handling import service as handling_service
from kesu.handling.replies import ReplyTemplateEntry, ReplyTemplateWrite, Situation
from kesu.handling.schemas import CauseRead
from kesu.intake import inbox
from kesu.intake.schemas import InboxRead, InboxRetried
from kesu.sla import queries as sla_queries
from kesu.sla import service as sla_service
from kesu.sla.schemas import CalendarDayWrite, PolicyCreate, PolicyRead
from kesu.text.classify import CATEGORIES
from kesu.web.deps import CurrentUser, DbSession, KesuApp, actor_of

router = APIRouter(prefix="/api/v1")

_FORBIDDEN: dict[int | str, dict[str, str]] = {403: {"description": "`permission_denied`"}}
_USER_ERRORS: dict[int | str, dict[str, str]] = {
    **_FORBIDDEN,
    404: {"description": "`user_not_found`, `department_not_found`"},
    409: {"description": "`last_administrator` (the last active administrator stays one)"},
    422: {"description": "`invalid_input`, `password_too_short`, `validation_error`"},
}
_CATEGORY_PATTERN = "^(" + "|".join(CATEGORIES) + ")$"
Category = Annotated[str, Path(pattern=_CATEGORY_PATTERN)]


@router.get("/departments", tags=["accounts"], responses=_FORBIDDEN)
def list_departments(session: DbSession, user: CurrentUser) -> list[DepartmentRead]:
    """Every department by code, with its parent and its number of active accounts."""
    return accounts_queries.departments(session, actor_of(user))


@router.post(
    "/departments",
    tags=["accounts"],
    status_code=status.HTTP_201_CREATED,
    responses={
        **_FORBIDDEN,
        404: {"description": "`department_not_found` (the parent)"},
        409: {"description": "`department_code_taken`"},
        422: {"description": "`invalid_input`, `validation_error`"},
    },
)
def create_department(
    body: DepartmentCreate, session: DbSession, user: CurrentUser, kesu: KesuApp
) -> DepartmentRead:
    """Add a department, or in consumer-association mode a unit under its parent unit."""
    department = accounts.create_department(
        session, **body.model_dump(), clock=kesu.clock, actor=actor_of(user)
    )
    return accounts_queries.department(session, actor_of(user), department.id)


@router.patch(
    "/departments/{department_id}",
    tags=["accounts"],
    responses={**_FORBIDDEN, 404: {"description": "`department_not_found`"}},
)
def rename_department(
    department_id: int,
    body: DepartmentRename,
    session: DbSession,
    user: CurrentUser,
    kesu: KesuApp,
) -> DepartmentRead:
    """Rename a department; its code never changes."""
    accounts.rename_department(
        session,
        department_id=department_id,
        name=body.name,
        actor=actor_of(user),
        clock=kesu.clock,
    )
    return accounts_queries.department(session, actor_of(user), department_id)


@router.get("/users", tags=["accounts"], responses=_FORBIDDEN)
def list_users(session: DbSession, user: CurrentUser) -> list[UserRead]:
    """Every staff account, active ones first; passwords and their hashes are never returned."""
    return accounts_queries.users(session, actor_of(user))


@router.get("/users/{user_id}", tags=["accounts"], responses=_USER_ERRORS)
def get_user(user_id: int, session: DbSession, user: CurrentUser) -> UserRead:
    return accounts_queries.user(session, actor_of(user), user_id)


@router.post(
    "/users",
    tags=["accounts"],
    status_code=status.HTTP_201_CREATED,
    responses={**_USER_ERRORS, 409: {"description": "`username_taken`"}},
)
def create_user(body: UserCreate, session: DbSession, user: CurrentUser, kesu: KesuApp) -> UserRead:
    """Open a staff account with a password the administrator chose (8 characters or more)."""
    created = accounts.create_user(
        session,
        username=body.username,
        display_name=body.display_name,
        role=body.role,
        password=body.password,
        department_id=body.department_id,
        skills=body.skills,
        clock=kesu.clock,
        actor=actor_of(user),
    )
    return accounts_queries.user(session, actor_of(user), created.id)


@router.put("/users/{user_id}", tags=["accounts"], responses=_USER_ERRORS)
def update_user(
    user_id: int, body: UserUpdate, session: DbSession, user: CurrentUser, kesu: KesuApp
) -> UserRead:
    """Set the role, department and skills; the last active administrator keeps the role."""
    accounts.update_user(
        session,
        user_id=user_id,
        role=body.role,
        department_id=body.department_id,
        skills=body.skills,
        actor=actor_of(user),
        clock=kesu.clock,
    )
    return accounts_queries.user(session, actor_of(user), user_id)


@router.post("/users/{user_id}/deactivate", tags=["accounts"], responses=_USER_ERRORS)
def deactivate_user(user_id: int, session: DbSession, user: CurrentUser, kesu: KesuApp) -> UserRead:
    """Refuse sign-in and revoke every session and API token; the history stays."""
    accounts.set_user_active(
        session, user_id=user_id, active=False, actor=actor_of(user), clock=kesu.clock
    )
    return accounts_queries.user(session, actor_of(user), user_id)


@router.post("/users/{user_id}/reactivate", tags=["accounts"], responses=_USER_ERRORS)
def reactivate_user(user_id: int, session: DbSession, user: CurrentUser, kesu: KesuApp) -> UserRead:
    """Allow sign-in again with the same password; revoked tokens stay revoked."""
    accounts.set_user_active(
        session, user_id=user_id, active=True, actor=actor_of(user), clock=kesu.clock
    )
    return accounts_queries.user(session, actor_of(user), user_id)


@router.put(
    "/users/{user_id}/password",
    tags=["accounts"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_USER_ERRORS,
)
def reset_password(
    user_id: int, body: PasswordReset, session: DbSession, user: CurrentUser, kesu: KesuApp
) -> None:
    """Set a new password; the person's page sessions end."""
    accounts.reset_password(
        session, user_id=user_id, password=body.password, actor=actor_of(user), clock=kesu.clock
    )


class PolicyUpdate(PolicyCreate):
    is_active: bool = True
    """An inactive policy is kept but no longer chosen at intake."""


@router.put(
    "/sla/policies/{policy_id}",
    tags=["sla"],
    responses={
        **_FORBIDDEN,
        404: {"description": "`not_found`"},
        422: {"description": "`invalid_input`, `validation_error`"},
    },
)
def update_policy(
    policy_id: int, body: PolicyUpdate, session: DbSession, user: CurrentUser, kesu: KesuApp
) -> PolicyRead:
    """Change a policy; complaints already on the clock keep the terms they started with."""
    policy = sla_service.update_policy(
        session,
        policy_id,
        PolicyCreate.model_validate(body.model_dump(exclude={"is_active"})),
        is_active=body.is_active,
        actor=actor_of(user),
        now=kesu.clock.now(),
    )
    return PolicyRead.model_validate(policy)


@router.get("/sla/calendar", tags=["sla"])
def list_calendar_days(session: DbSession, _user: CurrentUser) -> list[CalendarDayWrite]:
    """The organisation's own working and closed days, over the national schedule."""
    return sla_queries.calendar_days(session)


@router.delete(
    "/sla/calendar/{day}",
    tags=["sla"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_FORBIDDEN, 404: {"description": "`not_found`"}},
)
def remove_calendar_day(day: date, session: DbSession, user: CurrentUser, kesu: KesuApp) -> None:
    """Drop one of the organisation's own days: the national schedule applies to it again."""
    sla_service.remove_calendar_day(session, day, actor=actor_of(user), now=kesu.clock.now())


def _cause(session: DbSession, code: str) -> CauseRead:
    return next(cause for cause in handling_queries.causes(session) if cause.code == code)


@router.post(
    "/causes/{code}/deactivate",
    tags=["handling"],
    responses={**_FORBIDDEN, 404: {"description": "`not_found`"}},
)
def deactivate_cause(code: str, session: DbSession, user: CurrentUser, kesu: KesuApp) -> CauseRead:
    """New investigations can no longer choose the cause; those that did keep it."""
    handling_service.set_cause_active(
        session, code=code, active=False, actor=actor_of(user), clock=kesu.clock
    )
    return _cause(session, code)


@router.post(
    "/causes/{code}/reactivate",
    tags=["handling"],
    responses={**_FORBIDDEN, 404: {"description": "`not_found`"}},
)
def reactivate_cause(code: str, session: DbSession, user: CurrentUser, kesu: KesuApp) -> CauseRead:
    handling_service.set_cause_active(
        session, code=code, active=True, actor=actor_of(user), clock=kesu.clock
    )
    return _cause(session, code)


@router.get("/reply-templates/{category}", tags=["handling"])
def list_reply_templates(
    category: Category, session: DbSession, _user: CurrentUser
) -> list[ReplyTemplateEntry]:
    """Each situation of a category: the wording in use, the built-in one and its placeholders."""
    return handling_queries.reply_template_catalogue(session, category)


@router.put(
    "/reply-templates/{category}/{situation}",
    tags=["handling"],
    responses={**_FORBIDDEN, 422: {"description": "`invalid_input`, `validation_error`"}},
)
def save_reply_template(
    category: Category,
    situation: Situation,
    body: ReplyTemplateWrite,
    session: DbSession,
    user: CurrentUser,
    kesu: KesuApp,
) -> ReplyTemplateEntry:
    """Use the organisation's own wording; placeholders must be ones the situation can fill."""
    handling_service.save_reply_template(
        session,
        category=category,
        situation=situation,
        text=body.text,
        actor=actor_of(user),
        clock=kesu.clock,
    )
    return _entry(session, category, situation)


@router.delete(
    "/reply-templates/{category}/{situation}",
    tags=["handling"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_FORBIDDEN, 404: {"description": "`not_found` (already the built-in wording)"}},
)
def restore_reply_template(
    category: Category,
    situation: Situation,
    session: DbSession,
    user: CurrentUser,
    kesu: KesuApp,
) -> None:
    """Go back to the built-in wording."""
    handling_service.restore_reply_template(
        session, category=category, situation=situation, actor=actor_of(user), clock=kesu.clock
    )


def _entry(session: DbSession, category: str, situation: Situation) -> ReplyTemplateEntry:
    return next(
        entry
        for entry in handling_queries.reply_template_catalogue(session, category)
        if entry.situation == situation
    )


@router.get("/intake/inbox", tags=["intake"], responses=_FORBIDDEN)
def intake_inbox(session: DbSession, user: CurrentUser) -> InboxRead:
    """What the API accepted and the worker has not registered yet, and what failed (administrators)."""
    state = inbox.inbox_state(session, actor_of(user))
    return InboxRead.model_validate(state, from_attributes=True)


@router.post("/intake/inbox/retry", tags=["intake"], responses=_FORBIDDEN)
def retry_intake(session: DbSession, user: CurrentUser, kesu: KesuApp) -> InboxRetried:
    """Put failed submissions back in line once the cause is mended (administrators; audited)."""
    return InboxRetried(queued=inbox.retry_failed(session, actor_of(user), kesu.clock))
