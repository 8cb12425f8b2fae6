"""The per-process department and handler lists: a write through the ORM shows at once in the
process that made it, another process's write within ``CACHE_SECONDS``, and rows a transaction
has not committed are never handed to other sessions."""

from __future__ import annotations

import time

import pytest

from kesu.accounts import queries as accounts_queries
from kesu.accounts import service as accounts
from kesu.accounts.models import Department, Role
from kesu.bootstrap import Kesu
from kesu.core.actors import SYSTEM
from kesu.core.clock import FixedClock
from kesu.db import cache


def _names(kesu: Kesu) -> list[str]:
    with kesu.sessions() as session:
        return [d.name for d in accounts_queries.department_list(session)]


def test_a_department_added_or_renamed_in_this_process_shows_at_once(
    kesu: Kesu, clock: FixedClock
) -> None:
    assert _names(kesu) == []
    with kesu.sessions() as session:
        department = accounts.create_department(session, code="LOG", name="储运部", clock=clock)
    assert _names(kesu) == ["储运部"]
    with kesu.sessions() as session:
        accounts.rename_department(
            session, department_id=department.id, name="物流部", actor=SYSTEM, clock=clock
        )
    assert _names(kesu) == ["物流部"]


def test_a_handler_added_or_deactivated_shows_at_once(kesu: Kesu, clock: FixedClock) -> None:
    def handlers() -> list[str]:
        with kesu.sessions() as session:
            return [h.display_name for h in accounts_queries.handler_list(session)]

    assert handlers() == []
    with kesu.sessions() as session:
        user = accounts.create_user(
            session,
            username="li",
            display_name="李娜",
            role=Role.HANDLER,
            password="a long enough password",
            clock=clock,
        )
    assert handlers() == ["李娜"]
    with kesu.sessions() as session:
        accounts.set_user_active(session, user_id=user.id, active=False, actor=SYSTEM, clock=clock)
    assert handlers() == []


def test_a_write_no_event_announces_shows_after_the_cache_period(
    kesu: Kesu, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with kesu.sessions() as session:
        accounts.create_department(session, code="LOG", name="储运部", clock=clock)
    assert _names(kesu) == ["储运部"]
    # As another process's write looks from here: nothing in this process hears of it.
    with kesu.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE department SET name = '物流部'")
    assert _names(kesu) == ["储运部"]
    later = time.monotonic() + cache.CACHE_SECONDS + 0.1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert _names(kesu) == ["物流部"]


def test_uncommitted_rows_are_not_shared_with_other_sessions(kesu: Kesu) -> None:
    with kesu.sessions() as writer:
        writer.add(Department(code="TMP", name="临时部"))
        writer.flush()
        # The writer sees its own row; the copy it read must not reach anyone else.
        assert [d.name for d in accounts_queries.department_list(writer)] == ["临时部"]
        assert _names(kesu) == []
        writer.rollback()
    assert _names(kesu) == []
