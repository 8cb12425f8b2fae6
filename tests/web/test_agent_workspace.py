"""The staff workspace: English pages, queue filters, the caller's history at entry, and actions."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from kesu.audit.models import AuditEntry
from kesu.bootstrap import Kesu
from kesu.complaints import queries
from kesu.complaints import service as complaints
from kesu.complaints.lifecycle import COMMAND_ACTIONS, Action, Status, allowed_actions
from kesu.complaints.models import Complaint
from kesu.complaints.queries import ComplaintFilter, SlaState
from kesu.core.actors import SYSTEM
from kesu.core.clock import FixedClock
from kesu.core.i18n import Language
from kesu.customers import service as customers
from kesu.escalation import service as escalation
from kesu.handling import service as handling
from kesu.handling.schemas import ContactChannel, ContactCreate, Direction
from kesu.intake import callers as customer_queries
from kesu.jobs import registry
from kesu.jobs.worker import Worker, WorkerConfig
from kesu.sla import service as sla
from kesu.sla.calendar import ClockType
from kesu.sla.schemas import PolicyCreate
from kesu.web.deps import SESSION_COOKIE, csrf_token
from tests.conftest import START
from tests.factories import PASSWORD, Persona, Personas, file_complaint, see_committed
from tests.fakes import MemoryNotifier

HAN = re.compile(r"[\u4e00-\u9fff]+")
TAGS = re.compile(r"<[^>]+>")
ASCII_CASE: dict[str, Any] = {
    "complainant_name": "Wang Fang",
    "phone": "13800138011",
    "email": "wang.fang@example.com",
    "region": "Hangzhou",
    "target": "Lanquan JSQ25-12 gas water heater",
    "product_line": "water heaters",
    "order_number": "202611034512",
    "description": "The heater installed on 3 November stopped lighting after a week. "
    "The engineer came twice and could not fix it.",
    "demands": ["exchange", "compensation"],
}


def _sign_in(client: TestClient, username: str = "zhangmin") -> None:
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "next": "/agent"},
        follow_redirects=False,
    )
    assert response.status_code == 303


def _run_timers(kesu: Kesu, notifier: MemoryNotifier) -> None:
    handlers = registry.build_handlers(notifier=notifier, clock=kesu.clock)
    Worker(kesu.sessions, handlers, kesu.clock, WorkerConfig(20, 60, 3)).run_until_idle()


def _ui_text(html: str, data: list[str]) -> str:
    """What a reader sees of the page, less the data people typed (names, departments) and the
    Chinese replies meant for the customer (marked lang="zh-CN")."""
    body = html.split("<body>", 1)[1]
    body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
    body = re.sub(r'<(div|span) [^>]*lang="zh-CN"[^>]*>.*?</\1>', "", body, flags=re.S)
    text = TAGS.sub(" ", body)
    for allowed in ["kesu 客诉", "中文", *data]:
        text = text.replace(allowed, "")
    return text.replace(" 诉 ", "")


def _transition(
    kesu: Kesu, session: Session, complaint: Complaint, action: Action, by: Persona, note: str = ""
) -> Complaint:
    see_committed(session)
    fresh = session.get(Complaint, complaint.id)
    assert fresh is not None
    return complaints.transition_complaint(
        session,
        complaint_id=fresh.id,
        action=action,
        expected_version=fresh.version,
        actor=by.actor,
        clock=kesu.clock,
        note=note or None,
    )


def test_staff_pages_render_in_english(
    client: TestClient,
    kesu: Kesu,
    session: Session,
    personas: Personas,
    clock: FixedClock,
    notifier: MemoryNotifier,
) -> None:
    # One complaint misses its deadlines (the breaches list); a later one is worked on.
    late = file_complaint(kesu, session, **{**ASCII_CASE, "phone": "13800138012", "email": None})
    clock.advance(timedelta(days=30))
    _run_timers(kesu, notifier)
    complaint = file_complaint(kesu, session, **ASCII_CASE)
    _transition(kesu, session, complaint, Action.TRIAGE, personas.zhang_min)
    see_committed(session)
    complaints.assign_complaint(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        department_id=personas.quality.id,
        assignee_id=personas.zhao_lei.user.id,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
        note="Please call back today",
    )
    _transition(kesu, session, complaint, Action.START_INVESTIGATION, personas.zhao_lei)
    handling.record_contact(
        session,
        complaint_id=complaint.id,
        contact=ContactCreate(
            channel=ContactChannel.CALL,
            direction=Direction.OUTBOUND,
            summary="Called the customer, engineer visit booked",
            contacted_at=None,
        ),
        actor=personas.zhao_lei.actor,
        clock=kesu.clock,
    )
    see_committed(session)
    escalation.escalate_complaint(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        reason="Customer asks for a manager",
        actor=personas.zhao_lei.actor,
        clock=kesu.clock,
    )

    client.get("/language/en?next=/", follow_redirects=False)
    _sign_in(client, "liqiang")
    # Names and departments are data people typed; they stay as typed in either language.
    data = ["张敏", "赵磊", "李强", "陈静", "客户服务中心", "质量管理部", "储运部"]
    pages = {
        "/agent": "Saved views",
        f"/agent/complaints/{complaint.id}": "Why this priority",
        f"/agent/complaints/{complaint.id}/packet": "Emotion over time",
        "/agent/breaches": "Escalation level",
    }
    for path, heading in pages.items():
        page = client.get(path)
        assert page.status_code == 200, path
        assert '<html lang="en">' in page.text
        assert heading in page.text, path
        assert HAN.findall(_ui_text(page.text, data)) == [], path
    detail = client.get(f"/agent/complaints/{complaint.id}").text
    assert "Front line → Department" in detail
    assert "Customer asks for a manager" in detail
    assert late.tracking_number in client.get("/agent/breaches").text
    # The same pages in Chinese do show Chinese: the check above is not blind.
    client.get("/language/zh-CN?next=/", follow_redirects=False)
    assert "处理经过" in HAN.findall(
        _ui_text(client.get(f"/agent/complaints/{complaint.id}").text, data)
    )


def _filed(kesu: Kesu, session: Session, name: str, phone: str) -> Complaint:
    return file_complaint(
        kesu, session, **{**ASCII_CASE, "complainant_name": name, "phone": phone, "email": None}
    )


def _queue_names(client: TestClient, **params: str) -> set[str]:
    page = client.get("/agent", params=params)
    assert page.status_code == 200
    return set(re.findall(r"<td>(Case [A-Z])</td>", page.text))


def _api_names(client: TestClient, persona: Persona, **params: Any) -> set[str]:
    response = client.get("/api/v1/complaints", params=params, headers=persona.headers)
    assert response.status_code == 200, response.text
    return {row["complainant_name"] for row in response.json()}


def test_the_queue_filters_by_deadline_state_assignee_and_customer_tag(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas, clock: FixedClock
) -> None:
    # Monday 17:30 in Beijing: A is filed; its 24-hour first response falls due Tuesday 17:30.
    a = _filed(kesu, session, "Case A", "13900000001")
    clock.advance(timedelta(hours=20))
    # Tuesday 13:30: A is due within 4 working hours; B and C are new, C waits for the customer.
    b = _filed(kesu, session, "Case B", "13900000002")
    c = _filed(kesu, session, "Case C", "13900000003")
    _transition(kesu, session, b, Action.TRIAGE, personas.zhang_min)
    see_committed(session)
    complaints.assign_complaint(
        session,
        complaint_id=b.id,
        expected_version=b.version,
        department_id=personas.quality.id,
        assignee_id=personas.zhao_lei.user.id,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    _transition(kesu, session, c, Action.TRIAGE, personas.zhang_min)
    _transition(kesu, session, c, Action.WAIT_FOR_CUSTOMER, personas.zhang_min, "Need the invoice")
    customers.tag_customer(
        session, customer_id=a.customer_id, tags=["vip"], actor="test", now=clock.now()
    )
    _sign_in(client)

    assert _queue_names(client, sla="due_soon") == {"Case A"}
    assert _queue_names(client, sla="on_track") == {"Case B"}
    assert _queue_names(client, sla="paused") == {"Case C"}
    assert _queue_names(client, sla="overdue") == set()
    assert _queue_names(client, sla="nonsense") == {"Case A", "Case B", "Case C"}
    assert _queue_names(client, assignee=str(personas.zhao_lei.user.id)) == {"Case B"}
    assert _queue_names(client, assignee="none") == {"Case A", "Case C"}
    assert _queue_names(client, customer_tag="vip") == {"Case A"}
    assert _queue_names(client, customer_tag="vip", sla="on_track") == set()

    api = personas.li_qiang
    assert _api_names(client, api, sla=["due_soon", "paused"]) == {"Case A", "Case C"}
    assert _api_names(client, api, assignee_id=personas.zhao_lei.user.id) == {"Case B"}
    assert _api_names(client, api, unassigned=True) == {"Case A", "Case C"}
    assert _api_names(client, api, customer_tag="vip") == {"Case A"}
    refused = client.get("/api/v1/complaints", params={"customer_tag": "gold"}, headers=api.headers)
    assert refused.status_code == 422

    # Tuesday 18:30: A's first response is past due, whether or not the timer has fired yet.
    clock.advance(timedelta(hours=5))
    assert _queue_names(client, sla="overdue") == {"Case A"}
    assert _queue_names(client, sla="due_soon") == set()
    page = client.get("/agent").text
    assert 'class="badge sla-overdue"' in page
    assert 'class="badge sla-paused"' in page


def test_sla_states_agree_between_the_filter_and_the_queue_badges(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas, clock: FixedClock
) -> None:
    filed = [
        _filed(kesu, session, f"Case {letter}", f"1390000010{i}") for i, letter in enumerate("DEFG")
    ]
    _transition(kesu, session, filed[1], Action.TRIAGE, personas.zhang_min)
    _transition(kesu, session, filed[1], Action.WAIT_FOR_CUSTOMER, personas.zhang_min, "Photos")
    _transition(kesu, session, filed[2], Action.REJECT, personas.zhang_min, "Not our product")
    seen: set[SlaState] = set()
    for hours in (0, 20, 5, 48):
        clock.advance(timedelta(hours=hours))
        see_committed(session)
        now = clock.now()
        ids = [complaint.id for complaint in filed]
        badges = queries.sla_states(session, ids, now=now)
        for state in SlaState:
            listed = queries.list_complaints(
                session,
                personas.li_qiang.actor,
                ComplaintFilter(sla_states=[state], now=now),
                Language.ZH,
            )
            assert {row.id for row in listed} == {i for i, s in badges.items() if s is state}
        # A rejected complaint's clocks have stopped: it has no deadline state at all.
        assert filed[2].id not in badges
        seen |= set(badges.values())
    assert seen == set(SlaState)


def test_a_deadline_is_due_soon_from_the_start_of_its_policy_reminder_window(
    kesu: Kesu, session: Session, personas: Personas, clock: FixedClock
) -> None:
    sla.create_policy(
        session,
        PolicyCreate(
            name="Ten days, reminded three days ahead",
            first_response_minutes=10 * 24 * 60,
            resolution_minutes=10 * 24 * 60,
            clock_type=ClockType.CALENDAR,
            warn_before_minutes=3 * 24 * 60,
        ),
        actor=SYSTEM,
        now=clock.now(),
    )
    complaint = _filed(kesu, session, "Case H", "13900000201")

    def state_now() -> tuple[set[int], dict[int, SlaState]]:
        see_committed(session)
        listed = queries.list_complaints(
            session,
            personas.li_qiang.actor,
            ComplaintFilter(sla_states=[SlaState.DUE_SOON], now=clock.now()),
            Language.ZH,
        )
        badges = queries.sla_states(session, [complaint.id], now=clock.now())
        return {row.id for row in listed}, badges

    # Six days in, four are left: more than the three-day reminder window and 4 working hours.
    clock.advance(timedelta(days=6))
    assert state_now() == (set(), {complaint.id: SlaState.ON_TRACK})
    # Eight days in, two are left: inside the reminder window, still far beyond 4 working hours.
    clock.advance(timedelta(days=2))
    assert state_now() == ({complaint.id}, {complaint.id: SlaState.DUE_SOON})


def test_the_reminder_window_is_computed_by_each_database() -> None:
    statement = select(Complaint.id).where(
        queries._sla_condition([SlaState.DUE_SOON], now=START, soon=START)
    )
    compiled = str(statement.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]
    assert "warn_before_minutes * INTERVAL '1 minute'" in compiled


def test_phone_entry_shows_the_callers_history_and_warnings_first(
    client: TestClient,
    kesu: Kesu,
    session: Session,
    personas: Personas,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caller = {**ASCII_CASE, "phone": "13800138021", "email": "caller@example.com"}
    first = file_complaint(kesu, session, **caller)
    clock.advance(timedelta(days=10))
    file_complaint(
        kesu,
        session,
        **{**caller, "description": "Still broken. I will report you to 12315 this week."},
    )
    clock.advance(timedelta(days=10))
    latest = file_complaint(kesu, session, **{**caller, "target": "Lanquan installation service"})
    _transition(kesu, session, first, Action.REJECT, personas.zhang_min, "Duplicate of the second")
    customers.tag_customer(
        session, customer_id=first.customer_id, tags=["vip"], actor="test", now=clock.now()
    )
    _sign_in(client)

    page = client.get("/agent/new", params={"contact": "138-0013-8021"})
    assert page.status_code == 200
    text = page.text
    assert "客户历史：Wang Fang" in text
    assert "重要客户" in text
    assert "重复投诉：90 天内投诉 3 次" in text
    assert "以往投诉中有升级威胁：投诉至监管部门" in text
    assert "已有 2 件在办投诉" in text
    assert f'href="/agent/complaints/{latest.id}">{latest.tracking_number}</a>' in text
    assert text.index(latest.tracking_number) < text.index(first.tracking_number)
    assert "共 3 件投诉。" in text
    # Then the registration form, started from the profile.
    assert 'name="phone" value="13800138021"' in text
    assert 'name="complainant_name" value="Wang Fang"' in text
    assert text.index("客户历史") < text.index('name="submission_key"')
    see_committed(session)
    looked_up = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "customer.looked_up")
    ).one()
    assert (looked_up.actor, looked_up.subject_id) == (
        personas.zhang_min.actor.ref,
        str(first.customer_id),
    )

    by_email = client.get("/agent/new", params={"contact": "Caller@Example.com"}).text
    assert "客户历史：Wang Fang" in by_email
    monkeypatch.setattr(customer_queries, "HISTORY_LIMIT", 2)
    bounded = client.get("/agent/new", params={"contact": "13800138021"}).text
    assert "共 3 件投诉，以下是最近 2 件。" in bounded
    assert first.tracking_number not in bounded

    stranger = client.get("/agent/new", params={"contact": "13900009999"}).text
    assert "没有找到该客户的记录" in stranger
    assert "客户历史：" not in stranger
    assert 'name="phone" value="13900009999"' in stranger
    wrong = client.get("/agent/new", params={"contact": "call me"}).text
    assert "电话号码应为 7 到 15 位数字" in wrong
    assert "客户历史：" not in wrong


def test_a_quiet_caller_has_history_without_warnings_and_the_page_speaks_english(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas, clock: FixedClock
) -> None:
    earlier = file_complaint(kesu, session, **ASCII_CASE)
    _transition(kesu, session, earlier, Action.REJECT, personas.zhang_min, "Not our product")
    clock.advance(timedelta(days=200))
    client.get("/language/en?next=/", follow_redirects=False)
    _sign_in(client)
    page = client.get("/agent/new", params={"contact": ASCII_CASE["phone"]})
    assert "Customer history: Wang Fang" in page.text
    assert "No warnings." in page.text
    assert "Complaints in all: 1." in page.text
    data = ["张敏", "赵磊", "李强", "陈静", "客户服务中心", "质量管理部", "储运部"]
    assert HAN.findall(_ui_text(page.text, data)) == []


def _action_buttons(html: str) -> set[str]:
    return set(re.findall(r'name="action" value="([a-z_]+)"', html))


def test_the_complaint_page_offers_only_what_the_lifecycle_and_the_role_allow(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    complaint = file_complaint(kesu, session, **ASCII_CASE)
    path = f"/agent/complaints/{complaint.id}"

    def expected(status: Status) -> set[str]:
        return {
            action.value
            for action in allowed_actions(status)
            if action is not Action.ASSIGN and action not in COMMAND_ACTIONS
        }

    _sign_in(client)
    received = client.get(path).text
    assert (
        _action_buttons(received)
        == expected(Status.RECEIVED)
        == {
            "triage",
            "reject",
            "withdraw",
        }
    )
    assert f'action="{path}/assignment"' not in received
    _transition(kesu, session, complaint, Action.TRIAGE, personas.zhang_min)
    triaged = client.get(path).text
    assert _action_buttons(triaged) == expected(Status.TRIAGED)
    assert f'action="{path}/assignment"' in triaged
    _transition(kesu, session, complaint, Action.WAIT_FOR_CUSTOMER, personas.zhang_min, "Photos")
    waiting = client.get(path).text
    assert _action_buttons(waiting) == expected(Status.WAITING_CUSTOMER)
    assert "customer_replied" in _action_buttons(waiting)
    # Sending back needs a level above the front line and a supervisor.
    assert 'value="back"' not in waiting
    assert 'value="up"' in waiting

    client.post("/logout")
    _sign_in(client, "chenjing")
    read_only = client.get(path).text
    assert _action_buttons(read_only) == set()
    assert 'value="up"' not in read_only
    assert f'action="{path}/contacts"' not in read_only
    assert f'action="{path}/triage"' not in read_only
    assert "您的角色只能查看投诉，不能处理。" in read_only

    see_committed(session)
    current = session.get(Complaint, complaint.id)
    assert current is not None
    escalation.escalate_complaint(
        session,
        complaint_id=complaint.id,
        expected_version=current.version,
        reason="Customer asks for a manager",
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    client.post("/logout")
    _sign_in(client, "liqiang")
    supervisor = client.get(path).text
    assert 'value="back"' in supervisor
    assert _action_buttons(supervisor) == expected(Status.WAITING_CUSTOMER)


def test_the_list_endpoint_documents_its_new_filters(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/complaints"]["get"]["parameters"]}
    assert {"sla", "customer_tag", "assignee_id", "unassigned"} <= set(parameters)
    components = schema["components"]["schemas"]
    sla_items = parameters["sla"]["schema"]["anyOf"][0]["items"]
    tag_items = parameters["customer_tag"]["schema"]["anyOf"][0]["items"]
    assert set(components[sla_items["$ref"].rsplit("/", 1)[1]]["enum"]) == {
        s.value for s in SlaState
    }
    assert "vip" in components[tag_items["$ref"].rsplit("/", 1)[1]]["enum"]
    assert "reminder window" in parameters["sla"]["description"]


def test_a_refused_phone_entry_stays_on_the_entry_page_below_its_heading(
    client: TestClient, kesu: Kesu, personas: Personas
) -> None:
    _sign_in(client)
    csrf = csrf_token(kesu, client.cookies.get(SESSION_COOKIE) or "")
    refused = client.post(
        "/agent/new",
        data={
            "csrf": csrf,
            "complainant_name": "李先生",
            "description": "",
            "submission_key": "k1",
        },
    )
    assert refused.status_code == 422
    text = refused.text
    assert text.index("<h1>") < text.index('id="lookup-title"') < text.index('action="/agent/new"')
