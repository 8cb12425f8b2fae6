"""Commands on staff accounts and their tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.accounts import permissions
from kesu.accounts.errors import (
    DepartmentCodeTaken,
    DepartmentNotFound,
    InvalidCredentials,
    InvalidToken,
    LastAdministrator,
    PasswordTooShort,
    UsernameTaken,
    UserNotFound,
)
from kesu.accounts.models import AccessToken, Department, Role, TokenKind, User
from kesu.accounts.schemas import MIN_PASSWORD_LENGTH, STAFF_ROLES
from kesu.audit import service as audit
from kesu.core.actors import SYSTEM, Actor
from kesu.core.clock import Clock
from kesu.core.errors import Bilingual, InvalidInput
from kesu.core.text_limits import clean_text
from kesu.db.engine import transaction
from kesu.text.classify import CATEGORIES

# scrypt cost: ~50 ms and 16 MiB per hash on one core, OWASP's minimum for interactive logins.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
SESSION_LIFETIME = timedelta(hours=12)
_MAX_PASSWORD_LENGTH = 200


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        _scheme, n, r, p, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
        )
    except ValueError:
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _may_manage(actor: Actor) -> None:
    permissions.require(actor.role, permissions.Permission.MANAGE_ACCOUNTS)


def _existing_department(session: Session, department_id: int | None) -> None:
    if department_id is not None and session.get(Department, department_id) is None:
        raise DepartmentNotFound()


def _checked_password(password: str) -> str:
    # Not cleaned like other text: surrounding blanks are part of the secret a person types.
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordTooShort(minimum=MIN_PASSWORD_LENGTH)
    if len(password) > _MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            reason=Bilingual(
                f"密码不能超过 {_MAX_PASSWORD_LENGTH} 个字符",
                f"the password is longer than {_MAX_PASSWORD_LENGTH} characters",
            )
        )
    return password


def _checked_role(role: str) -> Role:
    if role not in STAFF_ROLES:
        raise InvalidInput(reason=Bilingual(f"未知角色 {role}", f"unknown role {role}"))
    return Role(role)


def _checked_skills(skills: list[str] | None) -> list[str]:
    unknown = sorted(set(skills or []) - set(CATEGORIES))
    if unknown:
        raise InvalidInput(
            reason=Bilingual(
                f"未知的投诉类别：{', '.join(unknown)}", f"unknown categories: {', '.join(unknown)}"
            )
        )
    return sorted(set(skills or []))


def create_department(
    session: Session,
    *,
    code: str,
    name: str,
    clock: Clock,
    parent_id: int | None = None,
    region: str | None = None,
    actor: Actor = SYSTEM,
) -> Department:
    """Add a department (or, in consumer-association mode, a unit under ``parent_id``)."""
    with transaction(session):
        _may_manage(actor)
        code = clean_text(code, field=Bilingual("部门代码", "department code"), max_length=40)
        if any(character.isspace() for character in code):
            raise InvalidInput(
                reason=Bilingual("部门代码不能包含空格", "the department code contains spaces")
            )
        if session.scalar(select(Department.id).where(Department.code == code)) is not None:
            raise DepartmentCodeTaken(code=code)
        _existing_department(session, parent_id)
        department = Department(
            code=code,
            name=clean_text(name, field=Bilingual("部门名称", "department name"), max_length=120),
            parent_id=parent_id,
            region=clean_text(
                region or "", field=Bilingual("地区", "region"), max_length=120, required=False
            )
            or None,
        )
        session.add(department)
        session.flush()
        audit.record(
            session,
            at=clock.now(),
            actor=actor.ref,
            action="department.created",
            subject_type="department",
            subject_id=department.id,
            data={
                "code": department.code,
                "name": department.name,
                "parent_id": parent_id,
                "region": department.region,
            },
        )
        return department


def rename_department(
    session: Session, *, department_id: int, name: str, actor: Actor, clock: Clock
) -> Department:
    """Give a department a new name; its code, staff and rules stay as they are."""
    with transaction(session):
        _may_manage(actor)
        department = session.get(Department, department_id)
        if department is None:
            raise DepartmentNotFound()
        new_name = clean_text(name, field=Bilingual("部门名称", "department name"), max_length=120)
        if new_name == department.name:
            return department
        before, department.name = department.name, new_name
        audit.record(
            session,
            at=clock.now(),
            actor=actor.ref,
            action="department.renamed",
            subject_type="department",
            subject_id=department.id,
            data={"before": before, "after": new_name},
        )
        return department


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    clock: Clock,
    department_id: int | None = None,
    actor: Actor = SYSTEM,
    skills: list[str] | None = None,
) -> User:
    """Open a staff account with a password the administrator chose (and hands over in person)."""
    with transaction(session):
        _may_manage(actor)
        username = clean_text(username, field=Bilingual("用户名", "username"), max_length=60)
        if any(character.isspace() for character in username):
            raise InvalidInput(
                reason=Bilingual("用户名不能包含空格", "the username contains spaces")
            )
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise UsernameTaken(username=username)
        checked_role = _checked_role(role)
        _existing_department(session, department_id)
        user = User(
            username=username,
            display_name=clean_text(
                display_name, field=Bilingual("姓名", "display name"), max_length=120
            ),
            role=checked_role,
            department_id=department_id,
            password_hash=hash_password(_checked_password(password)),
            is_active=True,
            skills=_checked_skills(skills),
            created_at=clock.now(),
        )
        session.add(user)
        session.flush()
        audit.record(
            session,
            at=clock.now(),
            actor=actor.ref,
            action="user.created",
            subject_type="user",
            subject_id=user.id,
            data={"username": username, "role": checked_role, "department_id": department_id},
        )
        return user


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound()
    return user


def _keep_an_administrator(session: Session, user: User) -> None:
    """Refuse to take away the last active administrator's role or account.

    Locks every active administrator in id order, so two administrators demoting each other at
    the same moment queue up and the second one finds it would leave nobody.
    """
    administrators = session.scalars(
        select(User)
        .where(User.role == Role.ADMIN, User.is_active.is_(True))
        .order_by(User.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    if all(administrator.id == user.id for administrator in administrators):
        raise LastAdministrator()


def update_user(
    session: Session,
    *,
    user_id: int,
    role: Role,
    department_id: int | None,
    skills: list[str] | None,
    actor: Actor,
    clock: Clock,
) -> User:
    """Change a staff member's role, department and skills."""
    with transaction(session):
        _may_manage(actor)
        user = _user(session, user_id)
        new_role = _checked_role(role)
        _existing_department(session, department_id)
        new_skills = _checked_skills(skills)
        if user.role == Role.ADMIN and user.is_active and new_role != Role.ADMIN:
            _keep_an_administrator(session, user)
        before = {"role": user.role, "department_id": user.department_id, "skills": user.skills}
        after = {"role": new_role.value, "department_id": department_id, "skills": new_skills}
        if before == after:
            return user
        user.role, user.department_id, user.skills = new_role, department_id, new_skills
        audit.record(
            session,
            at=clock.now(),
            actor=actor.ref,
            action="user.updated",
            subject_type="user",
            subject_id=user.id,
            data={"before": before, "after": after},
        )
        return user


