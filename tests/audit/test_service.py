from __future__ import annotations

import threading

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from kesu.audit import service as audit
from kesu.audit.models import AuditEntry
from kesu.bootstrap import Kesu
from kesu.core.clock import FixedClock
from kesu.db.engine import transaction


def _write(session: Session, clock: FixedClock, count: int) -> None:
    with transaction(session):
        for n in range(count):
            audit.record(
                session,
                at=clock.now(),
                actor="user:1",
                action="complaint.viewed",
                subject_type="complaint",
                subject_id=n,
                data={"n": n, "名称": "王芳"},
            )


def test_an_untouched_chain_verifies(session: Session, clock: FixedClock) -> None:
    _write(session, clock, 5)
    report = audit.verify_chain(session)
    assert (report.intact, report.entries) == (True, 5)


def test_an_edited_entry_is_detected(session: Session, clock: FixedClock) -> None:
    _write(session, clock, 5)
    with transaction(session):
        session.execute(update(AuditEntry).where(AuditEntry.id == 3).values(actor="user:2"))
    report = audit.verify_chain(session)
    assert (report.intact, report.first_broken_id) == (False, 3)


def test_a_deleted_entry_in_the_middle_is_detected(session: Session, clock: FixedClock) -> None:
    _write(session, clock, 5)
    with transaction(session):
        session.execute(text("DELETE FROM audit_entry WHERE id = 2"))
    report = audit.verify_chain(session)
    assert (report.intact, report.first_broken_id) == (False, 3)


def test_a_deleted_last_entry_is_detected(session: Session, clock: FixedClock) -> None:
    _write(session, clock, 5)
    with transaction(session):
        session.execute(text("DELETE FROM audit_entry WHERE id = 5"))
    report = audit.verify_chain(session)
    assert report.intact is False
    assert report.reason == "entries after the last one were deleted"


def test_a_rehashed_forgery_still_breaks_the_link(session: Session, clock: FixedClock) -> None:
    _write(session, clock, 4)
    forged = session.get(AuditEntry, 2)
    assert forged is not None
    with transaction(session):
        forged.data = {"n": 99}
        forged.entry_hash = audit._digest(forged.previous_hash, forged)
    report = audit.verify_chain(session)
    assert (report.intact, report.first_broken_id) == (False, 3)


def test_concurrent_writers_extend_one_chain(kesu: Kesu) -> None:
    def write() -> None:
        with kesu.sessions() as own:
            _write(own, FixedClock(kesu.clock.now()), 10)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with kesu.sessions() as session:
        report = audit.verify_chain(session)
        hashes = session.scalars(select(AuditEntry.previous_hash)).all()
    assert (report.intact, report.entries) == (True, 40)
    assert len(set(hashes)) == 40  # no two entries claim the same predecessor
