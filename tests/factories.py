"""Named personas and factories. Everything is created through the real commands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from kesu.accounts import service as accounts
from kesu.accounts.models import Department, Role, TokenKind, User
from kesu.bootstrap import Kesu
from kesu.complaints.models import Complaint
from kesu.complaints.schemas import ComplaintDraft
from kesu.core.actors import Actor, ActorKind
from kesu.intake import inbox
from kesu.intake import service as intake

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Persona:
    user: User
    token: str

    @property
    def actor(self) -> Actor:
        return Actor(
            kind=ActorKind.USER, id=self.user.id, role=self.user.role, name=self.user.display_name
        )

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class Personas:
    service_centre: Department
    quality: Department
    logistics: Department
    zhang_min: Persona
    """受理员 (agent) in the service centre."""
    zhao_lei: Persona
    """责任部门处理人 (handler) in quality management."""
    li_qiang: Persona
    """主管 (supervisor)."""
    chen_jing: Persona
    """质量分析 (analyst): may read, not act."""


def make_personas(kesu: Kesu, session: Session) -> Personas:
    def department(code: str, name: str) -> Department:
        return accounts.create_department(session, code=code, name=name, clock=kesu.clock)

    centre, quality, logistics = (
        department("CS", "客户服务中心"),
        department("QA", "质量管理部"),
        department("LOG", "储运部"),
    )

    def persona(username: str, name: str, role: Role, dept: Department) -> Persona:
        user = accounts.create_user(
            session,
            username=username,
            display_name=name,
            role=role,
            password=PASSWORD,
            clock=kesu.clock,
            department_id=dept.id,
        )
        token = accounts.issue_token(
            session, user=user, kind=TokenKind.API, label="test", clock=kesu.clock
        )
        return Persona(user=user, token=token)

    return Personas(
        service_centre=centre,
        quality=quality,
        logistics=logistics,
        zhang_min=persona("zhangmin", "张敏", Role.AGENT, centre),
        zhao_lei=persona("zhaolei", "赵磊", Role.HANDLER, quality),
        li_qiang=persona("liqiang", "李强", Role.SUPERVISOR, centre),
        chen_jing=persona("chenjing", "陈静", Role.ANALYST, quality),
    )


def draft(**overrides: Any) -> ComplaintDraft:
    """王芳's water-heater complaint, with any field replaced."""
    fields: dict[str, Any] = {
        "complainant_name": "王芳",
        "phone": "13800138001",
        "email": "wangfang@example.com",
        "channel": "web",
        "region": "浙江省杭州市西湖区",
        "target_type": "product",
        "target": "澜泉 JSQ25-12 燃气热水器",
        "product_line": "热水器",
        "order_number": "202611034512",
        "description": "11月3日安装的热水器，用了一周就点不着火，师傅上门两次都没修好。",
        "demands": ["exchange", "compensation"],
    }
    fields.update(overrides)
    return ComplaintDraft.model_validate(fields)


def file_complaint(kesu: Kesu, session: Session, **overrides: Any) -> Complaint:
    return intake.submit_complaint(
        session,
        draft(**overrides),
        registration=kesu.registration,
    ).complaint


def see_committed(session: Session) -> None:
    """End the session's read snapshot and forget loaded rows: the next read shows what every
    other session has committed."""
    session.rollback()
    session.expire_all()


def register_submissions(kesu: Kesu) -> int:
    """What the worker does a moment after the API accepts complaints: register every pending
    submission of the intake inbox (however long it takes). Returns how many."""
    registered = 0
    with kesu.sessions() as session:
        while count := inbox.register_pending(session, kesu.registration, seconds=60):
            registered += count
    return registered
