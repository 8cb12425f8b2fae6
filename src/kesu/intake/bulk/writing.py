"""Writing batches of checked rows: customer profiles, tracking numbers, complaints, search
entries, timeline events, idempotency records, each batch's audit entry, and retries."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kesu.audit import service as audit
from kesu.complaints import search
from kesu.complaints.events import EventKind
from kesu.complaints.models import Complaint, TimelineEvent
from kesu.core.actors import Actor
from kesu.core.clock import Clock
from kesu.customers.models import Customer
from kesu.customers.service import VIP_TAG
from kesu.db.engine import transaction
from kesu.intake.bulk.columns import Row, Source
from kesu.intake.models import IntakeRequest
from kesu.text import analysis
from kesu.triage.assessment import Assessment, explanation
from kesu.triage.models import TriageDecision
from kesu.triage.service import TriageEngine

# Names without a leading underscore are shared with the other modules of the package; what
# callers use is re-exported by ``kesu.intake.bulk`` (its ``__all__``).

IMPORT_ACTION = "complaints.imported"
"""The audit action of one batch (per-complaint actions are ``complaint.<event>``)."""
_WRITE_ATTEMPTS = 3


# --- writing ----------------------------------------------------------------------------------


@dataclass
class _Profile:
    """A customer profile as a batch sees it: known (``id``) or to be inserted."""

    id: int | None
    name: str
    phone: str | None
    email: str | None
    tags: list[str]
    changed: bool = False


@dataclass
class _Profiles:
    by_phone: dict[str, _Profile] = field(default_factory=dict)
    by_email: dict[str, _Profile] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, rows: Sequence[Row]) -> _Profiles:
        """The profiles with any phone or e-mail of ``rows``: two queries."""
        profiles = cls()
        phones = sorted({row.draft.phone for row in rows if row.draft.phone})
        emails = sorted({row.draft.email for row in rows if row.draft.email})
        columns = (Customer.id, Customer.name, Customer.phone, Customer.email, Customer.tags)
        known: dict[int, _Profile] = {}
        for column, wanted in ((Customer.phone, phones), (Customer.email, emails)):
            if not wanted:
                continue
            for id_, name, phone, email, tags in session.execute(
                select(*columns).where(column.in_(wanted))
            ):
                profile = known.setdefault(id_, _Profile(id_, name, phone, email, list(tags)))
                profiles.remember(profile)
        return profiles

    def remember(self, profile: _Profile) -> None:
        if profile.phone:
            self.by_phone[profile.phone] = profile
        if profile.email:
            self.by_email[profile.email] = profile

    def find(self, phone: str | None, email: str | None) -> _Profile | None:
        found = self.by_phone.get(phone) if phone else None
        if found is None and email:
            found = self.by_email.get(email)
        return found

    def match(self, name: str, phone: str | None, email: str | None) -> _Profile:
        """As ``customers.match_customer``: the profile with this phone, else this e-mail, else
        a new one; a known profile gains a missing phone or a free e-mail, never loses one."""
        profile = self.find(phone, email)
        if profile is None:
            profile = _Profile(None, name, phone, email, [])
            self.remember(profile)
            return profile
        if profile.phone is None and phone:
            profile.phone, profile.changed = phone, True
            self.by_phone[phone] = profile
        if profile.email is None and email and email not in self.by_email:
            profile.email, profile.changed = email, True
            self.by_email[email] = profile
        return profile


@dataclass(frozen=True)
class _Assessed:
    category: str
    priority: str
    decision: dict[str, Any]
    """The ``triage_decision`` row, without the complaint id."""


@dataclass(frozen=True)
class BatchWriter:
    """Writes the checked rows of one file, a batch per transaction."""

    source: Source
    clock: Clock
    engine: TriageEngine
    actor: Actor
    triage: bool
    """Assess rows without a category or priority with the triage engine."""
    draw_tracking_number: Callable[[datetime], str]
    """A new tracking number dated on a receipt time (``new_tracking_number`` as
    ``kesu.intake.bulk`` names it when the import starts)."""

    def write(self, session: Session, rows: list[Row]) -> _BatchResult:
        """Write one batch in one transaction, again (up to ``_WRITE_ATTEMPTS`` times) when it
        collides with a concurrent writer."""
        # The text is read outside the write transaction, so a slow assessment never holds
        # the database's write lock; only the VIP tag comes from the database.
        assessed = self._assess(session, rows) if self.triage else {}
        attempt = 1
        while True:
            try:
                with transaction(session):
                    return self._insert(session, rows, assessed)
            except IntegrityError:
                # A concurrent writer took a phone, e-mail, tracking number or key first;
                # everything of this batch rolled back, and a new attempt sees their rows.
                if attempt == _WRITE_ATTEMPTS:
                    raise
                attempt += 1

    def _assess(self, session: Session, rows: list[Row]) -> dict[int, _Assessed]:
        profiles = _Profiles.load(session, rows)
        assessed = {}
        now = self.clock.now()
        for row in rows:
            if row.category is not None and row.priority is not None:
                continue
            profile = profiles.find(row.draft.phone, row.draft.email)
            result = analysis.analyse(
                row.description,
                models=self.engine.models,
                product_line=row.draft.product_line,
                is_vip=profile is not None and VIP_TAG in profile.tags,
                occurred_at=row.draft.occurred_at,
                received_at=row.received_at or now,
                review_threshold=self.engine.review_threshold,
                policy_days=self.engine.policy_days,
            )
            assessment = Assessment(result=result, validity=result.validity, duplicates=[])
            assessed[row.line] = _Assessed(
                category=row.category or result.category.label,
                priority=row.priority or result.priority.value,
                decision={
                    "assessed_at": now,
                    "model_version": self.engine.models.version,
                    "category": result.category.label,
                    "confidence": result.category.confidence,
                    "needs_review": result.needs_review,
                    "anger_level": result.anger.level,
                    "anger_score": result.anger.score,
                    "priority": result.priority.value,
                    "has_threat": bool(result.threats),
                    "has_safety_risk": result.safety is not None,
                    "suggestion": result.validity.suggestion.value,
                    "explanation": explanation(assessment),
                },
            )
        return assessed

    def _insert(
        self, session: Session, rows: list[Row], assessed: Mapping[int, _Assessed]
    ) -> _BatchResult:
        now = self.clock.now()
        fresh = _not_yet_imported(session, rows)
        if not fresh:
            return _BatchResult(skipped=len(rows))
        profiles = _Profiles.load(session, fresh)
        matched = [
            profiles.match(row.complainant_name, row.draft.phone, row.draft.email) for row in fresh
        ]
        created, updated = _save_profiles(session, matched, now)
        received = [row.received_at or now for row in fresh]
        numbers = _tracking_numbers(session, received, self.draw_tracking_number)
        connection = session.connection()
        # Plain executemany, then one SELECT for the ids: on PostgreSQL a multi-row INSERT ..
        # RETURNING costs the driver four times as much (it parses every placeholder of it).
        connection.execute(
            insert(Complaint),
            [
                _complaint_values(row, number, profile, at, now, assessed.get(row.line), self.actor)
                for row, number, profile, at in zip(fresh, numbers, matched, received, strict=True)
            ],
        )
        complaint_ids: dict[str, int] = dict(
            connection.execute(
                select(Complaint.tracking_number, Complaint.id).where(
                    Complaint.tracking_number.in_(numbers)
                )
            ).all()
        )
        ids = [complaint_ids[number] for number in numbers]
        # Found by full-text search like any complaint; these transient objects carry only what
        # the index reads and are never added to the session.
        search.index_complaints(
            session,
            [
                Complaint(id=complaint_id, description=row.description, target=row.target)
                for row, complaint_id in zip(fresh, ids, strict=True)
            ],
        )
        connection.execute(
            insert(TimelineEvent),
            [
                _event_values(row, complaint_id, self.source.path.name, now, self.actor)
                for row, complaint_id in zip(fresh, ids, strict=True)
            ],
        )
        connection.execute(
            insert(IntakeRequest),
            [
                {
                    "idempotency_key": row.key,
                    "request_hash": row.digest,
                    "complaint_id": complaint_id,
                    "created_at": now,
                }
                for row, complaint_id in zip(fresh, ids, strict=True)
            ],
        )
        decisions = [
            {**assessed[row.line].decision, "complaint_id": complaint_id}
            for row, complaint_id in zip(fresh, ids, strict=True)
            if row.line in assessed
        ]
        if decisions:
            connection.execute(insert(TriageDecision), decisions)
        # Last, so that the audit head (locked until commit) waits for no other work.
        audit.record(
            session,
            at=now,
            actor=self.actor.ref,
            action=IMPORT_ACTION,
            subject_type="import_file",
            subject_id=self.source.sha256,
            data={
                "file": self.source.path.name,
                "file_sha256": self.source.sha256,
                "lines": [fresh[0].line, fresh[-1].line],
                "count": len(fresh),
                "complaint_ids": [min(ids), max(ids)],
                "statuses": dict(Counter(row.status.value for row in fresh)),
                "skipped": len(rows) - len(fresh),
                "customers_created": created,
                "customers_updated": updated,
                "triaged": len(decisions),
            },
        )
        return _BatchResult(
            imported=len(fresh),
            skipped=len(rows) - len(fresh),
            customers_created=created,
            triaged=len(decisions),
        )


@dataclass(frozen=True)
class _BatchResult:
    imported: int = 0
    skipped: int = 0
    customers_created: int = 0
    triaged: int = 0


def _not_yet_imported(session: Session, rows: list[Row]) -> list[Row]:
    """The rows whose key is neither in the database nor earlier in the batch."""
    keys = sorted({row.key for row in rows})
    seen = set(
        session.scalars(
            select(IntakeRequest.idempotency_key).where(IntakeRequest.idempotency_key.in_(keys))
        )
    )
    fresh = []
    for row in rows:
        if row.key not in seen:
            seen.add(row.key)
            fresh.append(row)
    return fresh


def _save_profiles(session: Session, matched: list[_Profile], now: datetime) -> tuple[int, int]:
    """Insert the new profiles (their ids set on them) and add gained contacts to known ones;
    returns (created, updated)."""
    new = list({id(p): p for p in matched if p.id is None}.values())
    changed = list({p.id: p for p in matched if p.id is not None and p.changed}.values())
    connection = session.connection()
    if new:
        connection.execute(
            insert(Customer),
            [
                {
                    "name": p.name,
                    "phone": p.phone,
                    "email": p.email,
                    "tags": [],
                    "created_at": now,
                    "updated_at": now,
                }
                for p in new
            ],
        )
        # The ids, by the unique phone, else e-mail (see ``_insert`` for why not RETURNING).
        by_phone = {p.phone: p for p in new if p.phone}
        by_email = {p.email: p for p in new if not p.phone and p.email}
        if by_phone:
            for id_, phone in connection.execute(
                select(Customer.id, Customer.phone).where(Customer.phone.in_(list(by_phone)))
            ):
                if phone is not None:  # always: the WHERE matched it
                    by_phone[phone].id = id_
        if by_email:
            for id_, email in connection.execute(
                select(Customer.id, Customer.email).where(Customer.email.in_(list(by_email)))
            ):
                if email is not None:
                    by_email[email].id = id_
    if changed:
        connection.execute(
            update(Customer)
            .where(Customer.id == bindparam("profile_id"))
            .values(
                phone=bindparam("new_phone"),
                email=bindparam("new_email"),
                updated_at=bindparam("at"),
            ),
            [
                {"profile_id": p.id, "new_phone": p.phone, "new_email": p.email, "at": now}
                for p in changed
            ],
        )
    return len(new), len(changed)


def _tracking_numbers(
    session: Session, received: list[datetime], draw: Callable[[datetime], str]
) -> list[str]:
    """One new tracking number per complaint, dated on its receipt, unique in the batch and in
    the database. The generator draws at random, like at intake: a clash is rare and drawn
    again, and only the new draws are looked up again."""
    numbers = [draw(moment) for moment in received]
    pending = set(range(len(numbers)))
    while pending:
        taken = set(
            session.scalars(
                select(Complaint.tracking_number).where(
                    Complaint.tracking_number.in_([numbers[i] for i in pending])
                )
            )
        )
        seen: set[str] = set()
        redraw = set()
        for i, number in enumerate(numbers):
            if number in seen or (i in pending and number in taken):
                redraw.add(i)
            else:
                seen.add(number)
        for i in redraw:
            numbers[i] = draw(received[i])
        pending = redraw
    return numbers


def _complaint_values(
    row: Row,
    tracking_number: str,
    profile: _Profile,
    received_at: datetime,
    now: datetime,
    assessed: _Assessed | None,
    actor: Actor,
) -> dict[str, Any]:
    draft = row.draft
    return {
        "tracking_number": tracking_number,
        "status": row.status.value,
        "resume_status": None,
        "version": 1,
        "customer_id": profile.id,
        "complainant_name": row.complainant_name,
        "contact_phone": draft.phone,
        "contact_email": draft.email,
        "channel": draft.channel.value,
        "region": draft.region or None,
        "target_type": draft.target_type.value,
        "target": row.target,
        "product_line": draft.product_line or None,
        "order_number": draft.order_number or None,
        "description": row.description,
        "demands": [demand.value for demand in draft.demands],
        "occurred_at": draft.occurred_at,
        "received_at": received_at,
        "updated_at": now,
        "category": assessed.category if assessed else row.category,
        "priority": assessed.priority if assessed else row.priority,
        "escalation_level": 0,
        "special_attention": False,
        "department_id": None,
        "assignee_id": None,
        "registered_by": actor.ref,
    }


def _event_values(
    row: Row, complaint_id: int, file_name: str, now: datetime, actor: Actor
) -> dict[str, Any]:
    return {
        "complaint_id": complaint_id,
        "at": now,
        "kind": EventKind.IMPORTED.value,
        "actor": actor.ref,
        "actor_name": actor.name,
        "from_status": None,
        "to_status": row.status.value,
        "note": None,
        "data": {
            "file": file_name,
            "line": row.line,
            "external_id": row.external_id,
            "channel": row.draft.channel.value,
        },
        "is_public": True,
    }
