"""Write and verify the audit chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kesu.audit.models import AuditEntry, AuditHead

GENESIS_HASH = "0" * 64
_HEAD_ID = 1
_HEAD_CACHE = "kesu_audit_head"
_VERIFY_BATCH = 5000  # rows per round trip while verifying; ~5 MB of entries in memory


def _digest(previous_hash: str, entry: AuditEntry) -> str:
    canonical = json.dumps(
        [
            previous_hash,
            entry.at.isoformat(),
            entry.actor,
            entry.action,
            entry.subject_type,
            entry.subject_id,
            entry.data,
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _locked_head(session: Session) -> AuditHead:
    """The chain head, locked for the rest of the caller's transaction (fetched once per transaction)."""
    transaction = session.get_transaction()
    cached = session.info.get(_HEAD_CACHE)
    if cached is not None and cached[0] is transaction:
        head: AuditHead = cached[1]
        return head
    found = _fetch_locked_head(session)
    if found is None:
        found = _create_head(session)
    session.info[_HEAD_CACHE] = (transaction, found)
    return found


def _fetch_locked_head(session: Session) -> AuditHead | None:
    return session.scalar(select(AuditHead).where(AuditHead.id == _HEAD_ID).with_for_update())


def _create_head(session: Session) -> AuditHead:
    # The very first entry: several transactions may try to create the head at once; the
    # losers' savepoints roll back and they wait for the winner's row like everyone else.
    try:
        with session.begin_nested():
            session.add(AuditHead(id=_HEAD_ID, last_hash=GENESIS_HASH))
    except IntegrityError:
        pass
    head = _fetch_locked_head(session)
    if head is None:
        raise RuntimeError("audit head row missing after insert")
    return head


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: object,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry inside the caller's transaction.

    The head row is locked (``FOR UPDATE`` on PostgreSQL; SQLite already has one writer) so
    concurrent transactions extend the chain one after the other.
    """
    head = _locked_head(session)
    # Round-trip the data through JSON so the hash covers exactly what the database returns.
    stored = json.loads(json.dumps(data or {}, ensure_ascii=False, default=str))
    entry = AuditEntry(
        at=at.astimezone(UTC),
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        data=stored,
        previous_hash=head.last_hash,
    )
    entry.entry_hash = _digest(head.last_hash, entry)
    # Not flushed here: entries of one transaction are inserted together, in the order added, while
    # the head stays locked, so ascending ids follow the chain.
    session.add(entry)
    head.last_hash = entry.entry_hash
    return entry


@dataclass(frozen=True)
class ChainReport:
    entries: int
    first_broken_id: int | None
    reason: str | None

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


def verify_chain(session: Session) -> ChainReport:
    """Recompute every hash in order; report the first entry that does not match."""
    previous = GENESIS_HASH
    count = 0
    last_id = 0
    while True:
        batch = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.id > last_id)
            .order_by(AuditEntry.id)
            .limit(_VERIFY_BATCH)
        ).all()
        if not batch:
            break
        for entry in batch:
            count += 1
            if entry.previous_hash != previous:
                return ChainReport(
                    count, entry.id, "previous_hash does not link to the entry before"
                )
            if _digest(previous, entry) != entry.entry_hash:
                return ChainReport(count, entry.id, "entry content does not match its hash")
            previous = entry.entry_hash
            last_id = entry.id
        session.expunge_all()
    head = session.get(AuditHead, _HEAD_ID)
    if head is not None and head.last_hash != previous:
        return ChainReport(count, last_id or None, "entries after the last one were deleted")
    return ChainReport(count, None, None)
