"""``kesu analytics``: keep the complaint rollup current and read the dashboard from a terminal."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import click

from kesu import bootstrap
from kesu.analytics import jobs, queries, service
from kesu.bootstrap import Kesu
from kesu.core.actors import SYSTEM
from kesu.core.errors import KesuError
from kesu.core.i18n import Language
from kesu.db import migrate
from kesu.settings import Settings


@contextmanager
def _opened() -> Iterator[Kesu]:
    kesu = bootstrap.build(Settings())
    try:
        if not migrate.is_up_to_date(kesu.engine):
            raise click.ClickException("the database schema is not current: run `kesu db upgrade`")
        yield kesu
    finally:
        kesu.dispose()


@click.group("analytics")
def analytics_group() -> None:
    """Complaint statistics (统计分析)."""


@analytics_group.command("refresh")
@click.option(
    "--full",
    is_flag=True,
    help="Recount every day, not only the days with changes since the last refresh.",
)
def analytics_refresh(full: bool) -> None:
    """Bring the rollup up to date now, and make sure the worker keeps it so every minute."""
    started = time.perf_counter()
    with _opened() as kesu, kesu.sessions() as session:

        def report(done: int, left: int) -> None:
            if left:
                click.echo(f"\r{done:,} 天 days recounted, {left:,} left", nl=False, err=True)

        result = service.refresh(session, now=kesu.clock.now(), full=full, progress=report)
        jobs.ensure_scheduled(session, now=kesu.clock.now())
    click.echo(
        f"\n已重新统计 recounted {len(result.days):,} 天 days "
        f"(读取 read {result.mark.events:,} timeline events) in {time.perf_counter() - started:.1f} s"
    )


@analytics_group.command("summary")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day (China time).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day, inclusive.")
@click.option("--department-id", type=click.IntRange(0), help="0: complaints not yet assigned.")
@click.option("--category", help="A category code, e.g. logistics.")
@click.option("--english", is_flag=True, help="Labels in English.")
def analytics_summary(
    start: datetime | None,
    end: datetime | None,
    department_id: int | None,
    category: str | None,
    english: bool,
) -> None:
    """Print the dashboard summary as JSON (the same document as GET /api/v1/analytics/summary)."""
    language = Language.EN if english else Language.ZH
    with _opened() as kesu, kesu.sessions() as session:
        try:
            summary = queries.dashboard(
                session,
                SYSTEM,
                queries.SummaryRequest(
                    start=start.date() if start else None,
                    end=end.date() if end else None,
                    department_id=department_id,
                    category=category,
                ),
                now=kesu.clock.now(),
                language=language,
            )
        except KesuError as error:
            both = f"{error.message(Language.ZH)} {error.message(Language.EN)}"
            raise click.ClickException(both) from error
    click.echo(json.dumps(summary.model_dump(mode="json"), ensure_ascii=False, indent=2))
