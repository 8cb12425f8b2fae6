"""contact log

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 03:15:29.272742
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_record",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "complaint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("contacted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=40), nullable=False),
        sa.Column("recorded_by_name", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_contact_record_complaint_id_complaint"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_record")),
    )
    with op.batch_alter_table("contact_record", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_record_complaint", ["complaint_id", "contacted_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_record", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_record_complaint")

    op.drop_table("contact_record")
