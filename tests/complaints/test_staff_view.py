"""The staff view of a complaint lists its evidence and timeline, whether it has evidence or not
(the timeline's statement tells whether the evidence list must be read at all)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from kesu.bootstrap import Kesu
from kesu.complaints import queries
from kesu.sla.models import SlaClock
from tests.factories import Personas, register_submissions

FORM: dict[str, Any] = {
    "complainant_name": "刘女士",
    "phone": "13912345678",
    "target": "悦享乳业 纯牛奶 250ml×12",
    "product_line": "乳制品",
    "description": "11月20日在城东超市买的一箱牛奶，打开第二盒就发现结块发酸，生产日期是11月15日。",
    "demands": ["refund"],
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_detail_lists_evidence_when_there_is_some_and_none_otherwise(
    client: TestClient, kesu: Kesu, personas: Personas
) -> None:
    with_photo = client.post("/api/v1/complaints", json=FORM).json()["tracking_number"]
    client.post("/api/v1/complaints", json={**FORM, "complainant_name": "王先生"})
    added = client.post(
        "/api/v1/complaints/track/evidence",
        data={"tracking_number": with_photo, "phone": "13912345678"},
        files=[
            ("files", ("牛奶.png", PNG, "image/png")),
            ("files", ("盒子.png", PNG, "image/png")),
        ],
    )
    assert added.status_code == 201
    register_submissions(kesu)
    agent = personas.zhang_min.headers
    listed = client.get("/api/v1/complaints", headers=agent).json()
    by_number = {row["tracking_number"]: row["id"] for row in listed}
    assert len(by_number) == 2

    for tracking_number, complaint_id in by_number.items():
        detail = client.get(f"/api/v1/complaints/{complaint_id}", headers=agent).json()
        assert detail["timeline"], "every complaint has at least its registration"
        names = [item["filename"] for item in detail["evidence"]]
        assert names == (["牛奶.png", "盒子.png"] if tracking_number == with_photo else [])
        page = client.get(f"/agent/complaints/{complaint_id}", headers=agent)
        assert page.status_code == 200
        assert ("牛奶.png" in page.text) == (tracking_number == with_photo)


def test_the_queue_reads_the_clocks_of_its_page_through_their_index(kesu: Kesu) -> None:
    # SQLite has no boolean type: a Boolean element would be compared with 1 and no index
    # would serve it (a scan of every clock, 17 ms at a million complaints).
    statement = select(SlaClock.complaint_id).where(
        queries._among_ids(SlaClock.complaint_id, [3, 2, 1])
    )
    with kesu.engine.connect() as connection:
        if kesu.engine.dialect.name == "sqlite":
            plan = connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + str(statement.compile(kesu.engine)), ("[3, 2, 1]",)
            ).all()
            assert any(str(row[-1]).startswith("SEARCH sla_clock") for row in plan), plan
        assert connection.execute(statement).all() == []
