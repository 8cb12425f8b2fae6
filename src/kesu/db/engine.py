"""Engines and sessions for SQLite (embedded default) and PostgreSQL (scale path)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",  # durable across application crashes; WAL fsyncs on checkpoint
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=15000",  # milliseconds a writer waits for the lock
    # 8 MiB of page cache per connection; the OS caches the file as well, so a miss costs a
    # read() from memory. At 64 MiB a web process at a million complaints peaked above 500 MiB,
    # each pooled connection filling its own cache.
    "PRAGMA cache_size=-8192",
    "PRAGMA temp_store=MEMORY",
)


def make_engine(url: str, **options: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 15},
            # Each connection has its own page cache (cache_size below): reusing the most recent
            # connection keeps one cache warm instead of filling one per pooled connection.
            pool_use_lifo=True,
            **options,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **options)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    # SQLite has one writer at a time. Within a process, writers wait for each other on this
    # lock, in turn, instead of on busy_timeout: SQLite's busy handler polls with sleeps of up to
    # 100 ms, so under load the database sat idle while every waiting writer slept, and the
    # slowest requests waited seconds. Other processes (a separate worker, an import) still meet
    # on busy_timeout. A writer that cannot get the lock in time goes on to BEGIN IMMEDIATE.
    writer = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A command's transaction takes the write lock up front, so two writers queue instead of
        # one failing when its read lock cannot be upgraded. Reads stay deferred and never wait
        # for a writer (WAL).
        if not connection.get_execution_options().get(_WRITE_OPTION):
            connection.exec_driver_sql("BEGIN")
            return
        if writer.acquire(timeout=WRITER_WAIT_SECONDS):
            connection.info[_HOLDS_WRITER] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(connection.info)
            raise

    def _release(info: dict[Any, Any]) -> None:
        if info.pop(_HOLDS_WRITER, False):
            writer.release()

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Any) -> None:
        _release(connection.info)

    # A connection the pool resets or throws away mid-transaction must not keep the lock.
    @event.listens_for(engine.pool, "reset")
    def _on_reset(_dbapi: Any, record: Any, _reset_state: Any) -> None:
        _release(record.info)

    @event.listens_for(engine.pool, "invalidate")
    def _on_invalidate(_dbapi: Any, record: Any, _exception: Any) -> None:
        _release(record.info)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # Objects stay readable after commit: edges render what a command returned.
    return sessionmaker(engine, expire_on_commit=False)


_DEPTH = "kesu_transaction_depth"
_HOLDS_WRITER = "kesu_holds_writer_lock"
WRITER_WAIT_SECONDS = 15
_WRITE_OPTION = "kesu_write"


class KeptConnection:
    """A connection one writer keeps between its writes: for the few writes so hot that a pool
    checkout per write would cost more than the statements (the intake inbox's batches).

    Every checkout from the pool pings the server (PostgreSQL) and a transaction adds BEGIN and
    COMMIT: three round trips around one INSERT, each one also a wait for the interpreter lock
    held by the event loop. Kept, the connection costs none of that. It is given back to the
    pool after ``rest_seconds`` without a write (the next write checks out a pinged one) and
    after any error, so a broken connection is never used twice.

    On PostgreSQL the connection is in autocommit: each statement commits by itself, so a write
    must be one statement (or tolerate its statements committing one by one). On SQLite a write
    is a transaction that takes the write lock up front, as ``transaction`` does.
    Not thread-safe: one thread writes (``GroupWriter``'s).
    """

    def __init__(self, engine: Engine, *, rest_seconds: float = 5.0) -> None:
        self._engine = engine
        self._rest_seconds = rest_seconds
        self._connection: Connection | None = None
        self._last_write = 0.0
        self.autocommit = engine.dialect.name == "postgresql"

    @contextmanager
    def write(self) -> Iterator[Connection]:
        connection = self._take()
        try:
            if self.autocommit:
                yield connection
            else:
                with connection.begin():
                    yield connection
        except BaseException:
            self.give_back()
            raise
        self._last_write = time.monotonic()

    def _take(self) -> Connection:
        if self._connection is not None and (
            time.monotonic() - self._last_write > self._rest_seconds
        ):
            self.give_back()
        if self._connection is None:
            connection = self._engine.connect()
            if self.autocommit:
                connection.execution_options(isolation_level="AUTOCOMMIT")
            else:
                connection.execution_options(**{_WRITE_OPTION: True})
            self._connection = connection
        return self._connection

    def give_back(self) -> None:
        """Return the connection to the pool (it is checked out again at the next write)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """The unit of work of one command: commits on success, rolls back on any error.

    Re-entrant: a workflow that calls several commands runs them in the outermost one's
    transaction, so either all of them are recorded or none.
    """
    depth: int = session.info.get(_DEPTH, 0)
    if depth == 0:
        # End any read snapshot the caller opened, then start the write transaction.
        session.commit()
        session.connection(execution_options={_WRITE_OPTION: True})
    session.info[_DEPTH] = depth + 1
    try:
        yield session
        if depth == 0:
            session.commit()
    except BaseException:
        if depth == 0:
            session.rollback()
        raise
    finally:
        session.info[_DEPTH] = depth
