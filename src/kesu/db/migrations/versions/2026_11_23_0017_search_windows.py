"""search windows: each PostgreSQL search row carries the term of its id window

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-23 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# kesu.complaints.search.WINDOW_IDS when this revision was written; the rows it adds are the
# ones the running code writes (``w_`` + the id divided by it).
_WINDOW_IDS = 8192


def upgrade() -> None:
    # SQLite's FTS5 walks its matches newest first already and needs no window terms.
    if op.get_bind().dialect.name != "postgresql":
        return
    op.get_bind().execute(
        sa.text(
            "UPDATE complaint_search"
            " SET terms = terms || CAST('w_' || (complaint_id / :window_ids) AS tsvector)"
        ),
        {"window_ids": _WINDOW_IDS},
    )
    # Every row was rewritten: fresh statistics now rather than when autovacuum comes by.
    op.execute("ANALYZE complaint_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.get_bind().execute(
        sa.text(
            "UPDATE complaint_search"
            " SET terms = ts_delete(terms, 'w_' || (complaint_id / :window_ids))"
        ),
        {"window_ids": _WINDOW_IDS},
    )
