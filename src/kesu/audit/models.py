"""The append-only, hash-chained audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kesu.db.base import Base, IdPk


class AuditEntry(Base):
    """One change or one view of personal data. Rows are only ever inserted.

    ``entry_hash`` = SHA-256 over the previous entry's hash and this entry's canonical fields,
    so editing, deleting or reordering any row breaks every hash after it.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_subject", "subject_type", "subject_id"),)

    id: Mapped[IdPk]
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(120))
    """``user:<id>``, ``customer:<id>``, ``system`` or ``worker``."""
    action: Mapped[str] = mapped_column(String(80))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    previous_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The single row holding the newest entry; locking it orders concurrent writers."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))
