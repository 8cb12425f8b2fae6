"""analytics rollup: complaint counts per receipt day and month, the refresh state, an index on
receipt time

The rollup starts empty; the first refresh (the worker's periodic job, or
`kesu analytics refresh --full`) counts the complaints already registered.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-23 04:42:40.211965
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaint_day_count",
        sa.Column(
            "department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("complaints", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "department_id",
            "category",
            "day",
            "dimension",
            "value",
            name=op.f("pk_complaint_day_count"),
        ),
    )
    with op.batch_alter_table("complaint_day_count", schema=None) as batch_op:
        batch_op.create_index("ix_complaint_day_count_day", ["day"], unique=False)

    op.create_table(
        "complaint_day_stat",
        sa.Column(
            "department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("complaints", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("escalated", sa.Integer(), nullable=False),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("repeated", sa.Integer(), nullable=False),
        sa.Column("first_response_decided", sa.Integer(), nullable=False),
        sa.Column("first_response_breached", sa.Integer(), nullable=False),
        sa.Column("first_response_timed", sa.Integer(), nullable=False),
        sa.Column("first_response_minutes", sa.BigInteger(), nullable=False),
        sa.Column("resolution_decided", sa.Integer(), nullable=False),
        sa.Column("resolution_breached", sa.Integer(), nullable=False),
        sa.Column("resolution_timed", sa.Integer(), nullable=False),
        sa.Column("resolution_minutes", sa.BigInteger(), nullable=False),
        sa.Column("csat_sum", sa.Integer(), nullable=False),
        sa.Column("csat_count", sa.Integer(), nullable=False),
        sa.Column("nps_promoters", sa.Integer(), nullable=False),
        sa.Column("nps_detractors", sa.Integer(), nullable=False),
        sa.Column("nps_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "department_id", "category", "day", name=op.f("pk_complaint_day_stat")
        ),
    )
    with op.batch_alter_table("complaint_day_stat", schema=None) as batch_op:
        batch_op.create_index("ix_complaint_day_stat_day", ["day"], unique=False)

    op.create_table(
        "complaint_month_count",
        sa.Column(
            "department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("complaints", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "department_id",
            "category",
            "day",
            "dimension",
            "value",
            name=op.f("pk_complaint_month_count"),
        ),
    )
    with op.batch_alter_table("complaint_month_count", schema=None) as batch_op:
        batch_op.create_index("ix_complaint_month_count_day", ["day"], unique=False)

    op.create_table(
        "complaint_month_stat",
        sa.Column(
            "department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("complaints", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("escalated", sa.Integer(), nullable=False),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("repeated", sa.Integer(), nullable=False),
        sa.Column("first_response_decided", sa.Integer(), nullable=False),
        sa.Column("first_response_breached", sa.Integer(), nullable=False),
        sa.Column("first_response_timed", sa.Integer(), nullable=False),
        sa.Column("first_response_minutes", sa.BigInteger(), nullable=False),
        sa.Column("resolution_decided", sa.Integer(), nullable=False),
        sa.Column("resolution_breached", sa.Integer(), nullable=False),
        sa.Column("resolution_timed", sa.Integer(), nullable=False),
        sa.Column("resolution_minutes", sa.BigInteger(), nullable=False),
        sa.Column("csat_sum", sa.Integer(), nullable=False),
        sa.Column("csat_count", sa.Integer(), nullable=False),
        sa.Column("nps_promoters", sa.Integer(), nullable=False),
        sa.Column("nps_detractors", sa.Integer(), nullable=False),
        sa.Column("nps_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "department_id", "category", "day", name=op.f("pk_complaint_month_stat")
        ),
    )
    with op.batch_alter_table("complaint_month_stat", schema=None) as batch_op:
        batch_op.create_index("ix_complaint_month_stat_day", ["day"], unique=False)

    op.create_table(
        "rollup_dirty_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_rollup_dirty_day")),
    )
    op.create_table(
        "rollup_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("settled_event_id", sa.BigInteger(), nullable=False),
        sa.Column("gap_event_id", sa.BigInteger(), nullable=True),
        sa.Column("gap_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_state")),
    )
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.create_index("ix_complaint_received_at", ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_received_at")

    op.drop_table("rollup_state")
    op.drop_table("rollup_dirty_day")
    with op.batch_alter_table("complaint_month_stat", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_month_stat_day")

    op.drop_table("complaint_month_stat")
    with op.batch_alter_table("complaint_month_count", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_month_count_day")

    op.drop_table("complaint_month_count")
    with op.batch_alter_table("complaint_day_stat", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_day_stat_day")

    op.drop_table("complaint_day_stat")
    with op.batch_alter_table("complaint_day_count", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_day_count_day")

    op.drop_table("complaint_day_count")
