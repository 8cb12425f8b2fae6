"""What each role may do. Pure data: services ask ``require(user_role, permission)``."""

from __future__ import annotations

from enum import StrEnum

from kesu.accounts.models import Role
from kesu.core.actors import SYSTEM
from kesu.core.errors import PermissionDenied


class Permission(StrEnum):
    VIEW_COMPLAINTS = "view_complaints"
    REGISTER_COMPLAINTS = "register_complaints"
    HANDLE_COMPLAINTS = "handle_complaints"
    APPROVE_REMEDIES = "approve_remedies"
    ARCHIVE_COMPLAINTS = "archive_complaints"
    VIEW_AUDIT = "view_audit"
    MANAGE_ACCOUNTS = "manage_accounts"
    MANAGE_SETTINGS = "manage_settings"
    """SLA policies, the business calendar, routing rules."""


_STAFF_WORK = frozenset(
    {Permission.VIEW_COMPLAINTS, Permission.REGISTER_COMPLAINTS, Permission.HANDLE_COMPLAINTS}
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CUSTOMER: frozenset(),
    Role.AGENT: _STAFF_WORK,
    Role.HANDLER: _STAFF_WORK,
    Role.SUPERVISOR: _STAFF_WORK
    | {Permission.APPROVE_REMEDIES, Permission.ARCHIVE_COMPLAINTS, Permission.VIEW_AUDIT},
    Role.ANALYST: frozenset({Permission.VIEW_COMPLAINTS}),
    Role.ADMIN: frozenset(Permission),
}

ROLE_LABELS = {
    Role.CUSTOMER: ("投诉人", "Customer"),
    Role.AGENT: ("受理员", "Agent"),
    Role.HANDLER: ("责任部门处理人", "Handler"),
    Role.SUPERVISOR: ("主管", "Supervisor"),
    Role.ANALYST: ("质量分析", "Analyst"),
    Role.ADMIN: ("管理员", "Administrator"),
}


def allows(role: str, permission: Permission) -> bool:
    # The installation itself (worker, command line run by the operator) may do anything.
    if role == SYSTEM.role:
        return True
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except (KeyError, ValueError):
        return False


def require(role: str, permission: Permission) -> None:
    if not allows(role, permission):
        raise PermissionDenied()
