"""The dashboard's tables as one CSV file, for the complaint-analysis meeting's spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

from kesu.analytics.schemas import AnalyticsSummary, BreakdownRow, ChangeKind, GroupRow
from kesu.core.i18n import Language, label

_TEXT = {
    "period": ("统计区间", "Period"),
    "previous": ("对比区间", "Compared with"),
    "kpis": ("主要指标", "Headline figures"),
    "figure": ("指标", "Figure"),
    "current": ("本期", "This period"),
    "before": ("上期", "Previous period"),
    "change": ("变化", "Change"),
    "trend": ("投诉量趋势", "Complaints over time"),
    "from": ("开始", "From"),
    "to": ("结束", "To"),
    "complaints": ("投诉量", "Complaints"),
    "resolved": ("已办结", "Resolved"),
    "escalated": ("已升级", "Escalated"),
    "share": ("占比 (%)", "Share (%)"),
    "previous_complaints": ("上期投诉量", "Previous complaints"),
    "pop": ("环比 (%)", "Change (%)"),
    "sla": ("时限达成率 (%)", "SLA compliance (%)"),
    "hours": ("平均办结用时（小时）", "Average resolution time (hours)"),
    "csat": ("满意度", "CSAT"),
    "escalation": ("升级率 (%)", "Escalation rate (%)"),
    "category": ("投诉类别", "Category"),
    "department": ("责任部门", "Department"),
    "channel": ("渠道", "Channel"),
    "province": ("地区（省份）", "Region (province)"),
    "status": ("当前状态", "Current status"),
}


def _number(value: float | None, *, scale: float = 1, digits: int = 1) -> str:
    return "" if value is None else f"{value * scale:.{digits}f}"


def _kpi_value(value: float | None, kind: ChangeKind, key: str) -> str:
    if key == "complaints":
        return "" if value is None else str(int(value))
    # Rates are stored as shares; their changes are in points, so both show as percentages.
    return _number(value, scale=100 if kind is ChangeKind.POINTS else 1, digits=1)


Cell = str | int
_Text = Callable[[str], str]


def summary_csv(summary: AnalyticsSummary, language: Language) -> str:
    """CSV with a byte-order mark, so spreadsheet programs read the Chinese labels as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out, lineterminator="\r\n").writerows(summary_rows(summary, language))
    return out.getvalue()


def summary_rows(summary: AnalyticsSummary, language: Language) -> list[list[Cell]]:
    """Every table of the dashboard, one after another, each under its title."""

    def t(key: str) -> str:
        return label(_TEXT, key, language)

    period, previous = summary.period, summary.previous_period
    rows: list[list[Cell]] = [
        [t("period"), period.start.isoformat(), period.end.isoformat()],
        [t("previous"), previous.start.isoformat(), previous.end.isoformat()],
        [],
        [t("kpis")],
        [t("figure"), t("current"), t("before"), t("change")],
    ]
    rows += [
        [
            kpi.label,
            _kpi_value(kpi.value, kpi.change_kind, kpi.key),
            _kpi_value(kpi.previous, kpi.change_kind, kpi.key),
            _number(kpi.change, digits=2),
        ]
        for kpi in summary.kpis
    ]
    rows += [[], [t("trend")], [t("from"), t("to"), t("complaints"), t("resolved"), t("escalated")]]
    rows += [
        [p.start.isoformat(), p.end.isoformat(), p.complaints, p.resolved, p.escalated]
        for p in summary.series
    ]
    rows += _groups(t("category"), summary.by_category, t)
    rows += _groups(t("department"), summary.by_department, t)
    rows += _breakdown(t("channel"), summary.by_channel, t)
    rows += _breakdown(t("province"), summary.by_province, t)
    rows += _breakdown(t("status"), summary.by_status, t)
    return rows


def _breakdown_cells(row: BreakdownRow) -> list[Cell]:
    return [
        row.label,
        row.complaints,
        _number(row.share, scale=100),
        row.previous_complaints,
        _number(row.change),
    ]


def _breakdown(title: str, rows: Sequence[BreakdownRow], t: _Text) -> list[list[Cell]]:
    header: list[Cell] = [title, t("complaints"), t("share"), t("previous_complaints"), t("pop")]
    return [[], [title], header, *(_breakdown_cells(row) for row in rows)]


def _groups(title: str, rows: Sequence[GroupRow], t: _Text) -> list[list[Cell]]:
    header: list[Cell] = [
        title,
        t("complaints"),
        t("share"),
        t("previous_complaints"),
        t("pop"),
        t("sla"),
        t("hours"),
        t("csat"),
        t("escalation"),
    ]
    return [
        [],
        [title],
        header,
        *(
            [
                *_breakdown_cells(row),
                _number(row.sla_compliance, scale=100),
                _number(row.resolution_hours),
                _number(row.csat_average, digits=2),
                _number(row.escalation_rate, scale=100),
            ]
            for row in rows
        ),
    ]
