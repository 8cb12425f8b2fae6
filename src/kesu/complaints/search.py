"""Chinese full-text search over complaints: an index row per complaint, kept in the same
transaction as the complaint, queried as exact phrases of character bigrams (see kesu.text.search).

SQLite keeps the terms in an FTS5 table whose rowid is the complaint id; PostgreSQL keeps a
``tsvector`` (``simple`` configuration) under a GIN index. Both answer "which complaints contain
this word" from the index alone, so the cost follows the number of matches, not of complaints.

On PostgreSQL each row also carries the terms of the id windows holding it, one per level
(``w_<id // WINDOW_IDS>``, then ``w1_``, ``w2_``, ``w3_`` for blocks of 4, 16 and 64 windows): GIN
answers a phrase only up to "holds all its bigrams" and the heap rechecks the positions, so a
search asks for the newest windows first (see newest_matching) and the recheck covers about a
page of matches instead of every complaint holding the word. Each of its statements names at most
three window terms, whatever the size of the stretch of ids it covers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVarTuple

from sqlalchemy import ColumnElement, Integer, Select, column, func, or_, select, table, text
from sqlalchemy.orm import Session

from kesu.complaints.models import Complaint
from kesu.core.errors import Bilingual, InvalidInput
from kesu.text.search import index_terms, is_single_character, query_terms

MAX_QUERY_CHARS = 100
WINDOW_IDS = 8192
"""Complaint ids per window term of the finest level (PostgreSQL). A page of a word found in one
complaint in a hundred fills from a window or two."""
WINDOW_LEVELS = 4
"""Levels of window terms: level k names blocks of 4**k windows (k = 0 is the window itself)."""
Ts = TypeVarTuple("Ts")


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def index_complaints(session: Session, complaints: Iterable[Complaint]) -> None:
    """Add the search terms of new complaints (flushed, so they have ids) in one statement."""
    rows: list[dict[str, object]] = [
        {
            "id": complaint.id,
            "terms": index_terms(complaint.description, complaint.target),
            "window": " ".join(window_terms(complaint.id)),
        }
        for complaint in complaints
    ]
    if not rows:
        return
    if _is_sqlite(session):
        # The window term is PostgreSQL's alone: FTS5 walks newest first without it.
        session.execute(
            text("INSERT INTO complaint_search (rowid, terms) VALUES (:id, :terms)"), rows
        )
    else:
        session.execute(
            text(
                "INSERT INTO complaint_search (complaint_id, terms) VALUES "
                "(:id, to_tsvector('simple', :terms) || CAST(:window AS tsvector))"
            ),
            rows,
        )


def window_terms(complaint_id: int) -> list[str]:
    """The PostgreSQL index terms of the id windows holding ``complaint_id``, finest first."""
    window = complaint_id // WINDOW_IDS
    return [_window_name(level, window >> (2 * level)) for level in range(WINDOW_LEVELS)]


def _window_name(level: int, block: int) -> str:
    # The underscore never occurs in a text's terms (kesu.text.search), so no search can match
    # a window by accident. Level 0 keeps the name migration 0017 gave it.
    return f"w{level or ''}_{block}"


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
    if not _is_sqlite(session):
        return _in_windows(expression, 0, None)
    ids = text(
        "SELECT rowid FROM complaint_search WHERE complaint_search MATCH :search_expression"
    ).bindparams(search_expression=expression)
    return Complaint.id.in_(ids.columns(Complaint.id.expression))


_FTS = table("complaint_search", column("rowid", Integer))


def newest_matching(
    session: Session, statement: Select[*Ts], query: str, *, before_id: int | None
) -> Iterator[Select[*Ts]]:
    """``statement`` (complaints, newest first) narrowed to those containing every word of
    ``query``, below ``before_id`` when given: as statements over ever older complaints, to run
    in turn until a page is full (each one's rows are older than the previous one's).

    On SQLite the full-text table drives one query: FTS5 walks its matches newest first and
    stops once the page is full, so a common word costs a page of matches, not all of them.
    On PostgreSQL each statement asks GIN for the matches within a stretch of ids: the newest
    window, then the rest of its block of 4 windows, of 16, of 64 (each named by at most three
    terms of the level below), the last one everything older.
    """
    if before_id is not None:
        statement = statement.where(Complaint.id < before_id)
    phrases = _phrases(query)
    if not phrases:
        yield statement
        return
    if is_single_character(query):
        yield statement.where(_substring(query))
        return
    expression = _expression(session, phrases)
    if _is_sqlite(session):
        condition = text("complaint_search MATCH :search_expression").bindparams(
            search_expression=expression
        )
        narrowed = (
            statement.join(_FTS, _FTS.c.rowid == Complaint.id)
            .where(condition)
            .order_by(None)
            .order_by(_FTS.c.rowid.desc())
        )
        if before_id is not None:
            narrowed = narrowed.where(_FTS.c.rowid < before_id)
        yield narrowed
        return
    below = before_id if before_id is not None else _after_newest(session)
    if below is None:
        return
    top = (below - 1) // WINDOW_IDS  # the window of the newest complaint asked for
    yield statement.where(
        _in_windows(expression, 0, [top]), Complaint.id >= top * WINDOW_IDS, Complaint.id < below
    )
    for level in range(WINDOW_LEVELS):
        # The blocks of this level older than the one holding ``top``, within the block of the
        # level above: together with what came before, the whole block of the level above.
        own = top >> (2 * level)
        older = range(own & ~3, own)
        if older:
            yield statement.where(
                _in_windows(expression, level, older),
                Complaint.id >= _first_id(level, older.start),
                Complaint.id < _first_id(level, own),
            )
    oldest_done = _first_id(WINDOW_LEVELS, top >> (2 * WINDOW_LEVELS))
    if oldest_done > 0:
        yield statement.where(_in_windows(expression, 0, None), Complaint.id < oldest_done)


def _after_newest(session: Session) -> int | None:
    newest = session.scalar(select(func.max(Complaint.id)))
    return None if newest is None else int(newest) + 1


def _first_id(level: int, block: int) -> int:
    return (block << (2 * level)) * WINDOW_IDS


def _in_windows(expression: str, level: int, blocks: Sequence[int] | None) -> ColumnElement[bool]:
    # The window terms are cast, not parsed: to_tsquery would split ``w_12`` at the underscore.
    if blocks is None:
        found = "terms @@ to_tsquery('simple', :search_expression)"
        params: dict[str, str] = {"search_expression": expression}
    else:
        found = "terms @@ (to_tsquery('simple', :search_expression) && CAST(:search_windows AS tsquery))"
        params = {
            "search_expression": expression,
            "search_windows": " | ".join(_window_name(level, block) for block in blocks),
        }
    ids = text(f"SELECT complaint_id FROM complaint_search WHERE {found}").bindparams(**params)  # noqa: S608 - constant SQL
    return Complaint.id.in_(ids.columns(Complaint.id.expression))
