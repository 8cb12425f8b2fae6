"""intake inbox: complaints accepted through the API, registered by the worker

The idempotency keys the API registered directly before the inbox are copied in as registered
submissions, so that a client's retry across the upgrade still finds its first complaint (the
inbox checks keys with its own unique index). Keys of bulk imports (``import:…``) stay where
they are: only the importer asks for them.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "intake_submission",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("tracking_number", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("complaint_id", _ID, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_intake_submission_complaint_id_complaint"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_submission")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_intake_submission_idempotency_key")),
        sa.UniqueConstraint("tracking_number", name=op.f("uq_intake_submission_tracking_number")),
    )
    op.create_index(
        "ix_intake_submission_status_id", "intake_submission", ["status", "id"], unique=False
    )
    op.execute(
        "INSERT INTO intake_submission (tracking_number, status, received_at, payload,"
        " idempotency_key, request_hash, complaint_id, attempts)"
        " SELECT complaint.tracking_number, 'registered', complaint.received_at, NULL,"
        " intake_request.idempotency_key, intake_request.request_hash, complaint.id, 0"
        " FROM intake_request JOIN complaint ON complaint.id = intake_request.complaint_id"
        " WHERE substr(intake_request.idempotency_key, 1, 7) <> 'import:'"
    )


def downgrade() -> None:
    op.drop_index("ix_intake_submission_status_id", table_name="intake_submission")
    op.drop_table("intake_submission")
