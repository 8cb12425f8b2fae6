"""The complaint dashboard page (统计分析): figures, inline SVG bar charts and their tables, CSV.

Charts are drawn here as plain SVG (no script, nothing fetched): each has a title and a
description for screen readers, and the table beside it holds the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from kesu.analytics import queries
from kesu.analytics.export import summary_csv
from kesu.analytics.schemas import AnalyticsSummary, BreakdownRow, Bucket, ChangeKind, Kpi
from kesu.analytics.service import china_day
from kesu.core.errors import Bilingual, InvalidInput, KesuError
from kesu.core.i18n import Language, label
from kesu.text.classify import CATEGORIES, CATEGORY_LABELS
from kesu.web.deps import DbSession, KesuApp, OptionalUser, actor_of
from kesu.web.errors import request_language
from kesu.web.pages.guards import to_login
from kesu.web.pages.rendering import render
from kesu.web.translation import translate

router = APIRouter(include_in_schema=False)

BAR_HEIGHT = 18
BAR_GAP = 8
CHART_WIDTH = 640
LABEL_WIDTH = 168
VALUE_ROOM = 64
TOP_PROVINCES = 15
"""The province chart shows the largest ones; its table lists them all."""
QUICK_RANGES = (7, 30, 90, 365)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: float
    width: float
    previous_x: float | None
    """Where the previous period's value ends, drawn as a tick over the bar."""
    value_x: float
    """Where the value is written: after the bar and the tick."""
    title: str


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars: one per row, the previous period as a tick."""

    id: str
    title: str
    description: str
    height: int
    bars: list[Bar]
    width: int = CHART_WIDTH
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    title: str
    label: str | None
    """Shown under every few columns, so the labels never overlap."""


@dataclass(frozen=True)
class ColumnChart:
    """Vertical bars over time, with a value axis."""

    id: str
    title: str
    description: str
    columns: list[Column]
    ticks: list[tuple[float, int]]
    """(y, value) of each horizontal grid line."""
    width: int
    height: int
    left: int
    bottom: float


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ at or above ``value`` (an axis that reads easily)."""
    if value <= 0:
        return 1
    power: int = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def _fit(text: str, room: int = 26) -> str:
    """``text`` cut to fit the label column: a Chinese character takes two units of room."""
    used = 0
    for index, character in enumerate(text):
        used += 2 if ord(character) > 0x2E80 else 1
        if used > room:
            return text[:index] + "…"
    return text


def _value_x(bar_end: float, previous_x: float | None) -> float:
    # Written just after the bar, or after the previous period's tick when that is in the way.
    if previous_x is not None and bar_end - 2 <= previous_x <= bar_end + 30:
        return previous_x + 6
    return bar_end + 6


def bar_chart(
    chart_id: str, title: str, rows: Sequence[BreakdownRow], language: Language
) -> BarChart:
    top = max([row.complaints for row in rows] + [row.previous_complaints for row in rows] + [1])
    room = CHART_WIDTH - LABEL_WIDTH - VALUE_ROOM
    bars = []
    for index, row in enumerate(rows):
        width = room * row.complaints / top
        previous_x = LABEL_WIDTH + room * row.previous_complaints / top
        bars.append(
            Bar(
                label=_fit(row.label),
                value=row.complaints,
                y=BAR_GAP / 2 + index * (BAR_HEIGHT + BAR_GAP),
                width=width,
                previous_x=previous_x if row.previous_complaints else None,
                value_x=_value_x(
                    LABEL_WIDTH + width, previous_x if row.previous_complaints else None
                ),
                title=translate("%(label)s：%(count)s 件，上期 %(previous)s 件", language)
                % {
                    "label": row.label,
                    "count": row.complaints,
                    "previous": row.previous_complaints,
                },
            )
        )
    if rows:
        largest = max(rows, key=lambda row: row.complaints)
        description = translate("共 %(n)s 项，最多的是%(label)s（%(count)s 件）。", language) % {
            "n": len(rows),
            "label": largest.label,
            "count": largest.complaints,
        }
    else:
        description = translate("本期没有投诉。", language)
    return BarChart(
        id=chart_id,
        title=title,
        description=description,
        height=max(len(rows), 1) * (BAR_HEIGHT + BAR_GAP),
        bars=bars,
    )


