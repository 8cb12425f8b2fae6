"""Reads of departments and staff accounts: for the administrators who manage them, and the
cached lists every staff page shows in its menus."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from kesu.accounts import permissions
from kesu.accounts.errors import DepartmentNotFound, UserNotFound
from kesu.accounts.models import Department, Role, User
from kesu.accounts.schemas import DepartmentRead, UserRead
from kesu.core.actors import Actor
from kesu.db.cache import SharedRead


@dataclass(frozen=True, slots=True)
class DepartmentEntry:
    """A department as menus and names show it."""

    id: int
    code: str
    name: str
    parent_id: int | None
    region: str | None


@dataclass(frozen=True, slots=True)
class HandlerEntry:
    """A member of staff who may be given complaints, as the assignee menus show them."""

    id: int
    display_name: str
    department_id: int | None


def _load_departments(session: Session) -> tuple[DepartmentEntry, ...]:
    rows = session.execute(
        select(
            Department.id, Department.code, Department.name, Department.parent_id, Department.region
        ).order_by(Department.code)
    )
    return tuple(DepartmentEntry(*row) for row in rows)


_HANDLER_ROLES = tuple(
    role.value
    for role in Role
    if permissions.allows(role.value, permissions.Permission.HANDLE_COMPLAINTS)
)


def _load_handlers(session: Session) -> tuple[HandlerEntry, ...]:
    rows = session.execute(
        select(User.id, User.display_name, User.department_id)
        .where(User.is_active.is_(True), User.role.in_(_HANDLER_ROLES))
        .order_by(User.department_id, User.display_name, User.id)
    )
    return tuple(HandlerEntry(*row) for row in rows)


# Read by every queue and complaint page; see kesu.db.cache for how long a copy may be stale.
department_list = SharedRead(_load_departments, Department)
"""Every department, by code."""
handler_list = SharedRead(_load_handlers, User)
"""Active staff who may be given complaints to handle, by department and name."""


def departments(
    session: Session, viewer: Actor, *, department_id: int | None = None
) -> list[DepartmentRead]:
    """Every department (or the one asked for) by code, with its parent's name and how many
    active staff it has."""
    permissions.require(viewer.role, permissions.Permission.MANAGE_ACCOUNTS)
    parent = aliased(Department)
    staff = (
        select(User.department_id, func.count().label("active_staff"))
        .where(User.is_active.is_(True))
        .group_by(User.department_id)
        .subquery()
    )
    query = (
        select(Department, parent.name, staff.c.active_staff)
        .outerjoin(parent, parent.id == Department.parent_id)
        .outerjoin(staff, staff.c.department_id == Department.id)
        .order_by(Department.code)
    )
    if department_id is not None:
        query = query.where(Department.id == department_id)
    rows = session.execute(query).all()
    return [
        DepartmentRead(
            id=department.id,
            code=department.code,
            name=department.name,
            parent_id=department.parent_id,
            parent_name=parent_name,
            region=department.region,
            active_staff=active_staff or 0,
        )
        for department, parent_name, active_staff in rows
    ]


def department(session: Session, viewer: Actor, department_id: int) -> DepartmentRead:
    found = departments(session, viewer, department_id=department_id)
    if not found:
        raise DepartmentNotFound()
    return found[0]


def _read(user: User, department_name: str | None) -> UserRead:
    return UserRead(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        department_id=user.department_id,
        department_name=department_name,
        skills=list(user.skills),
        is_active=user.is_active,
        created_at=user.created_at,
    )


def users(session: Session, viewer: Actor) -> list[UserRead]:
    """Every staff account, active ones first, then by username."""
    permissions.require(viewer.role, permissions.Permission.MANAGE_ACCOUNTS)
    rows = session.execute(
        select(User, Department.name)
        .outerjoin(Department, Department.id == User.department_id)
        .order_by(User.is_active.desc(), User.username)
    ).all()
    return [_read(user, name) for user, name in rows]


def user(session: Session, viewer: Actor, user_id: int) -> UserRead:
    permissions.require(viewer.role, permissions.Permission.MANAGE_ACCOUNTS)
    row = session.execute(
        select(User, Department.name)
        .outerjoin(Department, Department.id == User.department_id)
        .where(User.id == user_id)
    ).first()
    if row is None:
        raise UserNotFound()
    return _read(row[0], row[1])
