"""The staff queue worked from the keyboard in Chromium, and the caller lookup at entry."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from kesu.bootstrap import Kesu
from kesu.customers import service as customers
from tests.factories import PASSWORD, Personas, file_complaint
from tests.web import test_browser as browser

pytestmark = pytest.mark.browser
# The live server and the Chromium page of the browser tests, as fixtures of this module too.
live_server = browser.live_server
page = browser.page


def _sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("用户名").fill("zhangmin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("投诉队列")


def test_the_queue_is_worked_from_the_keyboard(
    live_server: str, page: Page, kesu: Kesu, session: Session, personas: Personas
) -> None:
    filed = [file_complaint(kesu, session, phone=f"1390000030{i}") for i in range(3)]
    _sign_in(page, live_server)
    rows = page.locator("table[data-rows] tbody tr")
    expect(rows).to_have_count(3)

    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bselected\b"))
    expect(rows.nth(1)).not_to_have_class(re.compile(r"\bselected\b"))
    # Newest first: the first row is the last complaint filed, and Enter opens it.
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/agent/complaints/{filed[-1].id}")

    page.keyboard.press("g")
    page.keyboard.press("q")
    expect(page).to_have_url(f"{live_server}/agent")
    help_panel = page.locator("#keys-help")
    expect(help_panel).to_be_hidden()
    page.keyboard.press("?")
    expect(help_panel).to_be_visible()
    browser.screenshot(page, "agent-queue-keys")
    page.keyboard.press("?")
    expect(help_panel).to_be_hidden()
    page.keyboard.press("/")
    expect(page.locator("input[name=q]")).to_be_focused()
    page.locator("h1").click()
    page.keyboard.press("g")
    page.keyboard.press("n")
    expect(page).to_have_url(f"{live_server}/agent/new")


def test_an_agent_looks_the_caller_up_before_registering(
    live_server: str, page: Page, kesu: Kesu, session: Session, personas: Personas
) -> None:
    earlier = file_complaint(kesu, session, description="热水器漏电，我要去12315投诉！")
    customers.tag_customer(
        session, customer_id=earlier.customer_id, tags=["vip"], actor="test", now=kesu.clock.now()
    )
    _sign_in(page, live_server)
    page.goto(f"{live_server}/agent/new")
    page.get_by_label("来电号码或电子邮箱").fill("138 0013 8001")
    page.get_by_role("button", name="查询客户历史").click()
    history = page.locator("section.history")
    expect(history.get_by_role("table").get_by_role("link")).to_have_text(earlier.tracking_number)
    expect(history.locator(".warning.threats")).to_contain_text("投诉至监管部门")
    expect(history.locator(".warning.tag-vip")).to_have_text("重要客户")
    expect(page.locator('input[name="phone"]')).to_have_value("13800138001")
    browser.screenshot(page, "agent-entry-history")
    page.goto(f"{live_server}/language/en?next=/agent/new%3Fcontact%3D13800138001")
    expect(page.locator("section.history h2")).to_have_text("Customer history: 王芳")
    browser.screenshot(page, "agent-entry-history-en")
