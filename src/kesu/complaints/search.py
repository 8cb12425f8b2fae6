"""Chinese full-text search over complaints: an index row per complaint, kept in the same
transaction as the complaint, queried as exact phrases of character bigrams (see kesu.text.search).

SQLite keeps the terms in an FTS5 table whose rowid is the complaint id; PostgreSQL keeps a
``tsvector`` (``simple`` configuration) under a GIN index. Both answer "which complaints contain
this word" from the index alone, so the cost follows the number of matches, not of complaints.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import ColumnElement, Integer, Select, column, or_, table, text
from sqlalchemy.orm import Session

from kesu.complaints.models import Complaint
from kesu.core.errors import Bilingual, InvalidInput
from kesu.text.search import index_terms, is_single_character, query_terms

MAX_QUERY_CHARS = 100
T = TypeVar("T")


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def index_complaints(session: Session, complaints: Iterable[Complaint]) -> None:
    """Add the search terms of new complaints (flushed, so they have ids) in one statement."""
    rows = [
        {"id": complaint.id, "terms": index_terms(complaint.description, complaint.target)}
        for complaint in complaints
    ]
    if not rows:
        return
    if _is_sqlite(session):
        session.execute(
            text("INSERT INTO complaint_search (rowid, terms) VALUES (:id, :terms)"), rows
        )
    else:
        session.execute(
            text(
                "INSERT INTO complaint_search (complaint_id, terms) "
                "VALUES (:id, to_tsvector('simple', :terms))"
            ),
            rows,
        )


def _phrases(query: str) -> list[list[str]]:
    cleaned = query.strip()
    if len(cleaned) > MAX_QUERY_CHARS:
        raise InvalidInput(
            reason=Bilingual(
                f"搜索词不能超过 {MAX_QUERY_CHARS} 个字",
                f"the search text may be at most {MAX_QUERY_CHARS} characters",
            )
        )
    return query_terms(cleaned)


def _expression(session: Session, phrases: list[list[str]]) -> str:
    if _is_sqlite(session):
        return " AND ".join('"' + " ".join(phrase) + '"' for phrase in phrases)
    return " & ".join("(" + " <-> ".join(phrase) + ")" for phrase in phrases)


def _substring(query: str) -> ColumnElement[bool]:
    # One character is not in the bigram index: a substring scan, newest first, which stops as
    # soon as a page is full for any common character.
    word = query.strip()
    return or_(
        Complaint.description.contains(word, autoescape=True),
        Complaint.target.contains(word, autoescape=True),
    )


def matches(session: Session, query: str) -> ColumnElement[bool] | None:
    """A WHERE clause for complaints containing every word of ``query``; None if it has none.

    Terms are ASCII letters and digits only (kesu.text.search), so they are safe to place in the
    engine's query syntax; the whole query string is still passed as a bound parameter.
    """
    phrases = _phrases(query)
    if not phrases:
        return None
    if is_single_character(query):
        return _substring(query)
    expression = _expression(session, phrases)
    if _is_sqlite(session):
        ids = text(
            "SELECT rowid FROM complaint_search WHERE complaint_search MATCH :search_expression"
        ).bindparams(search_expression=expression)
    else:
        ids = text(
            "SELECT complaint_id FROM complaint_search "
            "WHERE terms @@ to_tsquery('simple', :search_expression)"
        ).bindparams(search_expression=expression)
    return Complaint.id.in_(ids.columns(Complaint.id.expression))


_FTS = table("complaint_search", column("rowid", Integer))


def newest_matching(
    session: Session, statement: Select[T], query: str, *, before_id: int | None
) -> Select[T]:
    """``statement`` (complaints, newest first) narrowed to those containing every word of
    ``query``, below ``before_id`` when given.

    On SQLite the full-text table drives the query: FTS5 walks its matches newest first and
    stops once the page is full, so a common word costs a page of matches, not all of them.
    PostgreSQL's GIN index answers the set of matches and the planner takes the newest.
    """
    if before_id is not None:
        statement = statement.where(Complaint.id < before_id)
    phrases = _phrases(query)
    if not phrases:
        return statement
    if is_single_character(query) or not _is_sqlite(session):
        found = matches(session, query)
        return statement if found is None else statement.where(found)
    condition = text("complaint_search MATCH :search_expression").bindparams(
        search_expression=_expression(session, phrases)
    )
    narrowed = (
        statement.join(_FTS, _FTS.c.rowid == Complaint.id)
        .where(condition)
        .order_by(None)
        .order_by(_FTS.c.rowid.desc())
    )
    if before_id is not None:
        narrowed = narrowed.where(_FTS.c.rowid < before_id)
    return narrowed
