"""Departments and staff accounts: only administrators change them, refusals change nothing, and
the installation never loses its last administrator."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kesu.accounts import queries as accounts_queries
from kesu.accounts import service as accounts
from kesu.accounts.errors import (
    DepartmentCodeTaken,
    DepartmentNotFound,
    InvalidCredentials,
    InvalidToken,
    LastAdministrator,
    PasswordTooShort,
    UsernameTaken,
)
from kesu.accounts.models import Department, Role, TokenKind, User
from kesu.audit.models import AuditEntry
from kesu.bootstrap import Kesu
from kesu.core.errors import InvalidInput, PermissionDenied
from tests.factories import PASSWORD, Persona, Personas, see_committed


def _count(session: Session, model: type) -> int:
    see_committed(session)
    value = session.scalar(select(func.count()).select_from(model))
    assert value is not None
    return value


def _audit(session: Session, action: str) -> list[AuditEntry]:
    see_committed(session)
    return list(
        session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def _fresh(session: Session, user_id: int) -> User:
    see_committed(session)
    user = session.get(User, user_id)
    assert user is not None
    return user


def test_the_last_active_administrator_keeps_the_role_and_the_account(
    kesu: Kesu, session: Session, admin: Persona, personas: Personas
) -> None:
    only = admin.actor
    with pytest.raises(LastAdministrator):
        accounts.update_user(
            session,
            user_id=admin.user.id,
            role=Role.SUPERVISOR,
            department_id=None,
            skills=[],
            actor=only,
            clock=kesu.clock,
        )
    with pytest.raises(LastAdministrator):
        accounts.set_user_active(
            session, user_id=admin.user.id, active=False, actor=only, clock=kesu.clock
        )
    unchanged = _fresh(session, admin.user.id)
    assert (unchanged.role, unchanged.is_active) == (Role.ADMIN, True)
    assert _audit(session, "user.updated") == _audit(session, "user.deactivated") == []

    # A deactivated administrator does not count; a second active one does.
    dormant = accounts.create_user(
        session,
        username="old-admin",
        display_name="老管理员",
        role=Role.ADMIN,
        password=PASSWORD,
        clock=kesu.clock,
        actor=only,
    )
    accounts.set_user_active(
        session, user_id=dormant.id, active=False, actor=only, clock=kesu.clock
    )
    with pytest.raises(LastAdministrator):
        accounts.set_user_active(
            session, user_id=admin.user.id, active=False, actor=only, clock=kesu.clock
        )
    accounts.update_user(
        session,
        user_id=personas.li_qiang.user.id,
        role=Role.ADMIN,
        department_id=personas.service_centre.id,
        skills=[],
        actor=only,
        clock=kesu.clock,
    )
    accounts.update_user(
        session,
        user_id=admin.user.id,
        role=Role.SUPERVISOR,
        department_id=personas.service_centre.id,
        skills=[],
        actor=only,
        clock=kesu.clock,
    )
    assert _fresh(session, admin.user.id).role == Role.SUPERVISOR
    with pytest.raises(LastAdministrator):
        accounts.set_user_active(
            session,
            user_id=personas.li_qiang.user.id,
            active=False,
            actor=personas.li_qiang.actor,
            clock=kesu.clock,
        )
    [change] = _audit(session, "user.updated")[-1:]
    assert change.data["before"]["role"] == "admin"
    assert change.data["after"]["role"] == "supervisor"
    assert change.actor == f"user:{admin.user.id}"


def test_deactivation_ends_every_session_and_token_for_good(
    kesu: Kesu, session: Session, admin: Persona, personas: Personas
) -> None:
    agent = personas.zhang_min
    _, page_session = accounts.log_in(
        session, username="zhangmin", password=PASSWORD, clock=kesu.clock
    )
    accounts.set_user_active(
        session, user_id=agent.user.id, active=False, actor=admin.actor, clock=kesu.clock
    )
    for token in (agent.token, page_session):
        with pytest.raises(InvalidToken):
            accounts.authenticate(session, token=token, clock=kesu.clock)
    with pytest.raises(InvalidCredentials):
        accounts.check_credentials(session, username="zhangmin", password=PASSWORD)
    [entry] = _audit(session, "user.deactivated")
    assert entry.data == {"tokens_revoked": 2}

    accounts.set_user_active(
        session, user_id=agent.user.id, active=True, actor=admin.actor, clock=kesu.clock
    )
    assert accounts.check_credentials(session, username="zhangmin", password=PASSWORD).is_active
    with pytest.raises(InvalidToken):
        accounts.authenticate(session, token=agent.token, clock=kesu.clock)
    assert len(_audit(session, "user.reactivated")) == 1


def test_a_password_reset_ends_page_sessions_and_is_never_recorded(
    kesu: Kesu, session: Session, admin: Persona, personas: Personas
) -> None:
    agent = personas.zhang_min
    _, page_session = accounts.log_in(
        session, username="zhangmin", password=PASSWORD, clock=kesu.clock
    )
    with pytest.raises(PasswordTooShort):
        accounts.reset_password(
            session, user_id=agent.user.id, password="short", actor=admin.actor, clock=kesu.clock
        )
    assert (
        accounts.check_credentials(session, username="zhangmin", password=PASSWORD).username
        == "zhangmin"
    )
    accounts.authenticate(session, token=page_session, clock=kesu.clock)

    accounts.reset_password(
        session,
        user_id=agent.user.id,
        password=" a new passphrase ",
        actor=admin.actor,
        clock=kesu.clock,
    )
    with pytest.raises(InvalidCredentials):
        accounts.check_credentials(session, username="zhangmin", password=PASSWORD)
    # Blanks around a password are part of it, as typed at sign-in.
    assert (
        accounts.check_credentials(
            session, username="zhangmin", password=" a new passphrase "
        ).username
        == "zhangmin"
    )
    with pytest.raises(InvalidToken):
        accounts.authenticate(session, token=page_session, clock=kesu.clock)
    assert accounts.authenticate(session, token=agent.token, clock=kesu.clock).id == agent.user.id
    [entry] = _audit(session, "user.password_reset")
    assert entry.data == {"sessions_revoked": 1}
    assert "passphrase" not in str(entry.data)


def test_only_administrators_manage_departments_and_accounts(
    kesu: Kesu, session: Session, personas: Personas
) -> None:
    supervisor = personas.li_qiang.actor
    before = (_count(session, Department), _count(session, User), _count(session, AuditEntry))
    attempts: list[Callable[[], object]] = [
        lambda: accounts.create_department(
            session, code="NEW", name="新部门", clock=kesu.clock, actor=supervisor
        ),
        lambda: accounts.rename_department(
            session,
            department_id=personas.logistics.id,
            name="物流部",
            actor=supervisor,
            clock=kesu.clock,
        ),
        lambda: accounts.create_user(
            session,
            username="x1",
            display_name="某人",
            role=Role.AGENT,
            password=PASSWORD,
            clock=kesu.clock,
            actor=supervisor,
        ),
        lambda: accounts.update_user(
            session,
            user_id=personas.zhang_min.user.id,
            role=Role.SUPERVISOR,
            department_id=None,
            skills=[],
            actor=supervisor,
            clock=kesu.clock,
        ),
        lambda: accounts.set_user_active(
            session,
            user_id=personas.zhang_min.user.id,
            active=False,
            actor=supervisor,
            clock=kesu.clock,
        ),
        lambda: accounts.reset_password(
            session,
            user_id=personas.zhang_min.user.id,
            password="another passphrase",
            actor=supervisor,
            clock=kesu.clock,
        ),
        lambda: accounts_queries.users(session, supervisor),
        lambda: accounts_queries.departments(session, supervisor),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert (
        _count(session, Department),
        _count(session, User),
        _count(session, AuditEntry),
    ) == before
    assert _fresh(session, personas.zhang_min.user.id).role == Role.AGENT


def test_departments_refuse_a_taken_code_an_unknown_parent_and_blanks(
    kesu: Kesu, session: Session, admin: Persona, personas: Personas
) -> None:
    before = _count(session, Department)
    with pytest.raises(DepartmentCodeTaken):
        accounts.create_department(
            session, code="LOG", name="另一个储运部", clock=kesu.clock, actor=admin.actor
        )
    with pytest.raises(DepartmentNotFound):
        accounts.create_department(
            session, code="SUB", name="分部", parent_id=9999, clock=kesu.clock, actor=admin.actor
        )
    with pytest.raises(InvalidInput):
        accounts.create_department(
            session, code="A B", name="分部", clock=kesu.clock, actor=admin.actor
        )
    with pytest.raises(InvalidInput):
        accounts.rename_department(
            session,
            department_id=personas.logistics.id,
            name="  ",
            actor=admin.actor,
            clock=kesu.clock,
        )
    with pytest.raises(DepartmentNotFound):
        accounts.rename_department(
            session, department_id=9999, name="物流部", actor=admin.actor, clock=kesu.clock
        )
    assert _count(session, Department) == before

    child = accounts.create_department(
        session,
        code="LOG-HZ",
        name="杭州仓",
        parent_id=personas.logistics.id,
        region="浙江省杭州市",
        clock=kesu.clock,
        actor=admin.actor,
    )
    accounts.rename_department(
        session,
        department_id=personas.logistics.id,
        name="物流部",
        actor=admin.actor,
        clock=kesu.clock,
    )
    rows = {d.code: d for d in accounts_queries.departments(session, admin.actor)}
    assert rows["LOG-HZ"].parent_name == "物流部"
    assert rows["LOG-HZ"].id == child.id
    assert rows["QA"].active_staff == 2
    [renamed] = _audit(session, "department.renamed")
    assert renamed.data == {"before": "储运部", "after": "物流部"}


def test_accounts_refuse_customers_unknown_skills_and_departments(
    kesu: Kesu, session: Session, admin: Persona, personas: Personas
) -> None:
    before = _count(session, User)

    def create(**overrides: object) -> None:
        fields: dict[str, object] = {
            "username": "wujie",
            "display_name": "吴杰",
            "role": Role.HANDLER,
            "password": PASSWORD,
            "department_id": personas.logistics.id,
            "skills": ["logistics"],
        }
        fields.update(overrides)
        accounts.create_user(session, clock=kesu.clock, actor=admin.actor, **fields)  # type: ignore[arg-type]

    for overrides, error in (
        ({"role": Role.CUSTOMER}, InvalidInput),
        ({"skills": ["telepathy"]}, InvalidInput),
        ({"department_id": 9999}, DepartmentNotFound),
        ({"username": "wu jie"}, InvalidInput),
        ({"username": "zhangmin"}, UsernameTaken),
        ({"password": "1234567"}, PasswordTooShort),
    ):
        with pytest.raises(error):
            create(**overrides)
    assert _count(session, User) == before
    create()
    see_committed(session)
    created = session.scalar(select(User).where(User.username == "wujie"))
    assert created is not None
    assert created.skills == ["logistics"]
    token = accounts.issue_token(
        session, user=created, kind=TokenKind.API, label="t", clock=kesu.clock
    )
    assert accounts.authenticate(session, token=token, clock=kesu.clock).username == "wujie"
