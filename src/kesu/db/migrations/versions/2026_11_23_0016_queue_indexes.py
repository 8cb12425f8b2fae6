"""queue indexes: each filter with the id the queue orders by

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-23 05:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_complaint_status_received", table_name="complaint")
    op.drop_index("ix_complaint_priority", table_name="complaint")
    op.create_index("ix_complaint_status_id", "complaint", ["status", "id"])
    op.create_index("ix_complaint_priority_id", "complaint", ["priority", "id"])
    op.create_index("ix_complaint_category_id", "complaint", ["category", "id"])
    op.create_index("ix_complaint_department_id", "complaint", ["department_id", "id"])
    op.create_index("ix_complaint_assignee_id", "complaint", ["assignee_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_complaint_assignee_id", table_name="complaint")
    op.drop_index("ix_complaint_department_id", table_name="complaint")
    op.drop_index("ix_complaint_category_id", table_name="complaint")
    op.drop_index("ix_complaint_priority_id", table_name="complaint")
    op.drop_index("ix_complaint_status_id", table_name="complaint")
    op.create_index("ix_complaint_priority", "complaint", ["priority", "received_at"])
    op.create_index("ix_complaint_status_received", "complaint", ["status", "received_at"])
