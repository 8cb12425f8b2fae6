"""triage decisions, complaint category and priority, customer tags

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 02:10:35.816587
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "triage_correction",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "complaint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("old_value", sa.String(length=32), nullable=True),
        sa.Column("new_value", sa.String(length=32), nullable=False),
        sa.Column("corrected_by", sa.String(length=40), nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_triage_correction_complaint_id_complaint"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_correction")),
    )
    with op.batch_alter_table("triage_correction", schema=None) as batch_op:
        batch_op.create_index(
            "ix_triage_correction_complaint", ["complaint_id", "id"], unique=False
        )

    op.create_table(
        "triage_decision",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "complaint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model_version", sa.String(length=60), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("anger_level", sa.Integer(), nullable=False),
        sa.Column("anger_score", sa.Double(), nullable=False),
        sa.Column("priority", sa.String(length=4), nullable=False),
        sa.Column("has_threat", sa.Boolean(), nullable=False),
        sa.Column("has_safety_risk", sa.Boolean(), nullable=False),
        sa.Column("suggestion", sa.String(length=24), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_triage_decision_complaint_id_complaint"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_decision")),
    )
    with op.batch_alter_table("triage_decision", schema=None) as batch_op:
        batch_op.create_index("ix_triage_decision_complaint", ["complaint_id", "id"], unique=False)

    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("category", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("priority", sa.String(length=4), nullable=True))
        batch_op.create_index("ix_complaint_priority", ["priority", "received_at"], unique=False)

    with op.batch_alter_table("customer", schema=None) as batch_op:
        # Existing profiles start with no tags.
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_column("tags")

    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_priority")
        batch_op.drop_column("priority")
        batch_op.drop_column("category")

    with op.batch_alter_table("triage_decision", schema=None) as batch_op:
        batch_op.drop_index("ix_triage_decision_complaint")

    op.drop_table("triage_decision")
    with op.batch_alter_table("triage_correction", schema=None) as batch_op:
        batch_op.drop_index("ix_triage_correction_complaint")

    op.drop_table("triage_correction")
