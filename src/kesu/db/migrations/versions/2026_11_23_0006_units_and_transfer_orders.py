"""units by region and transfer orders

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 02:58:25.666592
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "transfer_order",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "complaint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("respondent", sa.String(length=200), nullable=False),
        sa.Column("respondent_contact", sa.String(length=254), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("urge_count", sa.Integer(), nullable=False),
        sa.Column("last_urged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_transfer_order_complaint_id_complaint"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["department.id"], name=op.f("fk_transfer_order_unit_id_department")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_order")),
    )
    with op.batch_alter_table("transfer_order", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transfer_order_complaint_id"), ["complaint_id"], unique=False
        )

    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.drop_column("region")

    with op.batch_alter_table("transfer_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfer_order_complaint_id"))

    op.drop_table("transfer_order")
