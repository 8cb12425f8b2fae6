"""A writer's kept connection: reused between writes, given back after a rest or an error."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, QueuePool, func, insert, select, text

from kesu.bootstrap import Kesu
from kesu.db.engine import KeptConnection
from kesu.db.models import Job


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Job)) or 0


def _checked_out(engine: Engine) -> int:
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedout()


def _put(key: str) -> dict[str, object]:
    # A job row: its dedupe key is unique, so a second write of the same key fails.
    now = datetime.now(UTC)
    return {"kind": "test.kept", "payload": {}, "run_at": now, "created_at": now, "dedupe_key": key}


def test_writes_reuse_one_connection_until_it_rests(kesu: Kesu) -> None:
    kept = KeptConnection(kesu.engine, rest_seconds=0.2)
    with kept.write() as first:
        first.execute(insert(Job), [_put("kept.one")])
    with kept.write() as second:
        second.execute(insert(Job), [_put("kept.two")])
    assert second is first
    assert _checked_out(kesu.engine) == 1
    # Each write is committed when it ends: another connection sees both rows.
    assert _count(kesu.engine) == 2
    time.sleep(0.3)
    with kept.write() as rested:
        rested.execute(insert(Job), [_put("kept.three")])
    assert rested is not first
    kept.give_back()
    assert _checked_out(kesu.engine) == 0
    assert _count(kesu.engine) == 3


def test_a_failed_write_gives_its_connection_back(kesu: Kesu) -> None:
    kept = KeptConnection(kesu.engine)
    with kept.write() as connection:
        connection.execute(insert(Job), [_put("kept.once")])
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), kept.write() as failing:
        failing.execute(insert(Job), [_put("kept.once")])
    assert _checked_out(kesu.engine) == 0
    with kept.write() as fresh:
        fresh.execute(insert(Job), [_put("kept.after")])
    assert fresh is not connection
    kept.give_back()
    assert _count(kesu.engine) == 2


def test_postgresql_writes_in_autocommit_and_sqlite_in_a_write_transaction(kesu: Kesu) -> None:
    kept = KeptConnection(kesu.engine)
    with kept.write() as connection:
        if kesu.dialect == "postgresql":
            assert kept.autocommit
            # Each statement is its own transaction: the server sees none open around them.
            connection.execute(insert(Job), [_put("kept.autocommit")])
            assert connection.scalar(text("SELECT pg_current_xact_id_if_assigned()")) is None
        else:
            assert not kept.autocommit
            # SQLite's transaction holds the write lock from its start (BEGIN IMMEDIATE).
            assert connection.connection.dbapi_connection is not None
            assert connection.connection.dbapi_connection.in_transaction
            connection.execute(insert(Job), [_put("kept.transaction")])
    kept.give_back()
    assert _count(kesu.engine) == 1
