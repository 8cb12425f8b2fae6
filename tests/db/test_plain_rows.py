"""Many plain rows at once: COPY on PostgreSQL, executemany on SQLite, in the caller's transaction."""

from __future__ import annotations

from datetime import date
from typing import cast

import pytest
from sqlalchemy import Table, select

from kesu.analytics.models import ComplaintDayCount
from kesu.bootstrap import Kesu
from kesu.db.rows import insert_plain_rows

TABLE = cast(Table, ComplaintDayCount.__table__)


def _rows() -> list[dict[str, object]]:
    # Text that COPY must escape (tabs, backslashes, newlines) and Chinese, beside plain values.
    values = ["浙江省", "tab\there", "back\\slash", "line\nbreak", "'quoted'"]
    return [
        {
            "department_id": n % 3,
            "category": "quality",
            "day": date(2026, 11, 1 + n % 20),
            "dimension": "region",
            "value": f"{value}{n}",
            "complaints": n,
        }
        for n, value in enumerate(values * 20)
    ]


def test_rows_are_written_as_given_and_only_on_commit(kesu: Kesu) -> None:
    rows = _rows()
    with kesu.engine.connect() as connection:
        with connection.begin():
            insert_plain_rows(connection, TABLE, rows)
            insert_plain_rows(connection, TABLE, [])  # nothing to write is no statement
        read = connection.execute(select(TABLE)).mappings().all()
    assert sorted((dict(row) for row in read), key=lambda row: row["complaints"]) == rows


def test_a_failure_leaves_nothing_written(kesu: Kesu) -> None:
    rows = _rows()
    with kesu.engine.connect() as connection:
        transaction = connection.begin()
        insert_plain_rows(connection, TABLE, rows[:10])
        with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
            insert_plain_rows(connection, TABLE, rows[5:6])  # the same key again
        transaction.rollback()
        assert connection.execute(select(TABLE)).all() == []
