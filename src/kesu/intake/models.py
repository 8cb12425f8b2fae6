"""Intake's own rows: idempotency records of registered complaints, and the API's inbox."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kesu.db.base import Base, BigId, IdPk


class IntakeRequest(Base):
    """A retried submission with the same key returns this complaint instead of a new one."""

    __tablename__ = "intake_request"

    id: Mapped[IdPk]
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the canonical draft: the same key with a different body is refused."""
    complaint_id: Mapped[int] = mapped_column(BigId, ForeignKey("complaint.id"))
    created_at: Mapped[datetime]


class SubmissionStatus(StrEnum):
    PENDING = "pending"
    """Accepted and acknowledged with its tracking number; the worker has not registered it yet."""
    REGISTERED = "registered"
    FAILED = "failed"
    """Registration failed ``MAX_ATTEMPTS`` times; kept for an operator (`kesu intake retry`)."""


class IntakeSubmission(Base):
    """A complaint accepted through the API (受理), answered at once with its tracking number.

    The request writes only this row; the worker registers it (customer, complaint, triage,
    deadlines, timeline, audit, acknowledgement) a moment later, in batches, with the tracking
    number and the time of receipt drawn here. Tracking the number registers a pending row on
    the spot, so the customer never meets a number that finds nothing.
    """

    __tablename__ = "intake_submission"
    __table_args__ = (Index("ix_intake_submission_status_id", "status", "id"),)

    id: Mapped[IdPk]
    tracking_number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime]
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The validated registration form and who entered it; cleared once registered (the
    complaint then holds it)."""
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    complaint_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("complaint.id"))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    retry_at: Mapped[datetime | None]
    """A failed registration waits until then before the worker tries it again."""
