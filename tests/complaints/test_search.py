"""Chinese full-text search: exact words of two or more characters, from the index alone."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from kesu.bootstrap import Kesu
from kesu.complaints import queries, search
from kesu.complaints.models import Complaint
from kesu.core.errors import InvalidInput
from kesu.core.i18n import Language
from kesu.db import migrate
from kesu.text.search import index_terms, query_terms
from tests.factories import PASSWORD, Personas, file_complaint

TEXTS = {
    "heater": "买的燃气热水器一直漏水，售后客服态度很差，要求退款。",
    "split": "燃气灶打不着火，另外家里热水管也坏了。",
    "traditional": "快遞三天沒送到，客服態度惡劣，要求賠償。",
    "model": "澜泉 JSQ25-12 型号的机器，遥控器失灵。",
    "single": "差！服务太差了",
}


def _ids(session: Session, query: str) -> set[int]:
    clause = search.matches(session, query)
    assert clause is not None
    return set(session.scalars(select(Complaint.id).where(clause)))


@pytest.fixture
def filed(kesu: Kesu, session: Session) -> dict[str, int]:
    return {
        name: file_complaint(
            kesu, session, description=text, target=f"第{n}号商户", phone=f"1390000000{n}"
        ).id
        for n, (name, text) in enumerate(TEXTS.items())
    }


def test_two_and_four_character_words_find_exactly_the_complaints_containing_them(
    session: Session, filed: dict[str, int]
) -> None:
    assert _ids(session, "漏水") == {filed["heater"]}
    assert _ids(session, "燃气热水") == {filed["heater"]}
    # Both halves of 燃气热水 occur in "split", but not side by side: no match.
    assert _ids(session, "燃气") == {filed["heater"], filed["split"]}
    assert _ids(session, "客服态度") == {filed["heater"], filed["traditional"]}


def test_traditional_queries_and_texts_meet_in_simplified(
    session: Session, filed: dict[str, int]
) -> None:
    assert _ids(session, "態度惡劣") == {filed["traditional"]}
    assert _ids(session, "赔偿") == {filed["traditional"]}


def test_several_words_must_all_match_and_model_numbers_are_words(
    session: Session, filed: dict[str, int]
) -> None:
    assert _ids(session, "客服 退款") == {filed["heater"]}
    assert _ids(session, "JSQ25") == {filed["model"]}
    assert _ids(session, "jsq25 遥控") == {filed["model"]}
    assert _ids(session, "冰箱") == set()


def test_a_single_character_is_searched_as_a_substring(
    session: Session, filed: dict[str, int]
) -> None:
    assert _ids(session, "差") == {filed["heater"], filed["single"]}
    assert _ids(session, "号") == set(filed.values())  # the target is searched too
    assert search.matches(session, "%") is None


def test_an_empty_or_overlong_query_is_refused_or_ignored(session: Session) -> None:
    assert search.matches(session, "  ！！ ") is None
    with pytest.raises(InvalidInput):
        search.matches(session, "投" * (search.MAX_QUERY_CHARS + 1))


def test_terms_never_span_two_fields_or_punctuation() -> None:
    terms = index_terms("售后", "客服").split()
    assert query_terms("后客")[0][0] not in terms
    assert len(terms) == 2


def test_the_queue_api_and_page_search_the_text(
    client: TestClient, personas: Personas, filed: dict[str, int]
) -> None:
    found = client.get(
        "/api/v1/complaints", params={"q": "燃气熱水"}, headers=personas.zhang_min.headers
    )
    assert found.status_code == 200
    assert [row["id"] for row in found.json()] == [filed["heater"]]
    too_long = client.get(
        "/api/v1/complaints", params={"q": "投" * 101}, headers=personas.zhang_min.headers
    )
    assert (too_long.status_code, too_long.json()["code"]) == (422, "validation_error")
    client.post("/login", data={"username": "zhangmin", "password": PASSWORD, "next": "/agent"})
    page = client.get("/agent", params={"q": "客服态度"})
    assert page.status_code == 200
    shown = {int(n) for n in re.findall(r'href="/agent/complaints/(\d+)"', page.text)}
    assert shown == {filed["heater"], filed["traditional"]}
    assert 'value="客服态度"' in page.text


@pytest.mark.parametrize(("window_ids", "levels"), [(3, 4), (1, 4), (1, 1)])
def test_pages_of_a_search_run_newest_first_across_id_windows(
    kesu: Kesu,
    session: Session,
    personas: Personas,
    monkeypatch: pytest.MonkeyPatch,
    window_ids: int,
    levels: int,
) -> None:
    # Tiny windows: on PostgreSQL a page is gathered from several windows and blocks of them,
    # the newest first, then from everything older than the coarsest block (one level of
    # blocks of four one-id windows leaves most of the complaints to that last statement), and
    # keyset pages continue where the last one stopped; SQLite walks FTS5 instead.
    monkeypatch.setattr(search, "WINDOW_IDS", window_ids)
    monkeypatch.setattr(search, "WINDOW_LEVELS", levels)
    ids = []
    for n in range(14):
        word = "热水器漏水" if n % 3 != 1 else "冰箱不制冷"
        extra = "，洗碗机也坏了" if n == 0 else ""
        ids.append(
            file_complaint(
                kesu, session, description=f"家里的{word}{extra}。", phone=f"1391000{n:04d}"
            ).id
        )
    wanted = sorted((i for n, i in enumerate(ids) if n % 3 != 1), reverse=True)
    viewer = personas.zhang_min.actor
    seen: list[int] = []
    before: int | None = None
    while True:
        page = queries.list_complaints(
            session,
            viewer,
            queries.ComplaintFilter(search="漏水", before_id=before, limit=4),
            Language.ZH,
        )
        if not page:
            break
        assert len(page) <= 4
        seen.extend(row.id for row in page)
        before = page[-1].id
    assert seen == wanted
    # A word in none of them, and one in the oldest only, still end.
    assert (
        queries.list_complaints(
            session, viewer, queries.ComplaintFilter(search="洗衣机"), Language.ZH
        )
        == []
    )
    oldest = queries.list_complaints(
        session, viewer, queries.ComplaintFilter(search="洗碗机"), Language.ZH
    )
    assert [row.id for row in oldest] == [ids[0]]


def test_the_window_terms_survive_a_downgrade_and_upgrade(
    kesu: Kesu, session: Session, filed: dict[str, int]
) -> None:
    migrate.downgrade(kesu.engine, "0016")
    migrate.upgrade(kesu.engine)
    if kesu.engine.dialect.name == "postgresql":
        rows = session.execute(text("SELECT complaint_id, terms::text FROM complaint_search")).all()
        assert {
            (row[0], all(f"'{term}'" in row[1] for term in search.window_terms(row[0])))
            for row in rows
        } == {(complaint_id, True) for complaint_id in filed.values()}
        assert all(len(search.window_terms(row[0])) == 4 for row in rows)
    assert _ids(session, "客服态度") == {filed["heater"], filed["traditional"]}
