"""search window levels: each PostgreSQL search row also names its blocks of 4, 16 and 64 windows

A search that finds no page in the newest windows used to name every window of a wider stretch
(up to 64 terms in one GIN probe); with a term per block it names at most three.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# kesu.complaints.search.WINDOW_IDS when this revision was written; the terms it adds are the
# ones the running code writes (``w<level>_`` + the id divided by WINDOW_IDS * 4**level).
_WINDOW_IDS = 8192
_TERMS = (
    "'w1_' || (complaint_id / :level_1) || ' w2_' || (complaint_id / :level_2)"
    " || ' w3_' || (complaint_id / :level_3)"
)
_SIZES = {f"level_{level}": _WINDOW_IDS * 4**level for level in (1, 2, 3)}


def upgrade() -> None:
    # SQLite's FTS5 walks its matches newest first already and needs no window terms.
    if op.get_bind().dialect.name != "postgresql":
        return
    op.get_bind().execute(
        sa.text(f"UPDATE complaint_search SET terms = terms || CAST({_TERMS} AS tsvector)"),  # noqa: S608 - constant SQL
        _SIZES,
    )
    # Every row was rewritten: fresh statistics now rather than when autovacuum comes by.
    op.execute("ANALYZE complaint_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    removed = f"ts_delete(terms, string_to_array({_TERMS}, ' '))"
    op.get_bind().execute(
        sa.text(f"UPDATE complaint_search SET terms = {removed}"),  # noqa: S608 - constant SQL
        _SIZES,
    )
