"""The business calendar as of a command's transaction: read once in it, read again after a
change of the calendar in the same transaction, and in every new transaction."""

from __future__ import annotations

from datetime import date

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from kesu.bootstrap import Kesu
from kesu.core.actors import SYSTEM
from kesu.db.engine import transaction
from kesu.sla import service as sla
from kesu.sla.schemas import CalendarDayWrite

SATURDAY = date(2026, 11, 28)


def test_one_read_per_transaction_and_a_change_in_it_is_seen(kesu: Kesu) -> None:
    reads: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.startswith("SELECT") and statement.endswith("FROM calendar_day"):
            reads.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        with kesu.sessions() as session, transaction(session):
            assert not sla.business_calendar(session).is_working_day(SATURDAY)
            assert not sla.business_calendar(session).is_working_day(SATURDAY)
            assert len(reads) == 1
            sla.set_calendar_day(
                session,
                CalendarDayWrite(day=SATURDAY, is_working=True, note="周六促销"),
                actor=SYSTEM,
                now=kesu.clock.now(),
            )
            session.flush()
            assert sla.business_calendar(session).is_working_day(SATURDAY)
            assert len(reads) == 2
        with kesu.sessions() as session:
            # A new transaction reads again: another process may have changed the calendar.
            session.execute(text("DELETE FROM calendar_day"))
            session.commit()
            assert not sla.business_calendar(session).is_working_day(SATURDAY)
            assert len(reads) == 3
    finally:
        event.remove(Engine, "before_cursor_execute", count)
