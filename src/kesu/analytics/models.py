"""The complaint rollup (统计汇总): counts and sums per China-time receipt day, and its refresh state.

Every measure is attributed to the day a complaint was *received* (a cohort view): a complaint
resolved, escalated or rated later changes the numbers of the day it came in. That is what lets the
refresh recompute whole days: a changed complaint dirties exactly one day.

Rows exist at four levels so that any dashboard question reads one small slice: per department
and category, per department (``category = ALL_CATEGORIES``), per category
(``department_id = ALL_DEPARTMENTS``) and overall (both).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from kesu.complaints.models import Complaint
from kesu.db.base import Base, BigId

ALL_DEPARTMENTS = -1
"""``department_id`` of rows summed over every department."""
NO_DEPARTMENT = 0
"""``department_id`` of complaints not yet given to a department."""
ALL_CATEGORIES = "*"
"""``category`` of rows summed over every category."""
NO_CATEGORY = ""
"""``category`` of complaints not yet categorised."""
STATE_ID = 1
"""The id of the one ``RollupState`` row."""

# The refresh reads one receipt day of complaints at a time: a range on received_at, which no
# other index of the complaint table starts with.
Index("ix_complaint_received_at", Complaint.__table__.c.received_at)


class _Slice:
    """The key every rollup row starts with: a department, a category, a day (in this order,
    so that a slice is one index range)."""

    department_id: Mapped[int] = mapped_column(BigId, sort_order=-3)
    category: Mapped[str] = mapped_column(String(32), sort_order=-2)
    day: Mapped[date] = mapped_column(sort_order=-1)
    """The receipt day; in the month tables, the first day of the month."""


class _Measures(_Slice):
    complaints: Mapped[int]
    resolved: Mapped[int]
    """Now resolved, in follow-up, closed or archived."""
    escalated: Mapped[int]
    """Ever sent up a level (at intake, by hand or on a missed deadline)."""
    reopened: Mapped[int]
    repeated: Mapped[int]
    """From a customer who had complained in the ``REPEAT_WINDOW`` before."""
    first_response_decided: Mapped[int]
    """First-response clocks that were met or missed: the denominator of its compliance."""
    first_response_breached: Mapped[int]
    first_response_timed: Mapped[int]
    first_response_minutes: Mapped[int] = mapped_column(BigInteger)
    resolution_decided: Mapped[int]
    resolution_breached: Mapped[int]
    resolution_timed: Mapped[int]
    """Resolved complaints whose resolution time is known (a resolution clock stopped)."""
    resolution_minutes: Mapped[int] = mapped_column(BigInteger)
    """From receipt to the stop of the resolution clock, summed."""
    csat_sum: Mapped[int]
    csat_count: Mapped[int]
    nps_promoters: Mapped[int]
    nps_detractors: Mapped[int]
    nps_count: Mapped[int]


class _Counts(_Slice):
    dimension: Mapped[str] = mapped_column(String(16))
    """``channel``, ``province`` or ``status``."""
    value: Mapped[str] = mapped_column(String(40))
    complaints: Mapped[int]


class ComplaintDayStat(_Measures, Base):
    """Every measure of the complaints received on ``day`` in one department and category."""

    __tablename__ = "complaint_day_stat"
    __table_args__ = (
        PrimaryKeyConstraint("department_id", "category", "day"),
        Index("ix_complaint_day_stat_day", "day"),
    )


class ComplaintDayCount(_Counts, Base):
    """How many complaints received on ``day`` had each value of one more ``dimension``."""

    __tablename__ = "complaint_day_count"
    __table_args__ = (
        PrimaryKeyConstraint("department_id", "category", "day", "dimension", "value"),
        Index("ix_complaint_day_count_day", "day"),
    )


class ComplaintMonthStat(_Measures, Base):
    """``ComplaintDayStat`` added up by month: a long period reads a row a month, not a day."""

    __tablename__ = "complaint_month_stat"
    __table_args__ = (
        PrimaryKeyConstraint("department_id", "category", "day"),
        Index("ix_complaint_month_stat_day", "day"),
    )


class ComplaintMonthCount(_Counts, Base):
    """``ComplaintDayCount`` added up by month."""

    __tablename__ = "complaint_month_count"
    __table_args__ = (
        PrimaryKeyConstraint("department_id", "category", "day", "dimension", "value"),
        Index("ix_complaint_month_count_day", "day"),
    )


StatTable = type[ComplaintDayStat] | type[ComplaintMonthStat]
CountTable = type[ComplaintDayCount] | type[ComplaintMonthCount]


class RollupDirtyDay(Base):
    """A receipt day whose rollup rows are out of date and wait to be recomputed."""

    __tablename__ = "rollup_dirty_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    marked_at: Mapped[datetime]


class RollupState(Base):
    """Where the refresh stands: one row (``id`` 1), locked by every refresh step."""

    __tablename__ = "rollup_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    settled_event_id: Mapped[int] = mapped_column(BigInteger)
    """Every timeline event up to this id has dirtied its complaint's day."""
    gap_event_id: Mapped[int | None] = mapped_column(BigInteger)
    """The first missing event id above ``settled_event_id``: a transaction still in flight, or
    one that rolled back (PostgreSQL spends sequence numbers either way)."""
    gap_seen_at: Mapped[datetime | None]
    refreshed_at: Mapped[datetime | None]
    """When the last refresh left no dirty day behind."""
