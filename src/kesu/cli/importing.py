"""``kesu import``: bring records made elsewhere into kesu (for now: complaints from CSV)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import ClassVar

import click

from kesu import bootstrap
from kesu.bootstrap import Kesu
from kesu.core.errors import KesuError
from kesu.core.i18n import Language
from kesu.db import migrate
from kesu.intake import bulk
from kesu.settings import Settings


@contextmanager
def _opened() -> Iterator[Kesu]:
    kesu = bootstrap.build(Settings())
    try:
        yield kesu
    finally:
        kesu.dispose()


@click.group("import")
def import_group() -> None:
    """Import records from files (导入)."""


class _ProgressBars:
    """One progress bar on stderr per phase (checking, importing), with rows and rows/s."""

    _LABELS: ClassVar[dict[bulk.Phase, str]] = {
        bulk.Phase.VALIDATE: "检查 checking",
        bulk.Phase.IMPORT: "导入 importing",
    }

    def __init__(self) -> None:
        self._bars = ExitStack()
        self._phase: bulk.Phase | None = None
        self._update: Callable[[int, bulk.ImportProgress | None], None] | None = None
        self._done = 0
        self._started = 0.0

    def __enter__(self) -> _ProgressBars:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._bars.close()

    def __call__(self, progress: bulk.ImportProgress) -> None:
        if progress.phase is not self._phase:
            self._bars.close()
            self._phase, self._done, self._started = progress.phase, 0, time.perf_counter()
            bar = self._bars.enter_context(
                click.progressbar(
                    length=max(progress.bytes_total, 1),
                    label=self._LABELS[progress.phase],
                    item_show_func=self._describe,
                    file=sys.stderr,
                )
            )
            self._update = bar.update
        if self._update is not None:
            self._update(progress.bytes_done - self._done, progress)
            self._done = progress.bytes_done

    def _describe(self, progress: bulk.ImportProgress | None) -> str | None:
        if progress is None:
            return None
        rate = progress.rows / max(time.perf_counter() - self._started, 1e-9)
        return f"{progress.rows:,} 行 rows · {rate:,.0f} 行/s rows/s"


@import_group.command("complaints")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--encoding",
    type=click.Choice(bulk.ENCODINGS, case_sensitive=False),
    default="utf-8",
    show_default=True,
    help="utf-8 (with or without BOM) or gb18030 (also reads GBK/GB2312).",
)
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Import the valid rows; write the others with their line and error to "
    "FILE.rejected.csv. Default: refuse the whole file if any row is invalid.",
)
@click.option(
    "--triage",
    is_flag=True,
    help="Assess rows without a category or priority with the triage model (slower).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(bulk.MIN_BATCH, bulk.MAX_BATCH),
    default=1000,
    show_default=True,
    help="Rows per transaction.",
)
@click.option(
    "--max-errors",
    type=click.IntRange(1, 10_000),
    default=20,
    show_default=True,
    help="Invalid rows listed when the file is refused.",
)
def import_complaints(
    csv_file: Path,
    encoding: str,
    skip_invalid: bool,
    triage: bool,
    batch_size: int,
    max_errors: int,
) -> None:
    """Import the complaints of CSV_FILE (e.g. from an earlier system).

    The header row names the columns by English code or Chinese name:

    \b
      external_id       外部编号      rows already imported are skipped
      complainant_name  投诉人        required
      phone             联系电话      phone or email required
      email             电子邮箱
      channel           渠道          web phone email … or 网站 电话 …  (web)
      region            地区
      target_type       投诉对象类型  product order store staff service  (product)
      target            投诉对象      required
      product_line      产品线
      order_number      订单号
      description       投诉内容      required
      demands           诉求          required: refund;exchange or 退款；换货
      occurred_at       发生时间      ISO 8601, e.g. 2025-03-01T10:00:00+08:00
      received_at       受理时间      ISO 8601  (the time of the import)
      status            状态          received triaged rejected appealed reopened
                                      resolved closed archived withdrawn  (received)
      category          投诉类别      product_quality … other, or 产品质量 …
      priority          优先级        P1 P2 P3 P4

    Times without an offset are China Standard Time. Every row is checked like the
    registration form. Rows are written in batches, one audit entry per batch; running
    the same file again imports nothing twice (an interrupted import resumes). Imported
    complaints get no acknowledgement and no SLA clocks: they were received elsewhere.
    """
    options = bulk.ImportOptions(
        encoding=encoding.lower(),
        skip_invalid=skip_invalid,
        triage=triage,
        batch_size=batch_size,
        max_errors=max_errors,
    )
    with _opened() as kesu:
        if not migrate.is_up_to_date(kesu.engine):
            raise click.ClickException("the database schema is not current: run `kesu db upgrade`")
        try:
            with _ProgressBars() as bars, kesu.sessions() as session:
                report = bulk.import_complaints(
                    session,
                    csv_file,
                    options=options,
                    max_description_chars=kesu.intake_policy.max_description_chars,
                    clock=kesu.clock,
                    engine=kesu.triage_engine,
                    progress=bars,
                )
        except bulk.ImportRefused as refused:
            for error in refused.errors:
                click.echo(f"{error.message(Language.ZH)} | {error.message(Language.EN)}", err=True)
            raise click.ClickException(_both(refused)) from refused
        except KesuError as error:
            raise click.ClickException(_both(error)) from error
    if report.rejects_path is not None and report.rejected:
        click.echo(f"被拒绝的行 rejected rows → {report.rejects_path}", err=True)
    click.echo(
        f"已导入 imported {report.imported:,}，跳过 skipped {report.skipped:,}，"
        f"拒绝 rejected {report.rejected:,}，用时 {report.seconds:.1f} s，"
        f"{report.rows_per_second:,.0f} 行/s rows/s"
    )


def _both(error: KesuError) -> str:
    return f"{error.message(Language.ZH)} {error.message(Language.EN)}"
