"""End-to-end: the real app behind uvicorn, driven through Debian's Chromium with Playwright.

Each test runs its own server on a free port against its own database; every page visited is
saved as a full-page screenshot under artifacts/screenshots/ for a visual review.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from kesu.accounts import service as accounts
from kesu.accounts.models import Role
from kesu.bootstrap import Kesu
from kesu.complaints import service as complaints
from kesu.complaints.lifecycle import Action
from kesu.complaints.models import Complaint
from kesu.followup import service as followup
from kesu.followup.models import FollowUpVisit
from kesu.handling import remedies
from kesu.handling.schemas import RemedyCreate, RemedyKind
from kesu.intake.models import IntakeSubmission, SubmissionStatus
from kesu.jobs import registry
from kesu.jobs.worker import Worker, WorkerConfig
from kesu.web.app import create_app
from tests.factories import PASSWORD, Personas, file_complaint
from tests.fakes import MemoryNotifier

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
TRACKING_NUMBER = re.compile(r"KS\d{6}-[2-9A-HJKMNP-Z]{6}")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = "13912345678"
DESCRIPTION = (
    "11月20日在官方旗舰店购买的澜泉 JSQ25-12 燃气热水器，安装第二天起每次洗澡水温忽冷忽热，"
    "联系售后两次，师傅上门检测后说是正常现象，但问题一直没有解决，要求退款并道歉。"
)


@pytest.fixture
def live_server(kesu: Kesu, personas: Personas) -> Iterator[str]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])
    config = uvicorn.Config(create_app(kesu), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped before it started serving"
        assert time.monotonic() < deadline, "uvicorn did not start within 10 seconds"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()
    assert not thread.is_alive(), "uvicorn did not stop within 10 seconds"


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        browser_page = context.new_page()
        browser_page.set_default_timeout(10_000)
        yield browser_page
        context.close()
        browser.close()


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def fill_portal_form(page: Page, base_url: str, *, description: str) -> None:
    page.goto(f"{base_url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("我要投诉")
    page.get_by_label("姓名").fill("王芳")
    page.get_by_label("联系电话").fill(PHONE)
    page.get_by_role("textbox", name="投诉对象").fill("澜泉 JSQ25-12 燃气热水器")
    page.get_by_label("投诉内容").fill(description)
    page.locator('input[name="demands"][value="refund"]').check()
    page.locator('input[name="demands"][value="apology"]').check()


def submit_portal_form(page: Page) -> str:
    """Send the filled form; returns the tracking number shown on the receipt."""
    page.get_by_role("button", name="提交投诉").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("投诉已受理")
    tracking = page.locator("#tracking-number")
    expect(tracking).to_have_text(TRACKING_NUMBER)
    number = tracking.inner_text()
    assert TRACKING_NUMBER.fullmatch(number), number
    return number


def fill_login_form(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("工作人员登录")
    page.get_by_label("用户名").fill("zhangmin")
    page.get_by_label("密码").fill(PASSWORD)


def submit_login_form(page: Page, base_url: str) -> None:
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{base_url}/agent")
    expect(page.get_by_role("heading", level=1)).to_have_text("投诉队列")


def test_customer_files_and_tracks_a_complaint(live_server: str, page: Page) -> None:
    fill_portal_form(page, live_server, description=DESCRIPTION)
    screenshot(page, "portal-file")
    number = submit_portal_form(page)
    screenshot(page, "portal-receipt")
    expect(page.locator(".receipt")).to_contain_text(
        "王芳您好，我们已收到您关于“澜泉 JSQ25-12 燃气热水器”的投诉"
    )

    page.goto(f"{live_server}/track")
    page.get_by_label("受理编号").fill(number)
    page.get_by_label("联系电话").fill(PHONE)
    page.get_by_role("button", name="查询").click()

    result = page.locator("section[aria-labelledby=result-title]")
    expect(result.locator("#result-title")).to_have_text(f"{number} 已受理")
    expect(result.locator(".badge")).to_have_text("已受理")
    expect(result.locator(".timeline li strong")).to_have_text(["投诉已登记", "已发送受理回执"])
    expect(result).to_contain_text("诉求：退款、道歉")
    screenshot(page, "portal-track")


def test_agent_triages_and_assigns_a_complaint(
    live_server: str, page: Page, session: Session, personas: Personas
) -> None:
    fill_portal_form(page, live_server, description=DESCRIPTION)
    number = submit_portal_form(page)
    fill_login_form(page, live_server)
    screenshot(page, "agent-login")
    submit_login_form(page, live_server)

    link = page.get_by_role("link", name=number, exact=True)
    expect(link).to_have_count(1)
    screenshot(page, "agent-queue")
    link.click()

    badge = page.locator("h1 .badge").first
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(rf"^{number} 已受理\s+P4\s+一线处理\s*$")
    )
    expect(page.locator(".clocks .clock")).to_have_count(2)
    expect(page.locator(".description")).to_have_text(DESCRIPTION)
    screenshot(page, "agent-detail")

    page.get_by_role("button", name="完成评估", exact=True).click()
    expect(badge).to_have_text("已评估")
    expect(page.get_by_role("button", name="结案", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="派单", exact=True)).to_have_count(1)
    screenshot(page, "agent-detail-triaged")

    page.get_by_label("派往责任部门").select_option(label="质量管理部")
    page.get_by_role("button", name="派单", exact=True).click()
    expect(badge).to_have_text("已派单")

    timeline = page.locator("section[aria-labelledby=timeline-title] .timeline li")
    expect(timeline.locator("strong")).to_have_text(
        ["投诉已登记", "系统初步评估", "已发送受理回执", "状态变更", "已派单"]
    )
    expect(timeline.nth(3)).to_have_text("2026-11-23 17:30 状态变更：已受理 → 已评估 （张敏）")
    expect(timeline.nth(4)).to_have_text(
        re.compile(r"已派单：已评估 → 已派单\s+质量管理部\s+（张敏）")
    )
    expect(page.locator(".facts")).to_contain_text("责任部门质量管理部")

    contacts = page.locator("section[aria-labelledby=contacts-title]")
    contacts.get_by_label("方式").select_option(label="电话")
    contacts.get_by_label("方向").select_option(label="去电/发出")
    contacts.get_by_label("内容").fill("已致电王女士，约定明天上午上门检测热水器。")
    contacts.get_by_role("button", name="记录沟通").click()
    expect(contacts.locator("li")).to_have_count(1)
    expect(contacts.locator("li")).to_contain_text("已致电王女士，约定明天上午上门检测热水器。")
    screenshot(page, "agent-contact")

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("button", name="Record contact")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    screenshot(page, "agent-detail-en")
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("button", name="记录沟通")).to_be_visible()

    assigned_to = session.scalars(
        select(Complaint.department_id).where(Complaint.tracking_number == number)
    ).one()
    assert assigned_to == personas.quality.id


def test_complaint_text_with_markup_is_shown_as_text(live_server: str, page: Page) -> None:
    markup = "<script>window.__pwned = 1</script><b>粗体</b>"
    fill_portal_form(page, live_server, description=markup)
    number = submit_portal_form(page)
    fill_login_form(page, live_server)
    submit_login_form(page, live_server)

    page.get_by_role("link", name=number, exact=True).click()
    description = page.locator(".description")
    expect(description).to_have_text(markup)
    expect(description.get_by_text("<script>window.__pwned = 1</script>")).to_be_visible()
    expect(description.locator("script, b")).to_have_count(0)
    assert page.evaluate("window.__pwned") is None


def test_form_errors_are_shown_in_chinese(live_server: str, page: Page, session: Session) -> None:
    page.goto(f"{live_server}/")
    with page.expect_response(
        lambda response: (
            response.url == f"{live_server}/complaints" and response.request.method == "POST"
        )
    ) as posted:
        page.get_by_role("button", name="提交投诉").click()
    assert posted.value.status == 422

    expect(page.get_by_role("heading", level=1)).to_have_text("我要投诉")
    expect(page.locator("small.err")).to_have_text(
        ["投诉人姓名：必填", "投诉对象：必填", "投诉内容：必填", "诉求：必填"]
    )
    expect(page.get_by_text("投诉人姓名：必填")).to_be_visible()
    expect(page.get_by_label("姓名")).to_have_attribute("aria-invalid", "true")
    assert session.scalar(select(func.count()).select_from(Complaint)) == 0


def test_supervisor_approves_customer_answers_and_the_case_closes(
    live_server: str, page: Page, kesu: Kesu, session: Session, personas: Personas
) -> None:
    # The handler's part is set up through the services; the browser does the rest.
    complaint = file_complaint(kesu, session, description=DESCRIPTION)
    for action in (Action.TRIAGE,):
        complaint = complaints.transition_complaint(
            session,
            complaint_id=complaint.id,
            action=action,
            expected_version=complaint.version,
            actor=personas.zhang_min.actor,
            clock=kesu.clock,
        )
    complaint = complaints.assign_complaint(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        department_id=personas.quality.id,
        assignee_id=None,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    complaint = complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.START_INVESTIGATION,
        expected_version=complaint.version,
        actor=personas.zhao_lei.actor,
        clock=kesu.clock,
    )
    remedies.propose_remedy(
        session,
        complaint_id=complaint.id,
        draft=RemedyCreate(
            version=complaint.version,
            kind=RemedyKind.COMPENSATION,
            amount=Decimal("300"),
            description="赔偿医药费 300 元",
        ),
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    remedies.submit_remedies(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )

    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill("liqiang")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="待批示").click()
    page.get_by_role("link", name=complaint.tracking_number).click()
    badge = page.locator("h1 .badge").first
    expect(badge).to_have_text("待主管批示")
    screenshot(page, "supervisor-approval")
    page.get_by_label("批示意见").fill("同意赔付")
    page.get_by_role("button", name="批准", exact=True).click()
    expect(badge).to_have_text("处理落实中")
    page.get_by_role("button", name="标记已解决").click()
    expect(badge).to_have_text("已解决")

    Worker(
        kesu.sessions,
        registry.build_handlers(
            notifier=MemoryNotifier(),
            clock=kesu.clock,
            secret="test-secret",
            public_url=live_server,
        ),
        kesu.clock,
        WorkerConfig(50, 60, 3),
    ).run_until_idle()
    session.rollback()
    visit = session.scalars(select(FollowUpVisit)).one()
    page.goto(f"{live_server}/followup/{followup.visit_token('test-secret', visit.id)}")
    screenshot(page, "portal-survey")
    page.get_by_label("满意", exact=True).check()
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".receipt")).to_contain_text("您的意见已记录")

    page.goto(f"{live_server}/agent/complaints/{complaint.id}")
    expect(badge).to_have_text("回访中")
    page.get_by_role("button", name="结案", exact=True).click()
    expect(badge).to_have_text("已结案")
    screenshot(page, "agent-closed")


def sign_in_new_administrator(page: Page, base_url: str, kesu: Kesu, session: Session) -> None:
    """王静, the installation's administrator, signs in to the pages."""
    accounts.create_user(
        session,
        username="wangjing",
        display_name="王静",
        role=Role.ADMIN,
        password=PASSWORD,
        clock=kesu.clock,
    )
    page.goto(f"{base_url}/login")
    page.get_by_label("用户名").fill("wangjing")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_an_administrator_keeps_the_cause_catalogue(
    live_server: str, page: Page, kesu: Kesu, session: Session, personas: Personas
) -> None:
    sign_in_new_administrator(page, live_server, kesu, session)
    page.get_by_role("link", name="系统管理").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("系统管理")
    screenshot(page, "admin-hub")

    page.get_by_role("link", name="原因目录").first.click()
    form = page.locator("form#add")
    form.get_by_label("原因代码").fill("PACKING_DAMAGE")
    form.get_by_label("原因名称").fill("包装破损")
    form.get_by_role("button", name="新增原因").click()
    row = page.locator("table.queue tr", has_text="PACKING_DAMAGE")
    expect(row).to_contain_text("包装破损")
    expect(row).to_contain_text("在用")
    row.get_by_role("button", name="停用").click()
    expect(page.locator("table.queue tr", has_text="PACKING_DAMAGE")).to_contain_text("已停用")
    screenshot(page, "admin-causes")


