"""``kesu analytics``: refresh the rollup and print the summary from a terminal."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from kesu.analytics.jobs import REFRESH_JOB
from kesu.analytics.service import china_day
from kesu.bootstrap import Kesu
from kesu.cli.analytics import analytics_group
from kesu.cli.main import main
from kesu.complaints.models import Complaint
from kesu.db.models import Job


@pytest.fixture
def runner(
    kesu: Kesu, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    monkeypatch.setenv("KESU_DATABASE_URL", database_url)
    monkeypatch.setenv("KESU_DATA_DIR", str(tmp_path / "cli-data"))
    return CliRunner()


def test_refresh_then_summary_over_the_demo_data(runner: CliRunner, kesu: Kesu) -> None:
    assert runner.invoke(main, ["demo"]).exit_code == 0
    refreshed = runner.invoke(analytics_group, ["refresh", "--full"])
    assert refreshed.exit_code == 0, refreshed.output
    assert "recounted" in refreshed.output

    printed = runner.invoke(analytics_group, ["summary", "--english"])
    assert printed.exit_code == 0, printed.output
    summary = json.loads(printed.output)
    start, end = (
        date.fromisoformat(summary["period"]["start"]),
        date.fromisoformat(summary["period"]["end"]),
    )
    assert end - start == timedelta(days=29)
    with kesu.sessions() as session:
        received = session.scalars(select(Complaint.received_at)).all()
        armed = session.scalars(select(Job.dedupe_key).where(Job.kind == REFRESH_JOB)).all()
    assert summary["current"]["complaints"] == sum(start <= china_day(r) <= end for r in received)
    assert summary["current"]["complaints"] > 0
    assert len(armed) == 1  # the worker keeps it current from now on

    refused = runner.invoke(
        analytics_group, ["summary", "--from", "2026-11-23", "--to", "2026-11-01"]
    )
    assert refused.exit_code == 1
    assert "晚于结束日期" in refused.output
