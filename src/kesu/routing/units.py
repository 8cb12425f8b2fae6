"""Consumer-association mode (消协): units form a region tree (province → city → county).

A complaint goes to the unit of the county where the respondent is; when respondents are in
several counties, to their lowest common upper unit. A unit can delegate a complaint down.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.accounts.models import Department
from kesu.complaints import service as complaints
from kesu.complaints.errors import ComplaintNotFound
from kesu.complaints.models import Complaint
from kesu.core.actors import Actor
from kesu.core.clock import Clock
from kesu.core.errors import Bilingual, InvalidInput
from kesu.db.engine import transaction
from kesu.routing.errors import NoMatchingRule


def _units(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).where(Department.region.is_not(None))))


def _chain(unit: Department, by_id: dict[int, Department]) -> list[Department]:
    chain = [unit]
    while chain[-1].parent_id is not None and chain[-1].parent_id in by_id and len(chain) < 32:
        chain.append(by_id[chain[-1].parent_id])
    return chain


def unit_for_regions(session: Session, regions: Sequence[str]) -> Department | None:
    """The deepest unit covering every region: a county's own unit, or the common upper unit."""
    units = _units(session)
    by_id = {unit.id: unit for unit in units}
    picked = []
    for region in regions:
        covering = [
            unit for unit in units if unit.region and region.strip().startswith(unit.region)
        ]
        if not covering:
            return None
        picked.append(max(covering, key=lambda unit: len(unit.region or "")))
    if not picked:
        return None
    chains = [_chain(unit, by_id) for unit in picked]
    others = [{unit.id for unit in chain} for chain in chains[1:]]
    return next((unit for unit in chains[0] if all(unit.id in ids for ids in others)), None)


def route_by_region(
    session: Session,
    *,
    complaint_id: int,
    expected_version: int,
    respondent_regions: Sequence[str],
    actor: Actor,
    clock: Clock,
) -> Complaint:
    """Assign to the unit where the respondents are (their region, e.g. "浙江省杭州市西湖区")."""
    with transaction(session):
        regions = [region.strip() for region in respondent_regions if region.strip()]
        if not regions:
            raise InvalidInput(
                reason=Bilingual("请给出被投诉方所在地区", "give the respondents' regions")
            )
        unit = unit_for_regions(session, regions)
        if unit is None:
            raise NoMatchingRule()
        return complaints.assign_complaint(
            session,
            complaint_id=complaint_id,
            expected_version=expected_version,
            department_id=unit.id,
            assignee_id=None,
            actor=actor,
            clock=clock,
            note=f"按属地派往{unit.name}（{'、'.join(regions)}）",
        )


def delegate_down(
    session: Session,
    *,
    complaint_id: int,
    expected_version: int,
    to_unit_id: int,
    reason: str,
    actor: Actor,
    clock: Clock,
) -> Complaint:
    """A unit hands a complaint to one of its lower units (交办)."""
    with transaction(session):
        complaint = session.get(Complaint, complaint_id)
        if complaint is None:
            raise ComplaintNotFound()
        target = session.get(Department, to_unit_id)
        if (
            target is None
            or complaint.department_id is None
            or target.parent_id != complaint.department_id
        ):
            raise InvalidInput(
                reason=Bilingual(
                    "只能交办给本单位的下级单位", "delegate only to a unit directly below"
                )
            )
        return complaints.reassign_complaint(
            session,
            complaint_id=complaint_id,
            expected_version=expected_version,
            department_id=to_unit_id,
            assignee_id=None,
            reason=reason,
            actor=actor,
            clock=clock,
        )
