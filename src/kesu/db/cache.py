"""Per-process copies of small reference tables that pages read on every request.

The staff pages read the department list, the handler list and the organisation's calendar on
every request; each read is a statement and a few ORM objects, more Python time than the rest of
a page's data. ``SharedRead`` keeps one loaded copy per engine and process.

Why a copy is never stale for long, with any number of web processes and no messaging between
them:

- in the process that wrote: an insert, update or delete of a watched table through the ORM
  (mapper events, and ORM-enabled bulk statements) drops the copy when it is flushed and again
  when it commits, so the writer's next page, and every other request of that process, reads the
  new rows;
- in every other process: a copy is used for at most ``CACHE_SECONDS``, then read again. Other
  processes never hear of a write, so this bound is what makes the copy correct there; a few
  seconds is as long as a new department or handler may take to appear in another process's
  menus, or a calendar change in its due-soon badges.

A version row checked on each request would be exact but is itself a statement, which is what
this saves. Values are immutable (tuples, frozen dataclasses) because requests on several threads
share them.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy.orm import Mapper, ORMExecuteState, Session, object_session

from kesu.db.base import Base

T = TypeVar("T")

CACHE_SECONDS = 5.0
"""How long a copy may be used without reading the tables again (writes of other processes)."""

_TOUCHED = "kesu_cache_touched"
"""session.info key: the watched tables this session has written and not yet committed."""

_lock = threading.Lock()
_generations: dict[str, int] = {}
"""Per watched table, how many writes of it this process has flushed or committed."""
_watched: set[type[Base]] = set()


def _bump(tables: set[str]) -> None:
    with _lock:
        for table in tables:
            _generations[table] = _generations.get(table, 0) + 1


def _note_write(session: Session | None, table: str) -> None:
    _bump({table})
    if session is not None:
        session.info.setdefault(_TOUCHED, set()).add(table)


def _on_row_written(_mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    _note_write(object_session(target), type(target).__tablename__)


def _watch(model: type[Base]) -> None:
    with _lock:
        if model in _watched:
            return
        _watched.add(model)
    for kind in ("after_insert", "after_update", "after_delete"):
        event.listen(model, kind, _on_row_written)


@event.listens_for(Session, "do_orm_execute")
def _on_bulk_statement(state: ORMExecuteState) -> None:
    # insert(User).values(...), update(...), delete(...) through the session fire no mapper events.
    if state.is_select:
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.class_ in _watched:
        _note_write(state.session, mapper.class_.__tablename__)


@event.listens_for(Session, "after_commit")
def _on_commit(session: Session) -> None:
    # Drop copies a reader of this process may have made between the flush and the commit.
    touched = session.info.pop(_TOUCHED, None)
    if touched:
        _bump(touched)


@event.listens_for(Session, "after_rollback")
def _on_rollback(session: Session) -> None:
    # Nothing was written after all; copies dropped at the flush are simply read again.
    session.info.pop(_TOUCHED, None)


class _WatchedRead(Generic[T]):
    """``load(session)`` over the tables of ``models``, whose writes in this process it follows."""

    def __init__(self, load: Callable[[Session], T], *models: type[Base]) -> None:
        self._load = load
        self._tables = tuple(str(model.__tablename__) for model in models)
        for model in models:
            _watch(model)

    def _generation(self) -> tuple[int, ...]:
        """Changes with every flushed or committed write of the tables in this process."""
        return tuple(_generations.get(table, 0) for table in self._tables)


class SharedRead(_WatchedRead[T]):
    """``load(session)``, kept per engine and process until a watched table changes (see above).

    ``load`` must return an immutable value and read only the ``models`` it is declared with.
    """

    def __init__(self, load: Callable[[Session], T], *models: type[Base]) -> None:
        super().__init__(load, *models)
        self._copies: weakref.WeakKeyDictionary[Engine, tuple[tuple[int, ...], float, T]] = (
            weakref.WeakKeyDictionary()
        )

    def __call__(self, session: Session) -> T:
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        now = time.monotonic()
        generation = self._generation()
        copy = self._copies.get(engine)
        if copy is not None and copy[0] == generation and now - copy[1] < CACHE_SECONDS:
            return copy[2]
        value = self._load(session)
        # A session that has written these tables sees its own uncommitted rows: they are not
        # for other requests, which would show them even if this transaction rolls back.
        if not self._tables_written_by(session):
            self._copies[engine] = (generation, now, value)
        return value

    def _tables_written_by(self, session: Session) -> bool:
        touched: set[str] | None = session.info.get(_TOUCHED)
        return bool(touched) and any(table in touched for table in self._tables)  # type: ignore[operator]

    def clear(self) -> None:
        """Forget every copy (tests that write the tables behind the ORM's back)."""
        self._copies.clear()


class TransactionRead(_WatchedRead[T]):
    """``load(session)``, read once per transaction of a session and then kept for the rest of it.

    For commands that must see the committed rows as of their transaction (a deadline counted on
    the calendar, not on a copy seconds old), yet run many times in one transaction: the API's
    inbox registers several complaints in one, and each reads the SLA policies and the calendar.
    A write of a watched table in this process drops the value once flushed, as for
    ``SharedRead``; a new transaction reads again.
    """

    def __init__(self, load: Callable[[Session], T], *models: type[Base]) -> None:
        super().__init__(load, *models)
        self._key = f"kesu_transaction_read_{id(self)}"

    def __call__(self, session: Session) -> T:
        generation = self._generation()
        kept: tuple[object, tuple[int, ...], T] | None = session.info.get(self._key)
        if kept is not None and kept[:2] == (session.get_transaction(), generation):
            return kept[2]
        value = self._load(session)
        # The load began the transaction if none was open: the value belongs to that one.
        session.info[self._key] = (session.get_transaction(), generation, value)
        return value
