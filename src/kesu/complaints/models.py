"""The Complaint aggregate: the registration record, its evidence files and its timeline."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kesu.db.base import Base, BigId, IdPk


class Channel(StrEnum):
    WEB = "web"
    APP = "app"
    PHONE = "phone"
    COUNTER = "counter"
    ONSITE = "onsite"
    EMAIL = "email"
    CHAT = "chat"
    SOCIAL = "social"
    ECOMMERCE = "ecommerce"
    LETTER = "letter"
    REGULATOR = "regulator"
    """Transferred from 12315, a consumer association or another authority."""


class TargetType(StrEnum):
    PRODUCT = "product"
    ORDER = "order"
    STORE = "store"
    STAFF = "staff"
    SERVICE = "service"


class Demand(StrEnum):
    REFUND = "refund"
    EXCHANGE = "exchange"
    REPAIR = "repair"
    DISCOUNT = "discount"
    COMPENSATION = "compensation"
    APOLOGY = "apology"
    EXPLANATION = "explanation"


CHANNEL_LABELS = {
    Channel.WEB: ("网站", "Web portal"),
    Channel.APP: ("App", "App"),
    Channel.PHONE: ("电话", "Phone"),
    Channel.COUNTER: ("柜台", "Counter"),
    Channel.ONSITE: ("现场", "On site"),
    Channel.EMAIL: ("邮件", "E-mail"),
    Channel.CHAT: ("在线客服", "Chat"),
    Channel.SOCIAL: ("社交媒体", "Social media"),
    Channel.ECOMMERCE: ("电商平台", "E-commerce platform"),
    Channel.LETTER: ("信函", "Letter"),
    Channel.REGULATOR: ("12315/消协转办", "Regulator transfer"),
}
TARGET_LABELS = {
    TargetType.PRODUCT: ("产品", "Product"),
    TargetType.ORDER: ("订单", "Order"),
    TargetType.STORE: ("门店", "Store"),
    TargetType.STAFF: ("员工", "Staff member"),
    TargetType.SERVICE: ("服务", "Service"),
}
DEMAND_LABELS = {
    Demand.REFUND: ("退款", "Refund"),
    Demand.EXCHANGE: ("换货", "Exchange"),
    Demand.REPAIR: ("维修", "Repair"),
    Demand.DISCOUNT: ("折扣", "Discount"),
    Demand.COMPENSATION: ("赔偿", "Compensation"),
    Demand.APOLOGY: ("道歉", "Apology"),
    Demand.EXPLANATION: ("解释说明", "Explanation"),
}


class Complaint(Base):
    __tablename__ = "complaint"
    # The queue lists newest first (by id) under one filter at a time; an index on (filter, id)
    # answers a page from the index alone, however many complaints match the filter.
    __table_args__ = (
        Index("ix_complaint_status_id", "status", "id"),
        Index("ix_complaint_customer", "customer_id", "received_at"),
        Index("ix_complaint_priority_id", "priority", "id"),
        Index("ix_complaint_category_id", "category", "id"),
        Index("ix_complaint_department_id", "department_id", "id"),
        Index("ix_complaint_assignee_id", "assignee_id", "id"),
    )

    id: Mapped[IdPk]
    tracking_number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(24))
    resume_status: Mapped[str | None] = mapped_column(String(24))
    """While waiting for the customer: the status to return to when they reply."""
    version: Mapped[int] = mapped_column(default=1)
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customer.id"))
    complainant_name: Mapped[str] = mapped_column(String(120))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    channel: Mapped[str] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(String(120))
    target_type: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(200))
    product_line: Mapped[str | None] = mapped_column(String(60))
    order_number: Mapped[str | None] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text)
    demands: Mapped[list[str]] = mapped_column(JSON)
    occurred_at: Mapped[datetime | None]
    """When the thing complained about happened, as the complainant says."""
    received_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    category: Mapped[str | None] = mapped_column(String(32))
    """SPEC §2 category code, from triage or an agent's correction."""
    priority: Mapped[str | None] = mapped_column(String(4))
    """P1–P4, from triage or an agent's correction."""
    escalation_level: Mapped[int] = mapped_column(default=0)
    """0 front line, 1 department, 2 management, 3 headquarters/regulator (SPEC §8)."""
    special_attention: Mapped[bool] = mapped_column(default=False)
    """Sent back down from a higher level (发还): handle with care to avoid a second escalation."""
    department_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("department.id"))
    assignee_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id"))
    registered_by: Mapped[str] = mapped_column(String(40))
    """Actor reference: ``customer:<id>`` for self-service, ``user:<id>`` for agent entry."""

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy mapper contract


class Evidence(Base):
    __tablename__ = "evidence"

    id: Mapped[IdPk]
    complaint_id: Mapped[int] = mapped_column(BigId, ForeignKey("complaint.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime]
    uploaded_by: Mapped[str] = mapped_column(String(40))


class TimelineEvent(Base):
    """One thing that happened to a complaint, in order; the customer sees the public ones."""

    __tablename__ = "timeline_event"
    __table_args__ = (Index("ix_timeline_event_complaint", "complaint_id", "id"),)

    id: Mapped[IdPk]
    complaint_id: Mapped[int] = mapped_column(BigId, ForeignKey("complaint.id"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(60))
    actor: Mapped[str] = mapped_column(String(40))
    actor_name: Mapped[str] = mapped_column(String(120))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    is_public: Mapped[bool]
