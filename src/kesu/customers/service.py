"""Match a complainant to a customer profile and tag it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kesu.audit import service as audit
from kesu.core.errors import Bilingual, InvalidInput, NotFound
from kesu.customers.models import Customer
from kesu.db.engine import transaction
from kesu.db.rows import insert_row_unless_taken


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str | None
    email: str | None


def _find(session: Session, contact: Contact) -> Customer | None:
    # Profiles are inserted at once (insert_row) and changed profiles flushed at once, so the
    # rows other commands of the transaction still hold in the session cannot be customers.
    keys = [
        column == value
        for column, value in ((Customer.phone, contact.phone), (Customer.email, contact.email))
        if value
    ]
    if not keys:
        return None
    with session.no_autoflush:
        # One statement for both keys (at most two profiles); the phone's profile comes first.
        found = session.scalars(select(Customer).where(or_(*keys))).all()
    for customer in found:
        if contact.phone and customer.phone == contact.phone:
            return customer
    return found[0] if found else None


def match_customer(session: Session, contact: Contact, *, now: datetime) -> tuple[Customer, bool]:
    """The profile with this phone (else e-mail), created if none; returns (customer, created).

    A known profile gains a missing phone or e-mail, but an existing one is never overwritten
    by what a complainant typed: a different e-mail on a known phone stays out of the profile.
    """
    with transaction(session):
        customer = _find(session, contact)
        if customer is not None:
            changed = {}
            if customer.phone is None and contact.phone:
                customer.phone = contact.phone
                changed["phone"] = True
            if customer.email is None and contact.email and _email_free(session, contact.email):
                customer.email = contact.email
                changed["email"] = True
            if changed:
                customer.updated_at = now
                # Written now: a later registration of the same transaction looks it up by
                # the contact it gained.
                session.flush()
                audit.record(
                    session,
                    at=now,
                    actor="system",
                    action="customer.contact_added",
                    subject_type="customer",
                    subject_id=customer.id,
                    data=changed,
                )
            return customer, False
        customer = insert_row_unless_taken(
            session,
            Customer,
            {
                "name": contact.name,
                "phone": contact.phone,
                "email": contact.email,
                "tags": [],
                "created_at": now,
                "updated_at": now,
            },
        )
        if customer is None:
            # Another first complaint with this phone or e-mail committed in between (PostgreSQL
            # runs intakes concurrently): its profile is used instead.
            existing = _find(session, contact)
            if existing is None:
                raise RuntimeError("a customer's phone or e-mail is taken, yet no profile has it")
            return existing, False
        audit.record(
            session,
            at=now,
            actor="system",
            action="customer.created",
            subject_type="customer",
            subject_id=customer.id,
            data={"has_phone": contact.phone is not None, "has_email": contact.email is not None},
        )
        return customer, True


def _email_free(session: Session, email: str) -> bool:
    with session.no_autoflush:
        return session.scalar(select(Customer.id).where(Customer.email == email)) is None


class CustomerTag(StrEnum):
    VIP = "vip"
    FREQUENT = "frequent"
    PROFESSIONAL_CLAIMANT = "professional_claimant"
    """Many compensation claims, similar texts across cases."""
    BLACKLIST = "blacklist"
    """Set by hand only."""


VIP_TAG = CustomerTag.VIP.value
KNOWN_TAGS = frozenset(tag.value for tag in CustomerTag)
TAG_LABELS = {
    CustomerTag.VIP: ("重要客户", "VIP"),
    CustomerTag.FREQUENT: ("经常投诉", "Frequent complainant"),
    CustomerTag.PROFESSIONAL_CLAIMANT: ("职业索赔", "Professional claimant"),
    CustomerTag.BLACKLIST: ("黑名单", "Blacklisted"),
}


def tag_customer(
    session: Session, *, customer_id: int, tags: list[str], actor: str, now: datetime
) -> Customer:
    """Replace a profile's tags (VIP, frequent complainer, …); unknown tags are refused."""
    with transaction(session):
        unknown = sorted(set(tags) - KNOWN_TAGS)
        if unknown:
            raise InvalidInput(
                reason=Bilingual(
                    f"未知标签：{', '.join(unknown)}", f"unknown tags: {', '.join(unknown)}"
                )
            )
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise NotFound()
        before = list(customer.tags)
        customer.tags = sorted(set(tags))
        customer.updated_at = now
        audit.record(
            session,
            at=now,
            actor=actor,
            action="customer.tagged",
            subject_type="customer",
            subject_id=customer.id,
            data={"before": before, "after": customer.tags},
        )
        return customer
