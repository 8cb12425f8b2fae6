"""The dashboard over HTTP: the API, the page in both languages with its charts, the CSV export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kesu.analytics import service
from kesu.bootstrap import Kesu
from kesu.core.clock import FixedClock
from kesu.web.pages import analytics as analytics_page
from kesu.web.pages import rendering
from kesu.web.translation import english
from tests.analytics.scenario import app_with_analytics, assigned, categorised, filed
from tests.factories import PASSWORD, Personas

HAN = re.compile(r"[\u4e00-\u9fff]")
TODAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def client(kesu: Kesu) -> Iterator[TestClient]:
    with TestClient(app_with_analytics(kesu)) as test_client:
        yield test_client


@pytest.fixture
def counted(kesu: Kesu, session: Session, clock: FixedClock, personas: Personas) -> None:
    """Three complaints this month, one of them assigned to quality management, counted."""
    for n, (day, channel, region) in enumerate(
        [(3, "web", "浙江省杭州市"), (10, "phone", "北京市海淀区"), (20, "web", "上海市浦东新区")]
    ):
        complaint = filed(
            kesu,
            session,
            clock,
            datetime(2026, 11, day, 3, tzinfo=UTC),
            phone=f"1390000060{n}",
            email=None,
            channel=channel,
            region=region,
        )
        complaint = categorised(kesu, session, personas, complaint, "logistics")
        if n == 1:
            assigned(kesu, session, personas, complaint, personas.quality.id)
    clock.set(TODAY)
    service.refresh(session, now=TODAY)


def _sign_in(client: TestClient, username: str = "chenjing") -> None:
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "next": "/agent"},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_the_api_returns_the_summary(client: TestClient, personas: Personas, counted: None) -> None:
    response = client.get(
        "/api/v1/analytics/summary",
        params={"from": "2026-11-01", "to": "2026-11-23", "category": "logistics"},
        headers={**personas.chen_jing.headers, "Accept-Language": "en"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == {"start": "2026-11-01", "end": "2026-11-23", "days": 23}
    assert body["current"]["complaints"] == 3
    assert {row["key"]: row["label"] for row in body["by_channel"]} == {
        "web": "Web portal",
        "phone": "Phone",
    }
    assert {row["key"]: row["complaints"] for row in body["by_department"]} == {
        "none": 2,
        str(personas.quality.id): 1,
    }
    assert body["refreshed_at"] is not None
    assert body["pending_days"] == 0


def test_the_api_refuses_bad_questions_with_stable_codes(
    client: TestClient, personas: Personas
) -> None:
    headers = personas.chen_jing.headers

    def ask(**params: str) -> tuple[int, str]:
        response = client.get("/api/v1/analytics/summary", params=params, headers=headers)
        return response.status_code, response.json()["code"]

    assert ask(**{"from": "2026-11-23", "to": "2026-11-01"}) == (422, "period_reversed")
    assert ask(**{"from": "2020-01-01", "to": "2026-11-01"}) == (422, "period_too_long")
    assert ask(**{"from": "23/11/2026"}) == (422, "validation_error")
    assert ask(category="weather") == (422, "unknown_category")
    assert ask(department_id="999") == (404, "department_not_found")
    assert ask(department_id="-1") == (422, "validation_error")
    anonymous = client.get("/api/v1/analytics/summary")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    outside = client.get(
        "/api/v1/analytics/summary",
        params={"department_id": personas.logistics.id},
        headers=personas.zhao_lei.headers,
    )
    assert (outside.status_code, outside.json()["code"]) == (403, "permission_denied")


def test_the_summary_schema_is_documented_with_an_example(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/api/v1/analytics/summary"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {
        "from",
        "to",
        "department_id",
        "category",
    }
    assert {"403", "404", "422"} <= set(operation["responses"])
    summary = schema["components"]["schemas"]["AnalyticsSummary"]
    assert summary["examples"][0]["current"]["complaints"] == 1284


def test_the_page_shows_figures_charts_and_their_tables(client: TestClient, counted: None) -> None:
    assert client.get("/agent/analytics", follow_redirects=False).status_code == 303
    _sign_in(client)
    page = client.get("/agent/analytics", params={"from": "2026-11-01", "to": "2026-11-23"})
    assert page.status_code == 200
    html = page.text
    assert "统计分析" in html
    # Six charts, each an image with its title and description, each beside a table.
    charts = re.findall(r'<svg class="an-svg[^"]*"[^>]*role="img" aria-labelledby="([^"]+)"', html)
    assert len(charts) == 6
    for labelled_by in charts:
        title, desc = labelled_by.split()
        assert f'<title id="{title}">' in html
        assert f'<desc id="{desc}">' in html
    assert html.count("<table") == 6
    assert "物流/运输" in html
    assert re.search(r'class="an-kpi-value">3<', html)
    assert "<script" not in html.split("</main>")[0].split("<main")[1]


def test_the_page_in_english_has_no_chinese_ui_text(
    client: TestClient, personas: Personas, counted: None
) -> None:
    _sign_in(client)
    client.get("/language/en?next=/", follow_redirects=False)
    page = client.get("/agent/analytics", params={"from": "2026-11-01", "to": "2026-11-23"})
    assert page.status_code == 200
    body = page.text.split("<body>", 1)[1]
    body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
    # Data may stay Chinese: department names and the staff member's name.
    data = [d.name for d in (personas.service_centre, personas.quality, personas.logistics)]
    for allowed in ["kesu 客诉", "中文", ">诉<", personas.chen_jing.user.display_name, *data]:
        body = body.replace(allowed, "")
    visible = re.sub(r"<[^>]+>", " ", body)
    assert HAN.findall(visible) == []
    assert "Complaints over time" in visible
    assert "Beijing" in visible


def test_every_phrase_of_the_dashboard_has_its_english() -> None:
    phrases: set[str] = set()
    for path in (rendering.TEMPLATES_DIR / "analytics").glob("*.html"):
        found = rendering.env.extract_translations(path.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
        phrases.update(message for _line, _function, message in found if isinstance(message, str))
    source = Path(analytics_page.__file__).read_text(encoding="utf-8")
    phrases.update(re.findall(r'translate\(\s*"([^"]+)"', source))
    assert len(phrases) > 40
    assert sorted(phrase for phrase in phrases if phrase not in english()) == []


def test_a_bad_date_on_the_page_is_explained_not_crashed_on(
    client: TestClient, counted: None
) -> None:
    _sign_in(client)
    page = client.get("/agent/analytics", params={"from": "2026-13-01"})
    assert page.status_code == 422
    assert "YYYY-MM-DD" in page.text
    assert 'value="2026-13-01"' in page.text
    reversed_period = client.get(
        "/agent/analytics", params={"from": "2026-11-20", "to": "2026-11-01"}
    )
    assert reversed_period.status_code == 422
    assert "晚于结束日期" in reversed_period.text


def test_the_tables_export_as_csv(client: TestClient, counted: None) -> None:
    _sign_in(client)
    response = client.get("/agent/analytics.csv", params={"from": "2026-11-01", "to": "2026-11-23"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "kesu-analytics-2026-11-01-2026-11-23.csv" in response.headers["content-disposition"]
    assert response.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0] == ["统计区间", "2026-11-01", "2026-11-23"]
    assert ["投诉量", "3", "0", ""] in rows
    assert any(row[:2] == ["物流/运输", "3"] for row in rows)
    assert any(row[:2] == ["北京市", "1"] for row in rows)


def test_the_page_before_anything_was_counted(client: TestClient, personas: Personas) -> None:
    _sign_in(client)
    page = client.get("/agent/analytics")
    assert page.status_code == 200
    assert "统计数据尚未生成" in page.text
    assert page.text.count("本期没有投诉。") >= 5
    assert 'value="2026-10-25"' in page.text  # the default period, shown in the form