def test_a_complaint_sent_through_the_api_tracks_at_once_and_the_inbox_page_shows_failures(
    live_server: str, page: Page, kesu: Kesu, session: Session, personas: Personas
) -> None:
    body = {
        "complainant_name": "刘女士",
        "phone": PHONE,
        "target": "悦享乳业 纯牛奶 250ml×12",
        "description": "11月20日买的一箱牛奶，打开第二盒就发现结块发酸，还没过期。",
        "demands": ["refund"],
        "channel": "ecommerce",
    }
    host, port = live_server.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request(
        "POST",
        "/api/v1/complaints",
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    answer = connection.getresponse()
    assert answer.status == 202
    number = json.loads(answer.read())["tracking_number"]
    connection.close()
    # No worker runs here: the customer's look-up registers the complaint on the spot.
    page.goto(f"{live_server}/track")
    page.get_by_label("受理编号").fill(number)
    page.get_by_label("联系电话或邮箱").fill(PHONE)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("body")).to_contain_text(number)
    expect(page.locator("body")).to_contain_text("悦享乳业")
    screenshot(page, "portal-track-api")

    session.execute(
        insert(IntakeSubmission).values(
            tracking_number="KS261123-FA7LED",
            status=SubmissionStatus.FAILED,
            received_at=kesu.clock.now(),
            payload={"draft": {}, "agent": None},
            request_hash="0" * 64,
            attempts=8,
            last_error="ValidationError: 3 validation errors for ComplaintDraft",
        )
    )
    session.commit()
    sign_in_new_administrator(page, live_server, kesu, session)
    page.goto(f"{live_server}/agent/admin")
    page.get_by_role("link", name="受理队列").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("受理队列")
    expect(page.locator("#inbox-failed")).to_have_text("1")
    expect(page.locator("table.queue")).to_contain_text("ValidationError")
    screenshot(page, "admin-intake")
    page.get_by_role("button", name="排除原因后重新登记").click()
    expect(page.locator(".admin-notice")).to_be_visible()
    expect(page.locator("#inbox-failed")).to_have_text("0")
    expect(page.locator("#inbox-pending")).to_have_text("1")
