"""Index terms for Chinese full-text search: character bigrams, so any word of two or more
characters is found without a segmentation dictionary (new product names, slang, typos).

A text becomes the sequence of its overlapping CJK bigrams plus its Latin/digit words; a query
becomes the phrase of its own bigrams. A phrase of consecutive bigrams occurs exactly where the
query occurs as a substring, so results are exact, not fuzzy. Terms are written as ASCII
(``x`` + the code points in hex) so every full-text engine tokenises them the same way,
whatever its locale: SQLite FTS5 and PostgreSQL's ``simple`` configuration both see one word.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kesu.text.normalize import normalise

# PostgreSQL keeps word positions up to 16,383; phrase matches need them, so index no further.
MAX_INDEXED_CHARS = 16_000
_RUNS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[a-z0-9]+")


@lru_cache(maxsize=65_536)
def _term(chars: str) -> str:
    # A few thousand distinct bigrams cover most complaint text; formatting each is the cost.
    return "x" + "".join(f"{ord(char):x}" for char in chars)


def _run_terms(run: str) -> list[str]:
    if run.isascii():
        return [run]
    if len(run) == 1:
        return [_term(run)]
    return [_term(run[i : i + 2]) for i in range(len(run) - 1)]


def _runs(text: str) -> list[str]:
    return _RUNS.findall(normalise(text, max_chars=MAX_INDEXED_CHARS).text.lower())


def index_terms(*texts: str) -> str:
    """The space-separated terms to index for ``texts`` (kept apart: no bigram spans two)."""
    return " ".join(term for text in texts for run in _runs(text) for term in _run_terms(run))


def query_terms(query: str) -> list[list[str]]:
    """The phrases a query must match, one per word of it (all must match).

    A single Chinese character becomes a one-character term, which only matches characters that
    stand alone between punctuation in the text; callers search those by substring instead.
    """
    return [_run_terms(run) for run in _runs(query)]


def is_single_character(query: str) -> bool:
    runs = _runs(query)
    return len(runs) == 1 and len(runs[0]) == 1 and not runs[0].isascii()
