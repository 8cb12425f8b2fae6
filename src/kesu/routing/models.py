"""Routing rules (派单规则): which department takes which complaints, and how a handler is chosen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kesu.db.base import Base, BigId, IdPk


class RoutingRule(Base):
    """Conditions left empty match anything; the first matching active rule by ``position`` wins."""

    __tablename__ = "routing_rule"

    id: Mapped[IdPk]
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int]
    category: Mapped[str | None] = mapped_column(String(32))
    product_line: Mapped[str | None] = mapped_column(String(60))
    region_prefix: Mapped[str | None] = mapped_column(String(120))
    """Matches regions that start with it, e.g. "浙江省" or "浙江省杭州市"."""
    channel: Mapped[str | None] = mapped_column(String(16))
    customer_tag: Mapped[str | None] = mapped_column(String(32))
    department_id: Mapped[int] = mapped_column(BigId, ForeignKey("department.id"))
    strategy: Mapped[str] = mapped_column(String(16))
    """``department`` (leave the handler to the department), ``least_loaded`` or ``round_robin``."""
    is_active: Mapped[bool] = mapped_column(default=True)


class RoundRobinCursor(Base):
    """The handler who got the last complaint of a department under round robin."""

    __tablename__ = "round_robin_cursor"

    department_id: Mapped[int] = mapped_column(BigId, ForeignKey("department.id"), primary_key=True)
    last_user_id: Mapped[int] = mapped_column(BigId)


class TransferOrder(Base):
    """A transfer order (转办单): the complaint sent to the respondent to answer by a deadline."""

    __tablename__ = "transfer_order"

    id: Mapped[IdPk]
    complaint_id: Mapped[int] = mapped_column(BigId, ForeignKey("complaint.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("department.id"))
    """The issuing unit."""
    respondent: Mapped[str] = mapped_column(String(200))
    respondent_contact: Mapped[str | None] = mapped_column(String(254))
    issued_at: Mapped[datetime]
    due_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(Text)
    urge_count: Mapped[int] = mapped_column(default=0)
    last_urged_at: Mapped[datetime | None]
