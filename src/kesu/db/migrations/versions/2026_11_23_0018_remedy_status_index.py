"""remedy status index: settlement guidance reads the newest approved remedies

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-23 08:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_remedy_proposal_status_id", "remedy_proposal", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_remedy_proposal_status_id", table_name="remedy_proposal")
