"""The administration pages: an administrator changes each setting through its form and it is
kept; anyone else is refused; a refused form shows why, in the page's language, with what was
typed, and changes nothing."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kesu.accounts import service as accounts
from kesu.accounts.errors import InvalidCredentials
from kesu.accounts.models import Department, User
from kesu.audit.models import AuditEntry
from kesu.bootstrap import Kesu
from kesu.handling import queries as handling_queries
from kesu.handling.models import CauseCode, ReplyTemplateText
from kesu.routing.models import RoutingRule
from kesu.sla.models import CalendarDay, SlaPolicy
from tests.admin.conftest import csrf_of, session_csrf, sign_in
from tests.factories import PASSWORD, Persona, Personas, file_complaint, see_committed
from tests.web.test_language import HAN, _visible_text

HUB = "/agent/admin"
PAGES = [
    HUB,
    f"{HUB}/departments",
    f"{HUB}/users",
    f"{HUB}/sla",
    f"{HUB}/calendar",
    f"{HUB}/replies",
    f"{HUB}/causes",
    f"{HUB}/routing",
]
FORMS = [
    (f"{HUB}/departments", {"code": "AFTER", "name": "售后部"}),
    (f"{HUB}/departments/1/name", {"name": "客服部"}),
    (
        f"{HUB}/users",
        {"username": "x", "display_name": "某人", "role": "agent", "password": PASSWORD},
    ),
    (f"{HUB}/users/1", {"role": "admin"}),
    (f"{HUB}/users/1/active", {"active": "false"}),
    (f"{HUB}/users/1/password", {"password": "another passphrase"}),
    (f"{HUB}/sla", {"name": "x", "first_response_hours": "1", "resolution_hours": "2"}),
    (f"{HUB}/calendar", {"day": "2027-02-01", "kind": "closed"}),
    (f"{HUB}/calendar/remove", {"day": "2027-02-01"}),
    (f"{HUB}/replies", {"category": "logistics", "situation": "closing", "text": "您好"}),
    (f"{HUB}/replies/restore", {"category": "logistics", "situation": "closing"}),
    (f"{HUB}/causes", {"code": "X", "name": "某原因"}),
    (f"{HUB}/causes/X/active", {"active": "false"}),
    (f"{HUB}/routing", {"name": "x", "department_code": "LOG"}),
]
ERROR = re.compile(r'<div class="alert" role="alert" id="form-error">([^<]*)</div>')


def _count(session: Session, model: type) -> int:
    see_committed(session)
    value = session.scalar(select(func.count()).select_from(model))
    assert value is not None
    return value


def _state(session: Session) -> tuple[int, ...]:
    """Everything the administration pages can change, counted."""
    models = (Department, User, SlaPolicy, CalendarDay, ReplyTemplateText, CauseCode, RoutingRule)
    return (*(_count(session, model) for model in models), _count(session, AuditEntry))


def _error(html: str) -> str:
    found = ERROR.search(html)
    assert found is not None, "no error shown in the form"
    return found.group(1)


def test_the_hub_links_every_section_and_reads_in_english(
    as_admin: TestClient,
) -> None:
    page = as_admin.get(HUB)
    assert page.status_code == 200
    for path in PAGES[1:]:
        assert f'href="{path}"' in page.text
    assert "用户与角色" in page.text
    as_admin.get(f"/language/en?next={HUB}", follow_redirects=False)
    english = as_admin.get(HUB)
    assert '<html lang="en">' in english.text
    assert "Users and roles" in english.text
    # The administrator's own name is data, not page text.
    assert HAN.findall(_visible_text(english.text).replace("王静", "")) == []


@pytest.mark.parametrize("path", PAGES)
def test_a_signed_out_visitor_is_sent_to_sign_in(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, f"/login?next={path}")


@pytest.mark.parametrize(("path", "data"), FORMS)
def test_a_signed_out_post_changes_nothing(
    client: TestClient, session: Session, admin: Persona, path: str, data: dict[str, str]
) -> None:
    before = _state(session)
    response = client.post(path, data={"csrf": "x", **data}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert _state(session) == before


@pytest.mark.parametrize("path", PAGES)
def test_other_staff_are_refused_every_page(
    client: TestClient, personas: Personas, path: str
) -> None:
    sign_in(client, "liqiang")
    response = client.get(path)
    assert response.status_code == 403
    assert "没有权限" in response.text


@pytest.mark.parametrize(("path", "data"), FORMS)
def test_other_staff_are_refused_every_form(
    client: TestClient,
    kesu: Kesu,
    session: Session,
    admin: Persona,
    personas: Personas,
    path: str,
    data: dict[str, str],
) -> None:
    sign_in(client, "liqiang")
    # The supervisor's own CSRF token is valid: the role alone refuses the change.
    csrf = session_csrf(client, kesu)
    before = _state(session)
    response = client.post(path, data={"csrf": csrf, **data})
    assert response.status_code == 403
    assert _state(session) == before


@pytest.mark.parametrize(("path", "data"), FORMS)
def test_a_post_without_the_session_csrf_token_changes_nothing(
    as_admin: TestClient, session: Session, path: str, data: dict[str, str]
) -> None:
    before = _state(session)
    response = as_admin.post(path, data={"csrf": "0" * 64, **data})
    assert response.status_code == 403
    assert _state(session) == before


def test_departments_are_added_and_renamed_and_a_taken_code_is_refused(
    as_admin: TestClient, session: Session, personas: Personas
) -> None:
    csrf = csrf_of(as_admin, f"{HUB}/departments")
    added = as_admin.post(
        f"{HUB}/departments",
        data={
            "csrf": csrf,
            "code": "LOG-HZ",
            "name": "杭州仓",
            "parent_id": str(personas.logistics.id),
            "region": "浙江省杭州市",
        },
    )
    assert added.status_code == 200
    assert "已保存" in added.text
    assert "杭州仓" in added.text
    see_committed(session)
    child = session.scalar(select(Department).where(Department.code == "LOG-HZ"))
    assert child is not None
    assert (child.parent_id, child.region) == (personas.logistics.id, "浙江省杭州市")

    renamed = as_admin.post(
        f"{HUB}/departments/{personas.logistics.id}/name", data={"csrf": csrf, "name": "物流部"}
    )
    assert renamed.status_code == 200
    see_committed(session)
    assert session.get(Department, personas.logistics.id).name == "物流部"  # type: ignore[union-attr]

    before = _state(session)
    taken = as_admin.post(
        f"{HUB}/departments", data={"csrf": csrf, "code": "QA", "name": "第二质量部"}
    )
    assert taken.status_code == 409
    assert "QA" in _error(taken.text)
    assert 'value="第二质量部"' in taken.text
    blank = as_admin.post(
        f"{HUB}/departments/{personas.quality.id}/name", data={"csrf": csrf, "name": " "}
    )
    assert blank.status_code == 422
    assert _error(blank.text) == "部门名称：不能为空"
    assert _state(session) == before


def test_a_refused_form_speaks_the_page_language(
    as_admin: TestClient, session: Session, personas: Personas
) -> None:
    as_admin.get(f"/language/en?next={HUB}", follow_redirects=False)
    csrf = csrf_of(as_admin, f"{HUB}/departments")
    before = _state(session)
    refused = as_admin.post(
        f"{HUB}/departments", data={"csrf": csrf, "code": "has space", "name": ""}
    )
    assert refused.status_code == 422
    assert _error(refused.text) == "Department code: not valid; Department name: is required"
    assert 'value="has space"' in refused.text
    assert refused.text.count('aria-invalid="true"') == 2
    taken = as_admin.post(f"{HUB}/departments", data={"csrf": csrf, "code": "QA", "name": "x"})
    assert _error(taken.text) == "The department code QA is already taken."
    assert _state(session) == before


def test_accounts_are_opened_changed_deactivated_and_given_new_passwords(
    as_admin: TestClient, session: Session, personas: Personas
) -> None:
    csrf = csrf_of(as_admin, f"{HUB}/users")
    secret = "first passphrase"
    before = _state(session)
    short = as_admin.post(
        f"{HUB}/users",
        data={
            "csrf": csrf,
            "username": "wujie",
            "display_name": "吴杰",
            "role": "handler",
            "department_id": str(personas.logistics.id),
            "password": "short",
        },
    )
    assert short.status_code == 422
    assert _error(short.text) == "密码：至少需要 8 个字符"
    assert 'value="wujie"' in short.text
    assert f'<option value="{personas.logistics.id}" selected>' in short.text
    assert 'value="short"' not in short.text
    assert _state(session) == before

    created = as_admin.post(
        f"{HUB}/users",
        data={
            "csrf": csrf,
            "username": "wujie",
            "display_name": "吴杰",
            "role": "handler",
            "department_id": str(personas.logistics.id),
            "password": secret,
        },
    )
    assert created.status_code == 200
    assert "吴杰" in created.text
    assert secret not in created.text
    see_committed(session)
    wujie = session.scalar(select(User).where(User.username == "wujie"))
    assert wujie is not None
    assert (wujie.role, wujie.department_id) == ("handler", personas.logistics.id)
    assert (
        accounts.check_credentials(session, username="wujie", password=secret).username == "wujie"
    )

    page = as_admin.get(f"{HUB}/users/{wujie.id}")
    assert page.status_code == 200
    assert wujie.password_hash not in page.text
    changed = as_admin.post(
        f"{HUB}/users/{wujie.id}",
        data={
            "csrf": csrf,
            "role": "supervisor",
            "department_id": str(personas.quality.id),
            "skills": ["logistics", "safety"],
        },
    )
    assert changed.status_code == 200
    see_committed(session)
    wujie = session.get(User, wujie.id)
    assert wujie is not None
    assert (wujie.role, wujie.department_id, wujie.skills) == (
        "supervisor",
        personas.quality.id,
        ["logistics", "safety"],
    )

    off = as_admin.post(f"{HUB}/users/{wujie.id}/active", data={"csrf": csrf, "active": "false"})
    assert "已停用" in off.text
    refused = as_admin.post("/login", data={"username": "wujie", "password": secret})
    assert refused.status_code == 401
    on = as_admin.post(f"{HUB}/users/{wujie.id}/active", data={"csrf": csrf, "active": "true"})
    assert on.status_code == 200

    csrf = csrf_of(as_admin)
    reset = as_admin.post(
        f"{HUB}/users/{wujie.id}/password", data={"csrf": csrf, "password": "second passphrase"}
    )
    assert reset.status_code == 200
    assert "second passphrase" not in reset.text
    see_committed(session)
    with pytest.raises(InvalidCredentials):
        accounts.check_credentials(session, username="wujie", password=secret)
    assert (
        accounts.check_credentials(session, username="wujie", password="second passphrase").username
        == "wujie"
    )
    too_short = as_admin.post(
        f"{HUB}/users/{wujie.id}/password", data={"csrf": csrf, "password": "1234"}
    )
    assert too_short.status_code == 422
    assert "至少需要 8 个字符" in _error(too_short.text)
    see_committed(session)
    assert (
        accounts.check_credentials(session, username="wujie", password="second passphrase").username
        == "wujie"
    )


def test_the_last_administrator_cannot_be_demoted_or_deactivated_from_the_page(
    as_admin: TestClient, session: Session, admin: Persona
) -> None:
    csrf = csrf_of(as_admin)
    before = _state(session)
    demoted = as_admin.post(
        f"{HUB}/users/{admin.user.id}", data={"csrf": csrf, "role": "supervisor"}
    )
    assert demoted.status_code == 409
    assert "最后一名管理员" in _error(demoted.text)
    assert '<option value="supervisor" selected>' in demoted.text
    deactivated = as_admin.post(
        f"{HUB}/users/{admin.user.id}/active", data={"csrf": csrf, "active": "false"}
    )
    assert deactivated.status_code == 409
    assert "最后一名管理员" in _error(deactivated.text)
    assert _state(session) == before
    see_committed(session)
    unchanged = session.get(User, admin.user.id)
    assert unchanged is not None
    assert (unchanged.role, unchanged.is_active) == ("admin", True)


def test_sla_policies_are_added_in_hours_and_edited(as_admin: TestClient, session: Session) -> None:
    csrf = csrf_of(as_admin, f"{HUB}/sla")
    form = {
        "csrf": csrf,
        "name": "物流 48 小时",
        "category": "logistics",
        "priority": "",
        "customer_tag": "vip",
        "first_response_hours": "0.5",
        "first_response_clock_type": "calendar",
        "resolution_hours": "48",
        "clock_type": "calendar",
        "warn_before_hours": "4",
        "compensation_voucher": "10 元运费券",
    }
    before = _state(session)
    for field, value, message in (
        ("first_response_hours", "soon", "首次响应时限（小时）：格式不正确"),
        ("resolution_hours", "0", "处理时限（小时）：超出允许范围"),
        ("name", "", "策略名称：不能为空"),
    ):
        refused = as_admin.post(f"{HUB}/sla", data={**form, field: value})
        assert refused.status_code == 422
        assert _error(refused.text) == message
        assert 'value="10 元运费券"' in refused.text
    unknown = as_admin.post(f"{HUB}/sla", data={**form, "category": "telepathy"})
    assert (unknown.status_code, "telepathy" in _error(unknown.text)) == (422, True)
    assert _state(session) == before

    added = as_admin.post(f"{HUB}/sla", data=form)
    assert added.status_code == 200
    assert "物流 48 小时" in added.text
    see_committed(session)
    policy = session.scalar(select(SlaPolicy))
    assert policy is not None
    assert (
        policy.first_response_minutes,
        policy.resolution_minutes,
        policy.warn_before_minutes,
        policy.customer_tag,
        policy.is_active,
    ) == (30, 48 * 60, 240, "vip", True)

    edit = as_admin.get(f"{HUB}/sla/{policy.id}")
    assert 'name="resolution_hours" value="48"' in edit.text
    edited = as_admin.post(
        f"{HUB}/sla/{policy.id}",
        data={**form, "resolution_hours": "24", "clock_type": "working"},  # is_active unticked
    )
    assert edited.status_code == 200
    see_committed(session)
    policy = session.get(SlaPolicy, policy.id)
    assert policy is not None
    assert (policy.resolution_minutes, policy.clock_type, policy.is_active) == (
        24 * 60,
        "working",
        False,
    )
    [entry] = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "sla.policy_updated")
    ).all()
    assert entry.data["before"]["resolution_minutes"] == 48 * 60


def test_calendar_days_are_added_and_removed(as_admin: TestClient, session: Session) -> None:
    csrf = csrf_of(as_admin, f"{HUB}/calendar")
    added = as_admin.post(
        f"{HUB}/calendar",
        data={"csrf": csrf, "day": "2027-01-30", "kind": "working", "note": "年终促销调休"},
    )
    assert added.status_code == 200
    assert "2027-01-30" in added.text
    see_committed(session)
    day = session.get(CalendarDay, date(2027, 1, 30))
    assert day is not None
    assert (day.is_working, day.note) == (True, "年终促销调休")

    before = _state(session)
    bad = as_admin.post(f"{HUB}/calendar", data={"csrf": csrf, "day": "明天", "kind": "closed"})
    assert bad.status_code == 422
    assert _error(bad.text) == "日期：格式不正确"
    assert 'value="明天"' in bad.text
    missing = as_admin.post(f"{HUB}/calendar/remove", data={"csrf": csrf, "day": "2027-02-02"})
    assert missing.status_code == 404
    assert _state(session) == before

    removed = as_admin.post(f"{HUB}/calendar/remove", data={"csrf": csrf, "day": "2027-01-30"})
    assert removed.status_code == 200
    assert _count(session, CalendarDay) == 0


def test_reply_templates_are_worded_by_the_organisation_and_restored(
    kesu: Kesu, as_admin: TestClient, session: Session, personas: Personas
) -> None:
    complaint = file_complaint(
        kesu, session, description="快递一周了还没送到，物流信息一直不更新，订单 123"
    )
    assert complaint.category == "logistics"
    page = as_admin.get(f"{HUB}/replies?category=logistics")
    assert page.status_code == 200
    assert "{tracking_number}" in page.text
    csrf = csrf_of(as_admin)
    wording = "{name}您好，您的包裹（受理编号 {tracking_number}）我们正在向承运商核实。"
    before = _state(session)
    bad = as_admin.post(
        f"{HUB}/replies",
        data={
            "csrf": csrf,
            "category": "logistics",
            "situation": "first_response",
            "text": "{name}您好，{findings}",
        },
    )
    assert bad.status_code == 422
    assert "{findings}" in _error(bad.text)
    assert "{name}您好，{findings}</textarea>" in bad.text
    assert as_admin.get(f"{HUB}/replies?category=telepathy").status_code == 404
    assert _state(session) == before

    saved = as_admin.post(
        f"{HUB}/replies",
        data={
            "csrf": csrf,
            "category": "logistics",
            "situation": "first_response",
            "text": wording,
        },
    )
    assert saved.status_code == 200
    assert "自定义" in saved.text
    see_committed(session)
    first = handling_queries.reply_templates(session, complaint)[0]
    assert (
        first.text
        == f"王芳您好，您的包裹（受理编号 {complaint.tracking_number}）我们正在向承运商核实。"
    )

    restored = as_admin.post(
        f"{HUB}/replies/restore",
        data={"csrf": csrf, "category": "logistics", "situation": "first_response"},
    )
    assert restored.status_code == 200
    see_committed(session)
    first = handling_queries.reply_templates(session, complaint)[0]
    assert first.text.startswith("王芳您好，我是负责您投诉")
    assert _count(session, ReplyTemplateText) == 0


def test_causes_are_added_and_deactivated(as_admin: TestClient, session: Session) -> None:
    csrf = csrf_of(as_admin)
    added = as_admin.post(
        f"{HUB}/causes", data={"csrf": csrf, "code": "logistics_damage", "name": "运输途中损坏"}
    )
    assert added.status_code == 200
    assert "LOGISTICS_DAMAGE" in added.text
    before = _state(session)
    again = as_admin.post(
        f"{HUB}/causes", data={"csrf": csrf, "code": "LOGISTICS_DAMAGE", "name": "重复"}
    )
    assert again.status_code == 409
    assert "LOGISTICS_DAMAGE" in _error(again.text)
    assert 'value="重复"' in again.text
    bad = as_admin.post(f"{HUB}/causes", data={"csrf": csrf, "code": "损坏", "name": "损坏"})
    assert (bad.status_code, _error(bad.text)) == (422, "原因代码：格式不正确")
    assert _state(session) == before

    off = as_admin.post(
        f"{HUB}/causes/LOGISTICS_DAMAGE/active", data={"csrf": csrf, "active": "false"}
    )
    assert off.status_code == 200
    see_committed(session)
    cause = session.get(CauseCode, "LOGISTICS_DAMAGE")
    assert cause is not None
    assert cause.is_active is False
    as_admin.post(f"{HUB}/causes/LOGISTICS_DAMAGE/active", data={"csrf": csrf, "active": "true"})
    see_committed(session)
    assert session.get(CauseCode, "LOGISTICS_DAMAGE").is_active is True  # type: ignore[union-attr]


def test_the_routing_page_keeps_a_refused_rule_and_reads_in_english(
    as_admin: TestClient, session: Session, personas: Personas
) -> None:
    csrf = csrf_of(as_admin, f"{HUB}/routing")
    refused = as_admin.post(
        f"{HUB}/routing",
        data={"csrf": csrf, "name": "物流", "position": "first", "department_code": "LOG"},
    )
    assert refused.status_code == 422
    assert _error(refused.text) == "顺序：格式不正确"
    assert 'value="物流"' in refused.text
    assert '<option value="LOG" selected>' in refused.text
    assert _count(session, RoutingRule) == 0
    as_admin.get(f"/language/en?next={HUB}", follow_redirects=False)
    added = as_admin.post(
        f"{HUB}/routing",
        data={"csrf": csrf, "name": "物流", "department_code": "LOG", "strategy": "round_robin"},
    )
    assert added.status_code == 200
    assert "<td>Round robin</td>" in added.text
    assert "Add rule" in added.text
    unknown = as_admin.post(
        f"{HUB}/routing", data={"csrf": csrf, "name": "x", "department_code": "NOPE"}
    )
    assert unknown.status_code == 422
    assert "NOPE" in _error(unknown.text)
    assert _count(session, RoutingRule) == 1