def _revoke_tokens(session: Session, user: User, now: datetime, *kinds: TokenKind) -> int:
    rows = session.scalars(
        select(AccessToken).where(
            AccessToken.user_id == user.id,
            AccessToken.revoked_at.is_(None),
            AccessToken.kind.in_([kind.value for kind in kinds]),
        )
    ).all()
    for row in rows:
        row.revoked_at = now
    return len(rows)


def set_user_active(
    session: Session, *, user_id: int, active: bool, actor: Actor, clock: Clock
) -> User:
    """Deactivate (sign-in refused, every token revoked) or reactivate a staff account.

    The account and its history stay: complaints keep naming who handled them.
    """
    with transaction(session):
        _may_manage(actor)
        user = _user(session, user_id)
        if user.is_active == active:
            return user
        now = clock.now()
        revoked = 0
        if not active:
            if user.role == Role.ADMIN:
                _keep_an_administrator(session, user)
            # Reactivating must not bring old sessions and API tokens back to life.
            revoked = _revoke_tokens(session, user, now, TokenKind.SESSION, TokenKind.API)
        user.is_active = active
        audit.record(
            session,
            at=now,
            actor=actor.ref,
            action="user.reactivated" if active else "user.deactivated",
            subject_type="user",
            subject_id=user.id,
            data={"tokens_revoked": revoked},
        )
        return user


