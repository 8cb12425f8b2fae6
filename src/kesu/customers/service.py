"""Match a complainant to a customer profile and tag it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kesu.audit import service as audit
from kesu.core.errors import Bilingual, InvalidInput, NotFound
from kesu.customers.models import Customer
from kesu.db.engine import transaction


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str | None
    email: str | None


def _find(session: Session, contact: Contact) -> Customer | None:
    customer = None
    if contact.phone:
        customer = session.scalar(select(Customer).where(Customer.phone == contact.phone))
    if customer is None and contact.email:
        customer = session.scalar(select(Customer).where(Customer.email == contact.email))
    return customer


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
        customer = Customer(
            name=contact.name,
            phone=contact.phone,
            email=contact.email,
            tags=[],
            created_at=now,
            updated_at=now,
        )
        try:
            # A savepoint: when another first complaint with this phone or e-mail commits in
            # between (PostgreSQL runs intakes concurrently), its profile is used instead.
            with session.begin_nested():
                session.add(customer)
        except IntegrityError:
            existing = _find(session, contact)
            if existing is None:
                raise
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
