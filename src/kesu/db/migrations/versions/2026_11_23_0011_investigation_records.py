"""investigation record and cause catalogue

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 03:32:24.284219
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cause_code",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_cause_code")),
    )
    op.create_table(
        "investigation",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "complaint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("cause_code", sa.String(length=40), nullable=True),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column(
            "responsible_department_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("responsible_person", sa.String(length=120), nullable=True),
        sa.Column("appraisal_requested", sa.Boolean(), nullable=False),
        sa.Column("appraisal_party", sa.String(length=200), nullable=True),
        sa.Column("appraisal_cost_bearer", sa.String(length=16), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["cause_code"], ["cause_code.code"], name=op.f("fk_investigation_cause_code_cause_code")
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name=op.f("fk_investigation_complaint_id_complaint")
        ),
        sa.ForeignKeyConstraint(
            ["responsible_department_id"],
            ["department.id"],
            name=op.f("fk_investigation_responsible_department_id_department"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investigation")),
        sa.UniqueConstraint("complaint_id", name=op.f("uq_investigation_complaint_id")),
    )


def downgrade() -> None:
    op.drop_table("investigation")
    op.drop_table("cause_code")
