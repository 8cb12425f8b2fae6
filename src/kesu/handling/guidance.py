"""Settlement guidance (处理参考): what similar resolved cases settled for, and how to negotiate.

Shown to staff only: it anchors the handler, never the customer.
"""

from __future__ import annotations

import statistics
from collections import Counter

from pydantic import BaseModel
from sqlalchemy import Row, exists, select
from sqlalchemy.orm import Session

from kesu.complaints.lifecycle import Status
from kesu.complaints.models import Complaint
from kesu.handling.models import RemedyProposal

SETTLED = [
    s.value
    for s in (
        Status.CARRYING_OUT,
        Status.RESOLVED,
        Status.FOLLOW_UP,
        Status.CLOSED,
        Status.ARCHIVED,
    )
]
MIN_CASES = 3
"""Fewer similar cases than this say little; the guidance falls back to the category alone."""
RECENT_REMEDIES = 5000
"""The guidance reads the newest this many approved remedies, whatever their category: what was
settled lately is the better anchor, and the page costs the same at a million complaints as at a
thousand (reading every settled case of a category took over a second there)."""
NEGOTIATION_RULES = (
    "不要先开价：先听清客户的诉求和底线，再谈补偿。",
    "先锚定在低位：从参考区间的下四分位附近提出。",
    "让步减半：每次让步幅度是上一次的一半，让客户看到底线在收敛。",
    "想清退路（BATNA）：谈不拢时的替代方案（维修、换货、第三方鉴定）要事先准备好。",
    "补偿不是首选：先解决问题本身，道歉要说清具体错在哪里。",
)


class SettlementGuidance(BaseModel):
    similar_cases: int
    basis: str
    """``category+product_line`` or ``category`` (what "similar" meant)."""
    usual_remedy: str | None
    median_fen: int | None
    lower_quartile_fen: int | None
    upper_quartile_fen: int | None
    rules: list[str]


def _remedies(
    session: Session, complaint: Complaint, *, with_product_line: bool, newest_first_id: int | None
) -> list[Row[int, str, int | None]]:
    similar = exists().where(
        Complaint.id == RemedyProposal.complaint_id,
        Complaint.id != complaint.id,
        Complaint.category == complaint.category,
        Complaint.status.in_(SETTLED),
    )
    if with_product_line:
        similar = similar.where(Complaint.product_line == complaint.product_line)
    # The approved remedies drive the query (an index range), each checked against its
    # complaint by primary key: never a walk over every complaint of the category.
    query = select(
        RemedyProposal.complaint_id, RemedyProposal.kind, RemedyProposal.amount_fen
    ).where(RemedyProposal.status == "approved", similar)
    if newest_first_id is not None:
        query = query.where(RemedyProposal.id >= newest_first_id)
    return list(session.execute(query))


def _recent_bound(session: Session) -> int | None:
    """The id of the oldest of the newest RECENT_REMEDIES approved remedies (None: fewer)."""
    return session.scalar(
        select(RemedyProposal.id)
        .where(RemedyProposal.status == "approved")
        .order_by(RemedyProposal.id.desc())
        .offset(RECENT_REMEDIES - 1)
        .limit(1)
    )


def settlement_guidance(session: Session, complaint: Complaint) -> SettlementGuidance:
    basis = "category+product_line"
    bound = _recent_bound(session)
    found = (
        _remedies(session, complaint, with_product_line=True, newest_first_id=bound)
        if complaint.product_line
        else []
    )
    if len({r.complaint_id for r in found}) < MIN_CASES:
        basis = "category"
        found = _remedies(session, complaint, with_product_line=False, newest_first_id=bound)
    amounts = sorted(r.amount_fen for r in found if r.amount_fen)
    quartiles = statistics.quantiles(amounts, n=4) if len(amounts) >= 2 else None
    return SettlementGuidance(
        similar_cases=len({r.complaint_id for r in found}),
        basis=basis,
        usual_remedy=Counter(r.kind for r in found).most_common(1)[0][0] if found else None,
        median_fen=int(statistics.median(amounts)) if amounts else None,
        lower_quartile_fen=int(quartiles[0]) if quartiles else None,
        upper_quartile_fen=int(quartiles[2]) if quartiles else None,
        rules=list(NEGOTIATION_RULES),
    )
