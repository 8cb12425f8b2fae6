"""Business-calendar deadline maths (时限): pure, with explicit times, no database and no clock.

Working time runs on China Standard Time (UTC+8, no daylight saving) within the working hours of
each working day. Whether a date is a working day comes, in order, from the organisation's own
overrides, the State Council schedule of public holidays and adjusted working days (调休) in the
``chinesecalendar`` package, and for years it does not cover yet, Monday to Friday.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum
from functools import lru_cache

import chinese_calendar

CHINA = timezone(timedelta(hours=8), "CST")


class ClockType(StrEnum):
    WORKING = "working"
    """Only working hours of working days count."""
    CALENDAR = "calendar"
    """Every minute counts (e.g. a 15-day transfer order, a 24-hour first response)."""


@dataclass(frozen=True)
class BusinessCalendar:
    opens: time = time(9, 0)
    closes: time = time(18, 0)
    overrides: Mapping[date, bool] = field(default_factory=dict)
    """Organisation's own days: True = working (e.g. a Saturday sale), False = closed."""

    def __post_init__(self) -> None:
        if self.closes <= self.opens:
            raise ValueError("working hours must close after they open")

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return _national_working_day(day)

    def opening(self, day: date) -> datetime:
        return datetime.combine(day, self.opens, tzinfo=CHINA)

    def closing(self, day: date) -> datetime:
        return datetime.combine(day, self.closes, tzinfo=CHINA)


@lru_cache(maxsize=4096)
def _national_working_day(day: date) -> bool:
    # The package validates and looks up each date on every call; a deadline steps through
    # several days, and every intake computes two deadlines. The schedule is fixed per release.
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        # The schedule for a new year is published each autumn; until the package has it,
        # fall back to Monday–Friday (organisations add the announced days as overrides).
        return day.weekday() < 5


def _next_working_moment(moment: datetime, calendar: BusinessCalendar) -> datetime:
    """``moment`` if it is inside working hours, else the next opening time."""
    local = moment.astimezone(CHINA)
    day = local.date()
    if calendar.is_working_day(day) and calendar.opening(day) <= local < calendar.closing(day):
        return local
    if calendar.is_working_day(day) and local < calendar.opening(day):
        return calendar.opening(day)
    day += timedelta(days=1)
    for _ in range(366):
        if calendar.is_working_day(day):
            return calendar.opening(day)
        day += timedelta(days=1)
    raise ValueError("no working day within a year")


def deadline(
    start: datetime, duration: timedelta, calendar: BusinessCalendar, clock: ClockType
) -> datetime:
    """When ``duration`` of the given kind of time has passed after ``start`` (UTC result)."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    if clock is ClockType.CALENDAR:
        return (start + duration).astimezone(UTC)
    remaining = duration
    moment = _next_working_moment(start, calendar)
    while True:
        closing = calendar.closing(moment.date())
        available = closing - moment
        if remaining <= available:
            return (moment + remaining).astimezone(UTC)
        remaining -= available
        moment = _next_working_moment(closing, calendar)


def elapsed(
    start: datetime, end: datetime, calendar: BusinessCalendar, clock: ClockType
) -> timedelta:
    """How much of the given kind of time lies between ``start`` and ``end`` (0 if end ≤ start)."""
    if end <= start:
        return timedelta(0)
    if clock is ClockType.CALENDAR:
        return end - start
    total = timedelta(0)
    moment = _next_working_moment(start, calendar)
    end_local = end.astimezone(CHINA)
    while moment < end_local:
        closing = calendar.closing(moment.date())
        total += min(closing, end_local) - moment
        moment = _next_working_moment(closing, calendar)
    return total
