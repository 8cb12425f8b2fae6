"""Commands on staff accounts and their tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.accounts.errors import InvalidCredentials, InvalidToken, UsernameTaken
from kesu.accounts.models import AccessToken, Department, Role, TokenKind, User
from kesu.audit import service as audit
from kesu.core.clock import Clock
from kesu.core.errors import Bilingual
from kesu.core.text_limits import clean_text
from kesu.db.engine import transaction

# scrypt cost: ~50 ms and 16 MiB per hash on one core, OWASP's minimum for interactive logins.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
SESSION_LIFETIME = timedelta(hours=12)


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


def create_department(
    session: Session,
    *,
    code: str,
    name: str,
    clock: Clock,
    parent_id: int | None = None,
    region: str | None = None,
) -> Department:
    with transaction(session):
        department = Department(
            code=clean_text(code, field=Bilingual("部门代码", "department code"), max_length=40),
            name=clean_text(name, field=Bilingual("部门名称", "department name"), max_length=120),
            parent_id=parent_id,
            region=region.strip() if region and region.strip() else None,
        )
        session.add(department)
        session.flush()
        audit.record(
            session,
            at=clock.now(),
            actor="system",
            action="department.created",
            subject_type="department",
            subject_id=department.id,
            data={"code": department.code, "name": department.name},
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
    actor: str = "system",
    skills: list[str] | None = None,
) -> User:
    with transaction(session):
        username = clean_text(username, field=Bilingual("用户名", "username"), max_length=60)
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise UsernameTaken(username=username)
        user = User(
            username=username,
            display_name=clean_text(
                display_name, field=Bilingual("姓名", "display name"), max_length=120
            ),
            role=role,
            department_id=department_id,
            password_hash=hash_password(
                clean_text(password, field=Bilingual("密码", "password"), max_length=200)
            ),
            is_active=True,
            skills=sorted(set(skills or [])),
            created_at=clock.now(),
        )
        session.add(user)
        session.flush()
        audit.record(
            session,
            at=clock.now(),
            actor=actor,
            action="user.created",
            subject_type="user",
            subject_id=user.id,
            data={"username": username, "role": role},
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
    row = session.execute(
        select(AccessToken, User)
        .join(User, User.id == AccessToken.user_id)
        .where(AccessToken.token_hash == _token_hash(token))
    ).first()
    if row is None:
        raise InvalidToken()
    access, user = row
    now = clock.now()
    if (
        access.revoked_at is not None
        or (access.expires_at is not None and access.expires_at <= now)
        or not user.is_active
    ):
        raise InvalidToken()
    return user
