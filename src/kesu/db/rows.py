"""Inserting one row at once, outside the session's unit of work.

A command that needs a new row's id to go on (a complaint for its timeline, a customer for the
complaint) would otherwise flush, and a flush writes everything the session holds, one statement
per table touched since the last one. Inserted here, the row gets its id from ``RETURNING`` and
comes back as a persistent object, while the command's other rows wait in the session and go out
together when it commits: several registrations in one transaction then write each table once.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Insert, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kesu.db.base import Base

M = TypeVar("M", bound=Base)


def insert_row(session: Session, model: type[M], values: dict[str, Any]) -> M:
    """Insert one row of ``model`` at once, without flushing the session; returns it, loaded."""
    with session.no_autoflush:
        row: M = session.scalars(_insert(model, None), [values]).one()
        return row


def insert_row_unless_taken(session: Session, model: type[M], values: dict[str, Any]) -> M | None:
    """``insert_row``, or None when a unique key of the row is already taken (by a transaction
    that committed meanwhile, say): the caller reads the row that holds it instead. No error, so
    no savepoint, which would flush the session."""
    with session.no_autoflush:
        statement = _insert(model, session.get_bind().dialect.name)
        return session.scalars(statement, [values]).one_or_none()


@cache
def _insert(model: type[Base], unless_taken_on: str | None) -> Insert:
    # One statement per table, values passed as parameters: compiled once, then reused.
    if unless_taken_on is None:
        return insert(model).returning(model)
    if unless_taken_on == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing().returning(model)
    return sqlite.insert(model).on_conflict_do_nothing().returning(model)
