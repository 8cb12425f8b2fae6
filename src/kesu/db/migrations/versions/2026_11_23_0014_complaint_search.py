"""Chinese full-text search: an index of character bigrams per complaint

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The one import of kesu in a migration, on purpose: the backfilled terms must be exactly the
# ones the running code writes and queries, and kesu.text is pure (no models, no database).
from kesu.text.search import index_terms

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL_BATCH = 2000


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        # Contentless: the text lives in the complaint row; the index keeps only the terms.
        op.execute("CREATE VIRTUAL TABLE complaint_search USING fts5(terms, content='')")
        insert = sa.text("INSERT INTO complaint_search (rowid, terms) VALUES (:id, :terms)")
    else:
        op.execute(
            "CREATE TABLE complaint_search ("
            " complaint_id BIGINT PRIMARY KEY REFERENCES complaint (id) ON DELETE CASCADE,"
            " terms TSVECTOR NOT NULL)"
        )
        op.execute("CREATE INDEX ix_complaint_search_terms ON complaint_search USING gin (terms)")
        insert = sa.text(
            "INSERT INTO complaint_search (complaint_id, terms)"
            " VALUES (:id, to_tsvector('simple', :terms))"
        )
    # Index the complaints already registered, in batches by id so memory stays flat.
    last_id = 0
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT id, description, target FROM complaint WHERE id > :last"
                " ORDER BY id LIMIT :batch"
            ),
            {"last": last_id, "batch": _BACKFILL_BATCH},
        ).all()
        if not rows:
            break
        bind.execute(
            insert,
            [{"id": row.id, "terms": index_terms(row.description, row.target)} for row in rows],
        )
        last_id = rows[-1].id


def downgrade() -> None:
    op.execute("DROP TABLE complaint_search")