def column_chart(summary: AnalyticsSummary, language: Language) -> ColumnChart:
    width, height, left, right, top_margin, bottom_margin = 960, 240, 48, 8, 10, 34
    plot_width, plot_height = width - left - right, height - top_margin - bottom_margin
    points = summary.series
    axis_top = _nice_ceiling(max([point.complaints for point in points] + [1]))
    step = plot_width / max(len(points), 1)
    every = max(1, math.ceil(44 / step))  # a label needs ~44 units ("11-23")
    columns = []
    for index, point in enumerate(points):
        bar_height = plot_height * point.complaints / axis_top
        span = (
            point.start.isoformat()
            if point.start == point.end
            else f"{point.start.isoformat()} – {point.end.isoformat()}"
        )
        columns.append(
            Column(
                x=left + index * step + step * 0.1,
                y=top_margin + plot_height - bar_height,
                width=max(step * 0.8, 1),
                height=bar_height,
                title=translate("%(span)s：%(count)s 件", language)
                % {"span": span, "count": point.complaints},
                label=point.start.strftime("%m-%d") if index % every == 0 else None,
            )
        )
    ticks = [
        (top_margin + plot_height * (1 - share), round(axis_top * share)) for share in (0, 0.5, 1)
    ]
    title = (
        translate("每日投诉量", language)
        if summary.bucket is Bucket.DAY
        else translate("每周投诉量", language)
    )
    busiest = max(points, key=lambda point: point.complaints, default=None)
    description = translate(
        "%(start)s 至 %(end)s 共 %(total)s 件投诉；最多的一段是 %(peak)s，%(count)s 件。", language
    ) % {
        "start": summary.period.start.isoformat(),
        "end": summary.period.end.isoformat(),
        "total": summary.current.complaints,
        "peak": busiest.start.isoformat() if busiest is not None else "",
        "count": busiest.complaints if busiest is not None else 0,
    }
    return ColumnChart(
        id="chart-trend",
        title=title,
        description=description,
        columns=columns,
        ticks=ticks,
        width=width,
        height=height,
        left=left,
        bottom=top_margin + plot_height,
    )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _decimal(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _kpi_value(kpi: Kpi) -> str:
    if kpi.value is None:
        return "—"
    if kpi.change_kind is ChangeKind.POINTS:
        return _percent(kpi.value)
    if kpi.key == "complaints":
        return f"{int(kpi.value):,}"
    return _decimal(kpi.value, 2 if kpi.key == "csat_average" else 1)


def _kpi_previous(kpi: Kpi) -> str:
    return _kpi_value(kpi.model_copy(update={"value": kpi.previous}))


def _kpi_change(kpi: Kpi, language: Language) -> str:
    if kpi.change is None:
        return translate("无上期数据", language)
    sign = "+" if kpi.change > 0 else ""
    if kpi.change_kind is ChangeKind.PERCENT:
        return f"{sign}{kpi.change:.1f}%"
    if kpi.change_kind is ChangeKind.POINTS:
        return translate("%(change)s 个百分点", language) % {"change": f"{sign}{kpi.change:.1f}"}
    return f"{sign}{kpi.change:.2f}"


def _kpi_trend(kpi: Kpi) -> str:
    """``better``, ``worse`` or ``same``: the colour of the change, not its sign."""
    if not kpi.change:
        return "same"
    return "better" if (kpi.change > 0) == kpi.higher_is_better else "worse"


def _change(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{'+' if value > 0 else ''}{value:.1f}%"


def _day(value: str, name: Bilingual) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise InvalidInput(
            reason=Bilingual(
                f"{name.zh}应写作 YYYY-MM-DD，例如 2026-11-01",
                f"{name.en} must be written YYYY-MM-DD, e.g. 2026-11-01",
            )
        ) from error


def _request(start: str, end: str, department_id: str, category: str) -> queries.SummaryRequest:
    """The form's fields as typed: empty means "not given"; a value not offered is refused."""
    department = department_id.strip()
    if department and not (department.isascii() and department.isdigit() and len(department) <= 18):
        raise InvalidInput(reason=Bilingual("未知的责任部门", "unknown department"))
    return queries.SummaryRequest(
        start=_day(start, Bilingual("开始日期", "the first day")),
        end=_day(end, Bilingual("结束日期", "the last day")),
        department_id=int(department) if department else None,
        category=category.strip() or None,
    )


Field = Annotated[str, Query(max_length=40)]
From = Annotated[str, Query(alias="from", max_length=40)]
To = Annotated[str, Query(alias="to", max_length=40)]


@router.get("/agent/analytics", response_class=HTMLResponse, response_model=None)
def dashboard(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    start: From = "",
    end: To = "",
    department_id: Field = "",
    category: Field = "",
) -> Response:
    if user is None:
        return to_login(request)
    language = request_language(request)
    viewer = actor_of(user)
    now = kesu.clock.now()
    departments = queries.department_choices(session, viewer)
    form = {"from": start, "to": end, "department_id": department_id, "category": category}
    context: dict[str, object] = {
        "user": user,
        "form": form,
        "departments": departments,
        "categories": [(code, label(CATEGORY_LABELS, code, language)) for code in CATEGORIES],
        "quick_ranges": _quick_ranges(china_day(now), form),
        "percent": _percent,
        "decimal": _decimal,
        "change": _change,
        "kpi_value": _kpi_value,
        "kpi_previous": _kpi_previous,
        "kpi_change": lambda kpi: _kpi_change(kpi, language),
        "kpi_trend": _kpi_trend,
        "summary": None,
        "error": None,
    }
    try:
        summary = queries.dashboard(
            session,
            viewer,
            _request(start, end, department_id, category),
            now=now,
            language=language,
        )
    except KesuError as error:
        context["error"] = error.message(language)
        return render(request, "analytics/dashboard.html", context, status_code=error.http_status)
    # The form shows the period the figures are for, also when it was left to its default.
    form.update({"from": summary.period.start.isoformat(), "to": summary.period.end.isoformat()})
    context.update(
        summary=summary,
        csv_link="/agent/analytics.csv?" + urlencode({k: v for k, v in form.items() if v}),
        trend=column_chart(summary, language),
        charts_by=_bar_charts(summary, language),
    )
    return render(request, "analytics/dashboard.html", context)


def _quick_ranges(today: date, form: dict[str, str]) -> list[tuple[int, str]]:
    """Links to the last 7, 30, 90 and 365 days, keeping the department and category."""
    kept = {key: form[key] for key in ("department_id", "category") if form[key]}
    links = []
    for days in QUICK_RANGES:
        start = date.fromordinal(today.toordinal() - days + 1)
        query = urlencode({"from": start.isoformat(), "to": today.isoformat(), **kept})
        links.append((days, f"/agent/analytics?{query}"))
    return links


def _bar_charts(summary: AnalyticsSummary, language: Language) -> dict[str, BarChart]:
    return {
        "category": bar_chart(
            "chart-category", translate("按投诉类别", language), summary.by_category, language
        ),
        "department": bar_chart(
            "chart-department", translate("按责任部门", language), summary.by_department, language
        ),
        "channel": bar_chart(
            "chart-channel", translate("按受理渠道", language), summary.by_channel, language
        ),
        "province": bar_chart(
            "chart-province",
            translate("按地区（投诉量前 15 的省份）", language),
            summary.by_province[:TOP_PROVINCES],
            language,
        ),
        "status": bar_chart(
            "chart-status", translate("按当前状态", language), summary.by_status, language
        ),
    }


@router.get("/agent/analytics.csv", response_model=None)
def dashboard_csv(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    start: From = "",
    end: To = "",
    department_id: Field = "",
    category: Field = "",
) -> Response:
    """The dashboard's tables as CSV (an error page for a refused question)."""
    if user is None:
        return to_login(request)
    language = request_language(request)
    summary = queries.dashboard(
        session,
        actor_of(user),
        _request(start, end, department_id, category),
        now=kesu.clock.now(),
        language=language,
    )
    name = f"kesu-analytics-{summary.period.start.isoformat()}-{summary.period.end.isoformat()}"
    return Response(
        summary_csv(summary, language),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
