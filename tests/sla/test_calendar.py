"""Deadline maths across Spring Festival, National Day and adjusted working days (调休), 2026."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from kesu.sla.calendar import CHINA, BusinessCalendar, ClockType, deadline, elapsed

CAL = BusinessCalendar()
H = timedelta(hours=1)


def cst(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CHINA)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # An ordinary Tuesday: inside working hours, then across the evening.
        (cst(3, 10, 10), 2 * H, cst(3, 10, 12)),
        (cst(3, 10, 17), 2 * H, cst(3, 11, 10)),
        # Before opening counts from 09:00; after closing from the next working morning.
        (cst(3, 10, 7), 1 * H, cst(3, 10, 10)),
        (cst(3, 10, 20), 1 * H, cst(3, 11, 10)),
        # Friday evening → Monday (an ordinary weekend).
        (cst(3, 13, 17, 30), 1 * H, cst(3, 16, 9, 30)),
        # Spring Festival 2026: Feb 15–23 off; Saturday Feb 14 and Saturday Feb 28 are 调休 working days.
        (cst(2, 13, 17), 2 * H, cst(2, 14, 10)),
        (cst(2, 14, 17), 2 * H, cst(2, 24, 10)),
        (cst(2, 27, 17), 2 * H, cst(2, 28, 10)),
        # National Day 2026: Oct 1–7 off, Saturday Oct 10 is a 调休 working day.
        (cst(9, 30, 17), 8 * H, cst(10, 8, 16)),
        (cst(10, 9, 17), 2 * H, cst(10, 10, 10)),
        # Filed on a holiday: the clock starts on the first working morning.
        (cst(10, 3, 12), 9 * H, cst(10, 8, 18)),
        # Exactly at closing time the next working day's opening is the same moment in working time.
        (cst(3, 10, 9), 9 * H, cst(3, 10, 18)),
        (cst(3, 10, 9), 0 * H, cst(3, 10, 9)),
    ],
)
def test_working_time_deadlines(start: datetime, duration: timedelta, expected: datetime) -> None:
    assert deadline(start, duration, CAL, ClockType.WORKING) == expected


def test_calendar_time_ignores_holidays() -> None:
    start = cst(9, 30, 17)
    assert deadline(start, timedelta(days=15), CAL, ClockType.CALENDAR) == cst(10, 15, 17)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (cst(3, 10, 10), cst(3, 10, 12), 2 * H),
        (cst(9, 30, 17), cst(10, 10, 10), 20 * H),  # 1 h + Oct 8 + Oct 9 + 1 h on the 调休 Saturday
        (cst(3, 10, 12), cst(3, 10, 10), 0 * H),
    ],
)
def test_elapsed_working_time(start: datetime, end: datetime, expected: timedelta) -> None:
    assert elapsed(start, end, CAL, ClockType.WORKING) == expected


def test_deadline_and_elapsed_agree() -> None:
    start = cst(2, 12, 15, 45)
    for hours in range(0, 60, 7):
        due = deadline(start, hours * H, CAL, ClockType.WORKING)
        assert elapsed(start, due, CAL, ClockType.WORKING) == hours * H


def test_organisation_overrides_win() -> None:
    open_saturday = BusinessCalendar(overrides={date(2026, 3, 14): True, date(2026, 3, 16): False})
    assert deadline(cst(3, 13, 17), 2 * H, open_saturday, ClockType.WORKING) == cst(3, 14, 10)
    assert deadline(cst(3, 14, 17), 2 * H, open_saturday, ClockType.WORKING) == cst(3, 17, 10)


def test_years_without_a_published_schedule_fall_back_to_weekdays() -> None:
    friday = datetime(2030, 3, 1, 17, tzinfo=CHINA)
    assert deadline(friday, 2 * H, CAL, ClockType.WORKING) == datetime(2030, 3, 4, 10, tzinfo=CHINA)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline(datetime(2026, 3, 10, 10), H, CAL, ClockType.WORKING)  # noqa: DTZ001
    with pytest.raises(ValueError, match="negative"):
        deadline(cst(3, 10, 10), -H, CAL, ClockType.WORKING)
    with pytest.raises(ValueError, match="close after"):
        BusinessCalendar(opens=CAL.closes, closes=CAL.opens)
