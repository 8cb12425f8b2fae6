"""accountability, summary evaluation, improvement actions

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 03:35:45.473095
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accountability_record",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "complaint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column(
            "subject_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("subject_name", sa.String(length=120), nullable=False),
        sa.Column("finding", sa.Text(), nullable=False),
        sa.Column("penalty", sa.String(length=200), nullable=True),
        sa.Column("loss_share_percent", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("proposed_by", sa.String(length=40), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_accountability_record_complaint_id_complaint"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability_record")),
    )
    with op.batch_alter_table("accountability_record", schema=None) as batch_op:
        batch_op.create_index(
            "ix_accountability_record_complaint", ["complaint_id", "id"], unique=False
        )

    op.create_table(
        "improvement_action",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "complaint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_note", sa.Text(), nullable=True),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_improvement_action_complaint_id_complaint"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_improvement_action_department_id_department"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_improvement_action")),
    )
    with op.batch_alter_table("improvement_action", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_improvement_action_complaint_id"), ["complaint_id"], unique=False
        )

    op.create_table(
        "summary_evaluation",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "complaint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("lessons", sa.Text(), nullable=False),
        sa.Column("root_cause_class", sa.String(length=16), nullable=False),
        sa.Column("evaluated_by", sa.String(length=40), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_summary_evaluation_complaint_id_complaint"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_summary_evaluation")),
        sa.UniqueConstraint("complaint_id", name=op.f("uq_summary_evaluation_complaint_id")),
    )


def downgrade() -> None:
    op.drop_table("summary_evaluation")
    with op.batch_alter_table("improvement_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_improvement_action_complaint_id"))

    op.drop_table("improvement_action")
    with op.batch_alter_table("accountability_record", schema=None) as batch_op:
        batch_op.drop_index("ix_accountability_record_complaint")

    op.drop_table("accountability_record")