def reset_password(
    session: Session, *, user_id: int, password: str, actor: Actor, clock: Clock
) -> User:
    """Set a new password chosen by an administrator; the person's page sessions end."""
    with transaction(session):
        _may_manage(actor)
        user = _user(session, user_id)
        user.password_hash = hash_password(_checked_password(password))
        now = clock.now()
        revoked = _revoke_tokens(session, user, now, TokenKind.SESSION)
        audit.record(
            session,
            at=now,
            actor=actor.ref,
            action="user.password_reset",
            subject_type="user",
            subject_id=user.id,
            data={"sessions_revoked": revoked},
        )
        return user


def issue_token(session: Session, *, user: User, kind: TokenKind, label: str, clock: Clock) -> str:
    """Create a token for ``user``; the returned secret is never stored or shown again."""
    with transaction(session):
        token = secrets.token_urlsafe(32)
        now = clock.now()
        session.add(
            AccessToken(
                user_id=user.id,
                kind=kind,
                token_hash=_token_hash(token),
                label=label,
                created_at=now,
                expires_at=now + SESSION_LIFETIME if kind is TokenKind.SESSION else None,
            )
        )
        audit.record(
            session,
            at=now,
            actor=f"user:{user.id}",
            action="token.issued",
            subject_type="user",
            subject_id=user.id,
            data={"kind": kind, "label": label},
        )
        return token


def find_user(session: Session, *, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip()))


def find_department(session: Session, *, code: str) -> Department | None:
    return session.scalar(select(Department).where(Department.code == code.strip()))


def check_credentials(session: Session, *, username: str, password: str) -> User:
    """The active user with this username and password; raises ``InvalidCredentials``."""
    user = find_user(session, username=username)
    if user is None or not user.is_active or not password_matches(password, user.password_hash):
        raise InvalidCredentials()
    return user


def log_in(session: Session, *, username: str, password: str, clock: Clock) -> tuple[User, str]:
    """Check the password and open a page session; returns the user and the session token."""
    user = check_credentials(session, username=username, password=password)
    return user, issue_token(session, user=user, kind=TokenKind.SESSION, label="login", clock=clock)


def revoke_token(session: Session, *, token: str, clock: Clock) -> None:
    with transaction(session):
        row = session.scalar(
            select(AccessToken).where(AccessToken.token_hash == _token_hash(token))
        )
        if row is None or row.revoked_at is not None:
            return
        row.revoked_at = clock.now()
        audit.record(
            session,
            at=clock.now(),
            actor=f"user:{row.user_id}",
            action="token.revoked",
            subject_type="user",
            subject_id=row.user_id,
            data={"kind": row.kind, "label": row.label},
        )


def authenticate(session: Session, *, token: str, clock: Clock) -> User:
    """The active user a token belongs to; raises ``InvalidToken`` otherwise."""
    # Every signed-in request runs this: the token's two dates as plain columns, not an object.
    row = session.execute(
        select(AccessToken.revoked_at, AccessToken.expires_at, User)
        .join(User, User.id == AccessToken.user_id)
        .where(AccessToken.token_hash == _token_hash(token))
    ).first()
    if row is None:
        raise InvalidToken()
    revoked_at, expires_at, user = row
    now = clock.now()
    if (
        revoked_at is not None
        or (expires_at is not None and expires_at <= now)
        or not user.is_active
    ):
        raise InvalidToken()
    return user
