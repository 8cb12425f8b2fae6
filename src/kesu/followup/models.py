"""Follow-up visits (回访): satisfaction after resolution, by staff or by the customer's own link."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kesu.db.base import Base, BigId, IdPk


class FollowUpVisit(Base):
    __tablename__ = "follow_up_visit"

    id: Mapped[IdPk]
    complaint_id: Mapped[int] = mapped_column(BigId, ForeignKey("complaint.id"), index=True)
    scheduled_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    csat: Mapped[int | None]
    """Satisfaction 1–5."""
    nps: Mapped[int | None]
    """Likelihood to recommend 0–10."""
    comment: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(16))
    """``call``, ``sms``, ``visit``, … or ``portal`` when the customer answered the link."""
    recorded_by: Mapped[str | None] = mapped_column(String(40))
