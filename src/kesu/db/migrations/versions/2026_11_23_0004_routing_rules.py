"""routing rules

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 02:46:55.450487
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "round_robin_cursor",
        sa.Column(
            "department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "last_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_round_robin_cursor_department_id_department"),
        ),
        sa.PrimaryKeyConstraint("department_id", name=op.f("pk_round_robin_cursor")),
    )
    op.create_table(
        "routing_rule",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("product_line", sa.String(length=60), nullable=True),
        sa.Column("region_prefix", sa.String(length=120), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("customer_tag", sa.String(length=32), nullable=True),
        sa.Column(
            "department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("strategy", sa.String(length=16), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_routing_rule_department_id_department"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rule")),
    )


def downgrade() -> None:
    op.drop_table("routing_rule")
    op.drop_table("round_robin_cursor")
