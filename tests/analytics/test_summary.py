"""The dashboard's questions: periods and their comparison, department scoping, refusals."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from kesu.accounts import service as accounts
from kesu.accounts.errors import DepartmentNotFound
from kesu.analytics import queries, service
from kesu.analytics.errors import PeriodReversed, PeriodTooLong
from kesu.analytics.schemas import AnalyticsSummary, Bucket
from kesu.bootstrap import Kesu
from kesu.core.actors import SYSTEM, Actor, ActorKind
from kesu.core.clock import FixedClock
from kesu.core.errors import KesuError, PermissionDenied
from kesu.core.i18n import Language
from kesu.triage.errors import UnknownCategory
from tests.analytics.scenario import assigned, categorised, filed
from tests.factories import Personas, see_committed

TODAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
Ask = queries.SummaryRequest


def _ask(
    session: Session, viewer: Actor = SYSTEM, request: queries.SummaryRequest | None = None
) -> AnalyticsSummary:
    see_committed(session)
    return queries.dashboard(session, viewer, request or Ask(), now=TODAY, language=Language.ZH)


def _on(day: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, 3, 0, tzinfo=UTC)


def test_the_period_is_compared_with_the_one_before_it(
    kesu: Kesu, session: Session, clock: FixedClock, personas: Personas
) -> None:
    # Previous period 4–13 November: three complaints (two by phone); this one, 14–23: five.
    for n, day in enumerate((4, 9, 13)):
        filed(kesu, session, clock, _on(day), phone=f"1390000010{n}", email=None,
              channel="phone" if n < 2 else "web")  # fmt: skip
    for n, day in enumerate((14, 15, 15, 20, 23)):
        filed(kesu, session, clock, _on(day), phone=f"1390000020{n}", email=None, channel="web")
    filed(kesu, session, clock, _on(3), phone="13900000300", email=None)  # in neither
    service.refresh(session, now=TODAY)

    summary = _ask(session, SYSTEM, Ask(start=date(2026, 11, 14), end=date(2026, 11, 23)))
    assert (summary.period.start, summary.period.end, summary.period.days) == (
        date(2026, 11, 14),
        date(2026, 11, 23),
        10,
    )
    assert (summary.previous_period.start, summary.previous_period.end) == (
        date(2026, 11, 4),
        date(2026, 11, 13),
    )
    assert (summary.current.complaints, summary.previous.complaints) == (5, 3)
    kpi = next(k for k in summary.kpis if k.key == "complaints")
    assert (kpi.value, kpi.previous) == (5, 3)
    assert kpi.change == pytest.approx(200 / 3)
    channels = {row.key: (row.complaints, row.previous_complaints) for row in summary.by_channel}
    assert channels == {"web": (5, 1), "phone": (0, 2)}
    web = next(row for row in summary.by_channel if row.key == "web")
    assert web.share == 1.0
    assert web.change == pytest.approx(400.0)
    assert summary.bucket is Bucket.DAY
    assert [(p.start, p.complaints) for p in summary.series if p.complaints] == [
        (date(2026, 11, 14), 1),
        (date(2026, 11, 15), 2),
        (date(2026, 11, 20), 1),
        (date(2026, 11, 23), 1),
    ]
    # Without dates: the 30 days up to today.
    default = _ask(session)
    assert (default.period.start, default.period.end) == (date(2026, 10, 25), date(2026, 11, 23))
    assert default.current.complaints == 9


def test_long_periods_are_charted_by_week(kesu: Kesu, session: Session, clock: FixedClock) -> None:
    filed(kesu, session, clock, _on(2), phone="13900000401", email=None)
    filed(kesu, session, clock, _on(16, 9), phone="13900000402", email=None)
    service.refresh(session, now=TODAY)
    summary = _ask(session, SYSTEM, Ask(start=date(2026, 8, 26), end=date(2026, 11, 23)))
    assert summary.bucket is Bucket.WEEK
    spans = [(p.start, p.end) for p in summary.series]
    assert spans[0][0] == date(2026, 8, 26)
    assert spans[-1][1] == date(2026, 11, 23)
    assert all(
        end + timedelta(days=1) == start for (_, end), (start, _) in itertools.pairwise(spans)
    )
    assert all(start.weekday() == 0 for start, _ in spans[1:])
    assert sum(p.complaints for p in summary.series) == summary.current.complaints == 2


def test_a_handler_sees_only_their_department_and_the_units_below_it(
    kesu: Kesu, session: Session, clock: FixedClock, personas: Personas
) -> None:
    lab = accounts.create_department(
        session, code="QA-LAB", name="质检实验室", clock=kesu.clock, parent_id=personas.quality.id
    )
    placements = [personas.quality.id, personas.quality.id, lab.id, personas.logistics.id]
    for n, department_id in enumerate(placements):
        complaint = filed(kesu, session, clock, _on(10 + n), phone=f"1390000050{n}", email=None)
        complaint = categorised(kesu, session, personas, complaint, "logistics" if n else "safety")
        assigned(kesu, session, personas, complaint, department_id)
    filed(kesu, session, clock, _on(15), phone="13900000510", email=None)  # not yet assigned
    service.refresh(session, now=TODAY)

    handler = _ask(session, personas.zhao_lei.actor)
    assert handler.departments_in_scope == sorted([personas.quality.id, lab.id])
    assert handler.current.complaints == 3
    assert {row.key for row in handler.by_department} == {str(personas.quality.id), str(lab.id)}
    assert {row.key: row.complaints for row in handler.by_category} == {"logistics": 2, "safety": 1}
    only_lab = _ask(session, personas.zhao_lei.actor, Ask(department_id=lab.id))
    assert only_lab.current.complaints == 1
    with pytest.raises(PermissionDenied):
        _ask(session, personas.zhao_lei.actor, Ask(department_id=personas.logistics.id))
    choices = queries.department_choices(session, personas.zhao_lei.actor)
    assert [department_id for department_id, _ in choices] == [personas.quality.id, lab.id]
    everyone = queries.department_choices(session, personas.chen_jing.actor)
    assert everyone[0] == (0, None)  # complaints not yet assigned
    assert len(everyone) == 5

    analyst = _ask(session, personas.chen_jing.actor)
    assert (analyst.departments_in_scope, analyst.current.complaints) == (None, 5)
    unassigned = _ask(session, personas.chen_jing.actor, Ask(department_id=0))
    assert unassigned.current.complaints == 1
    logistics_in_quality = _ask(
        session,
        personas.chen_jing.actor,
        Ask(department_id=personas.quality.id, category="logistics"),
    )
    assert logistics_in_quality.current.complaints == 1

    customer = Actor(kind=ActorKind.CUSTOMER, id=1, role="customer", name="王芳")
    with pytest.raises(PermissionDenied):
        _ask(session, customer)


@pytest.mark.parametrize(
    ("request_", "refusal", "code"),
    [
        (Ask(start=date(2026, 11, 23), end=date(2026, 11, 1)), PeriodReversed, "period_reversed"),
        (Ask(start=date(2023, 11, 23), end=date(2026, 11, 23)), PeriodTooLong, "period_too_long"),
        (Ask(start=date(2026, 12, 1)), None, None),
        (Ask(category="weather"), UnknownCategory, "unknown_category"),
        (Ask(department_id=999), DepartmentNotFound, "department_not_found"),
    ],
)
def test_questions_that_make_no_sense_are_refused(
    session: Session,
    personas: Personas,
    request_: queries.SummaryRequest,
    refusal: type[KesuError] | None,
    code: str | None,
) -> None:
    if refusal is None:
        # A period starting after today ends on its first day rather than before it starts.
        summary = _ask(session, personas.chen_jing.actor, request_)
        assert (summary.period.start, summary.period.end) == (date(2026, 12, 1), date(2026, 12, 1))
        return
    with pytest.raises(refusal) as raised:
        _ask(session, personas.chen_jing.actor, request_)
    assert raised.value.code == code
    assert re.search("[\u4e00-\u9fff]", raised.value.message(Language.ZH))
    assert raised.value.message(Language.EN).isascii()


def test_the_longest_period_is_three_years(session: Session, personas: Personas) -> None:
    summary = _ask(
        session, personas.chen_jing.actor, Ask(start=date(2023, 11, 24), end=TODAY.date())
    )
    assert summary.period.days == 1096
    assert summary.bucket is Bucket.WEEK


def test_whole_months_of_a_period_are_read_from_the_month_rows() -> None:
    filters = queries.Filters(
        start=date(2026, 10, 15),
        end=date(2026, 12, 10),
        department_id=None,
        category=None,
        scope=None,
    )
    pieces = [(p.monthly, p.start, p.end, p.in_period) for p in queries._pieces(filters)]
    assert pieces == [
        (False, date(2026, 10, 15), date(2026, 10, 31), 1),
        (True, date(2026, 11, 1), date(2026, 11, 1), 1),
        (False, date(2026, 12, 1), date(2026, 12, 10), 1),
        # The previous 57 days: 19 August to 14 October.
        (False, date(2026, 8, 19), date(2026, 8, 31), 0),
        (True, date(2026, 9, 1), date(2026, 9, 1), 0),
        (False, date(2026, 10, 1), date(2026, 10, 14), 0),
    ]
