"""The ``kesu`` command: serve, worker, database, demo data, accounts and departments, and the
audit chain."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import uvicorn
from alembic.util import CommandError
from sqlalchemy.orm import Session
from uvicorn.supervisors import Multiprocess

from kesu import bootstrap
from kesu.accounts import queries as accounts_queries
from kesu.accounts import service as accounts
from kesu.accounts.models import Role, TokenKind, User
from kesu.accounts.schemas import STAFF_ROLES
from kesu.analytics import jobs as analytics_jobs
from kesu.audit import service as audit
from kesu.bootstrap import Kesu
from kesu.cli import demo as demo_data
from kesu.cli.analytics import analytics_group
from kesu.cli.importing import import_group
from kesu.cli.listening import listener
from kesu.core.activity import SHARED_ACTIVITY_ENV, SharedActivity
from kesu.core.actors import SYSTEM
from kesu.core.errors import KesuError
from kesu.core.i18n import Language
from kesu.db import migrate
from kesu.escalation import queries as escalation_queries
from kesu.intake import inbox
from kesu.jobs import registry as job_registry
from kesu.jobs.worker import Worker, WorkerConfig
from kesu.routing import queries as routing_queries
from kesu.routing import service as routing_service
from kesu.settings import Settings
from kesu.text.classify import ANGER_MODEL
from kesu.triage import queries as triage_queries
from kesu.triage.schemas import AnalyseRequest
from kesu.web.app import create_app, freeze_startup_objects


def _build(host: str | None = None, port: int | None = None) -> Kesu:
    """The container from KESU_* variables; explicit command-line options win."""
    given: dict[str, Any] = {"host": host, "port": port}
    return bootstrap.build(
        Settings(**{key: value for key, value in given.items() if value is not None})
    )


@contextmanager
def _opened() -> Iterator[Kesu]:
    kesu = _build()
    try:
        yield kesu
    finally:
        kesu.dispose()


def make_worker(kesu: Kesu, name: str | None = None) -> Worker:
    config = kesu.settings.worker
    # The dashboard's rollup refreshes itself through the job table once its first run exists.
    with kesu.sessions() as session:
        analytics_jobs.ensure_scheduled(session, now=kesu.clock.now())
    return Worker(
        kesu.sessions,
        job_registry.build_handlers(
            notifier=kesu.notifier,
            clock=kesu.clock,
            secret=kesu.settings.secret_key,
            public_url=kesu.settings.resolved_public_url(),
        ),
        kesu.clock,
        WorkerConfig(
            batch_size=config.batch_size,
            lease_seconds=config.lease_seconds,
            max_attempts=config.max_attempts,
        ),
        name=name,
        drains=job_registry.build_drains(kesu.registration),
    )


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
def main(verbose: bool) -> None:
    """kesu 客诉 — closed-loop customer complaint handling."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


@main.command()
@click.option("--host", default=None, help="Default: KESU_HOST or 127.0.0.1.")
@click.option("--port", default=None, type=int, help="Default: KESU_PORT or 8000.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    help="Web processes (use PostgreSQL for more than 1).",
)
@click.option(
    "--demo", is_flag=True, help="Load the demo data first if the database has no complaints."
)
def serve(host: str | None, port: int | None, workers: int, demo: bool) -> None:
    """Run the web UI and REST API; migrates the database and embeds a worker thread."""
    kesu = _build(host=host, port=port)
    migrate.upgrade(kesu.engine)
    if demo:
        loaded = demo_data.load_if_empty(kesu)
        if loaded:
            click.echo(f"demo data loaded: {loaded} complaints (staff sign-in: see README)")
    host, port = kesu.settings.host, kesu.settings.port
    stop = threading.Event()
    worker_thread = None
    # Several web processes tell the worker, in another process, when they answer requests.
    shared = SharedActivity.create() if workers > 1 and kesu.settings.worker.embedded else None
    if kesu.settings.worker.embedded:
        worker = make_worker(kesu, name="embedded")
        worker_thread = threading.Thread(
            target=_run_embedded,
            args=(worker, stop, kesu, shared),
            daemon=True,
        )
        worker_thread.start()
    click.echo(
        f"kesu serving on http://{host}:{port}  ({kesu.dialect}, data in {kesu.settings.data_dir})"
    )
    try:
        if workers > 1:
            if shared is not None:
                os.environ[SHARED_ACTIVITY_ENV] = str(shared.path)  # inherited by each process
            config = uvicorn.Config(
                "kesu.web.app:app_from_environment",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level="warning",
            )
            Multiprocess(config, sockets=[listener(config)]).run()
        else:
            app = create_app(kesu)
            freeze_startup_objects()
            uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        stop.set()
        if worker_thread is not None:
            worker_thread.join(timeout=10)
        kesu.dispose()
        if shared is not None:
            shared.remove()


BACKGROUND_NICENESS = 10
"""The embedded worker's CPU priority beside separate web processes: about a tenth of a core's
share against a web process when both want the same core."""


def _run_embedded(
    worker: Worker, stop: threading.Event, kesu: Kesu, shared: SharedActivity | None
) -> None:
    if shared is None:
        # It shares its interpreter (and lock) with the one web process: it gives way to the
        # requests in progress itself.
        worker.run_forever(stop, kesu.settings.worker.poll_seconds, kesu.activity.busy)
        return
    if sys.platform.startswith("linux"):
        # Several web processes are other processes: the kernel keeps this thread (a thread is
        # its own task on Linux) from taking their CPU time while they answer requests.
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)
    # Niceness alone still let it take a third to half of a core during a burst: it also rests
    # while the web processes have answered a request in the last moment.
    worker.run_forever(stop, kesu.settings.worker.poll_seconds, shared.busy)


@main.command()
@click.option("--once", is_flag=True, help="Run until no job is due, then exit.")
def worker(once: bool) -> None:
    """Run notifications and timers from the job table (many may run against PostgreSQL)."""
    with _opened() as kesu:
        if not migrate.is_up_to_date(kesu.engine):
            raise click.ClickException("the database schema is not current: run `kesu db upgrade`")
        runner = make_worker(kesu)
        if once:
            click.echo(f"{runner.run_until_idle()} jobs done")
            return
        stop = threading.Event()
        try:
            runner.run_forever(stop, kesu.settings.worker.poll_seconds)
        except KeyboardInterrupt:
            stop.set()


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply the migrations shipped with kesu."""
    with _opened() as kesu:
        migrate.upgrade(kesu.engine, revision)
        click.echo(f"database at revision {migrate.current(kesu.engine)} ({kesu.dialect})")


@db.command("check")
def db_check() -> None:
    """Fail if the models and the migrated schema differ."""
    with _opened() as kesu:
        try:
            migrate.check(kesu.engine)
        except CommandError as error:
            raise click.ClickException(str(error)) from error
        click.echo("schema matches the models")


@main.command()
def demo() -> None:
    """Load departments, staff and realistic Chinese sample complaints in every stage."""
    with _opened() as kesu:
        migrate.upgrade(kesu.engine)
        loaded = demo_data.load(kesu)
        click.echo(f"demo data loaded: {loaded} complaints")


@main.group()
def audit_group() -> None:
    """The tamper-evident audit log."""


main.add_command(audit_group, name="audit")
main.add_command(import_group)
main.add_command(analytics_group)


@audit_group.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain; exit 1 at the first entry that was altered or removed."""
    with _opened() as kesu:
        with kesu.sessions() as session:
            report = audit.verify_chain(session)
        if report.intact:
            click.echo(f"audit chain intact: {report.entries} entries")
            return
        click.echo(
            f"audit chain BROKEN at entry {report.first_broken_id}: {report.reason} "
            f"({report.entries} entries read)",
            err=True,
        )
        sys.exit(1)


@main.group("intake")
def intake_group() -> None:
    """The API's intake inbox (受理): complaints accepted and waiting to be registered."""


@intake_group.command("status")
def intake_status() -> None:
    """How many accepted complaints wait for registration, and how many failed."""
    with _opened() as kesu, kesu.sessions() as session:
        state = inbox.inbox_state(session, SYSTEM)
        oldest = state.oldest_pending.isoformat() if state.oldest_pending else "-"
        click.echo(f"pending {state.pending}  failed {state.failed}  oldest pending {oldest}")
        for failure in state.failures:
            click.echo(
                f"  failed {failure.tracking_number} ×{failure.attempts}: {failure.last_error}"
            )


@intake_group.command("register")
def intake_register() -> None:
    """Register every pending submission now (what the worker does a moment after each)."""
    with _opened() as kesu, kesu.sessions() as session:
        registered = 0
        while count := inbox.register_pending(session, kesu.registration):
            registered += count
        state = inbox.inbox_state(session, SYSTEM)
        click.echo(f"{registered} registered; pending {state.pending}, failed {state.failed}")


@intake_group.command("retry")
def intake_retry() -> None:
    """Put failed submissions back in line, once the cause of the failure is mended."""
    with _opened() as kesu, kesu.sessions() as session:
        click.echo(f"{inbox.retry_failed(session, SYSTEM, kesu.clock)} submissions queued again")


@main.group()
def user() -> None:
    """Staff accounts."""


def _department_id(session: Session, code: str | None) -> int | None:
    if not code:
        return None
    department = accounts.find_department(session, code=code)
    if department is None:
        raise click.ClickException(f"no department {code}")
    return department.id


def _account(session: Session, username: str) -> User:
    found = accounts.find_user(session, username=username)
    if found is None:
        raise click.ClickException(f"no user {username}")
    return found


@user.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Display name, e.g. 张敏.")
@click.option("--role", type=click.Choice([r.value for r in STAFF_ROLES]), required=True)
@click.option("--department", "department_code", default=None, help="Department code, e.g. CS.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def user_create(
    username: str, display_name: str, role: str, department_code: str | None, password: str
) -> None:
    """Create a staff account."""
    with _opened() as kesu:
        with kesu.sessions() as session:
            try:
                created = accounts.create_user(
                    session,
                    username=username,
                    display_name=display_name,
                    role=Role(role),
                    password=password,
                    department_id=_department_id(session, department_code),
                    clock=kesu.clock,
                )
            except KesuError as error:
                raise click.ClickException(error.message(Language.ZH)) from error
        click.echo(f"user {created.username} created (id {created.id}, {created.role})")


@user.command("list")
def user_list() -> None:
    """Every staff account: username, name, role, department and whether it is active."""
    with _opened() as kesu, kesu.sessions() as session:
        for row in accounts_queries.users(session, SYSTEM):
            state = "active" if row.is_active else "deactivated"
            click.echo(
                f"{row.username}  {row.display_name}  {row.role}  "
                f"{row.department_name or '-'}  {state}"
            )


@user.command("update")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in STAFF_ROLES]), default=None)
@click.option("--department", "department_code", default=None, help="Department code; '' for none.")
def user_update(username: str, role: str | None, department_code: str | None) -> None:
    """Change the role or department of USERNAME (what is not given stays)."""
    with _opened() as kesu, kesu.sessions() as session:
        found = _account(session, username)
        try:
            changed = accounts.update_user(
                session,
                user_id=found.id,
                role=Role(role or found.role),
                department_id=found.department_id
                if department_code is None
                else _department_id(session, department_code),
                skills=found.skills,
                actor=SYSTEM,
                clock=kesu.clock,
            )
        except KesuError as error:
            raise click.ClickException(error.message(Language.ZH)) from error
        click.echo(f"user {changed.username}: {changed.role}, department {changed.department_id}")


@user.command("deactivate")
@click.argument("username")
def user_deactivate(username: str) -> None:
    """Refuse sign-in to USERNAME and revoke its sessions and API tokens."""
    _set_active(username, active=False)


@user.command("reactivate")
@click.argument("username")
def user_reactivate(username: str) -> None:
    """Allow USERNAME to sign in again (revoked tokens stay revoked)."""
    _set_active(username, active=True)


def _set_active(username: str, *, active: bool) -> None:
    with _opened() as kesu, kesu.sessions() as session:
        found = _account(session, username)
        try:
            accounts.set_user_active(
                session, user_id=found.id, active=active, actor=SYSTEM, clock=kesu.clock
            )
        except KesuError as error:
            raise click.ClickException(error.message(Language.ZH)) from error
    click.echo(f"user {username} {'reactivated' if active else 'deactivated'}")


@user.command("password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def user_password(username: str, password: str) -> None:
    """Set a new password for USERNAME; its page sessions end."""
    with _opened() as kesu, kesu.sessions() as session:
        found = _account(session, username)
        try:
            accounts.reset_password(
                session, user_id=found.id, password=password, actor=SYSTEM, clock=kesu.clock
            )
        except KesuError as error:
            raise click.ClickException(error.message(Language.ZH)) from error
    click.echo(f"password of {username} reset")


@main.group("department")
def department_group() -> None:
    """Departments (部门), or units in consumer-association mode."""


@department_group.command("list")
def department_list() -> None:
    """Every department: code, name, parent, region and active accounts."""
    with _opened() as kesu, kesu.sessions() as session:
        for row in accounts_queries.departments(session, SYSTEM):
            click.echo(
                f"{row.code}  {row.name}  parent {row.parent_name or '-'}  "
                f"region {row.region or '-'}  {row.active_staff} active"
            )


@department_group.command("create")
@click.argument("code")
@click.option("--name", required=True, help="e.g. 储运部.")
@click.option("--parent", "parent_code", default=None, help="Code of the parent department.")
@click.option("--region", default=None, help="Area a unit covers, e.g. 浙江省杭州市.")
def department_create(code: str, name: str, parent_code: str | None, region: str | None) -> None:
    """Add a department with the code CODE."""
    with _opened() as kesu, kesu.sessions() as session:
        try:
            created = accounts.create_department(
                session,
                code=code,
                name=name,
                parent_id=_department_id(session, parent_code),
                region=region,
                clock=kesu.clock,
            )
        except KesuError as error:
            raise click.ClickException(error.message(Language.ZH)) from error
        click.echo(f"department {created.code} created (id {created.id})")


@department_group.command("rename")
@click.argument("code")
@click.argument("name")
def department_rename(code: str, name: str) -> None:
    """Give the department CODE the name NAME."""
    with _opened() as kesu, kesu.sessions() as session:
        department_id = _department_id(session, code)
        if department_id is None:
            raise click.ClickException("a department code is needed")
        try:
            accounts.rename_department(
                session, department_id=department_id, name=name, actor=SYSTEM, clock=kesu.clock
            )
        except KesuError as error:
            raise click.ClickException(error.message(Language.ZH)) from error
    click.echo(f"department {code} renamed to {name}")


@user.command("token")
@click.argument("username")
@click.option("--label", default="cli", show_default=True)
def user_token(username: str, label: str) -> None:
    """Issue an API token for USERNAME (printed once)."""
    with _opened() as kesu:
        with kesu.sessions() as session:
            found = _account(session, username)
            token = accounts.issue_token(
                session, user=found, kind=TokenKind.API, label=label, clock=kesu.clock
            )
        click.echo(token)


@main.group("triage")
def triage_group() -> None:
    """The complaint-text model: train it, or see how it reads a text."""


@triage_group.command("train")
@click.option(
    "--data",
    "data_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON lines with text, category and product_line (repeatable), e.g. data/triage/dev.jsonl.",
)
@click.option(
    "--from-db",
    is_flag=True,
    help="Add this installation's complaints confirmed or corrected by agents.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Default: <data dir>/models/category_model.npz, which kesu uses from its next start.",
)
def triage_train(data_files: tuple[Path, ...], from_db: bool, output: Path | None) -> None:
    """Train the category model (TF-IDF + logistic regression) and save it."""
    # Imported here: scikit-learn and SciPy cost ~80 MB that no server process should carry.
    from kesu.triage import training

    examples = [example for path in data_files for example in training.read_labelled(path)]
    with _opened() as kesu:
        if from_db:
            with kesu.sessions() as session:
                examples.extend(training.from_rows(triage_queries.corrected_examples(session)))
        target = output or kesu.settings.trained_model_path()
    if len({example.category for example in examples}) < 2:
        raise click.ClickException(
            "need labelled examples of at least two categories (--data or --from-db)"
        )
    sources = ", ".join([str(path) for path in data_files] + (["database"] if from_db else []))
    model = training.fit(examples, source=sources)
    model.save(target)
    click.echo(
        f"category model: {len(examples)} complaints, {model.meta['features']} features → {target}"
    )
    if sum(example.anger is not None for example in examples) >= training.MIN_ANGER_EXAMPLES:
        anger_target = target.with_name(ANGER_MODEL)
        anger_model = training.fit_anger(examples, source=sources)
        anger_model.save(anger_target)
        click.echo(f"anger model: {anger_model.meta['examples']} complaints → {anger_target}")


@triage_group.command("explain")
@click.argument("text")
@click.option("--product-line", default=None, help="e.g. 热水器, 外卖, 酒店.")
@click.option("--vip", is_flag=True, help="Treat the complainant as a VIP customer.")
def triage_explain(text: str, product_line: str | None, vip: bool) -> None:
    """Show how kesu reads TEXT: category, anger, threats, safety, priority and validity."""
    with _opened() as kesu:
        view = triage_queries.dry_run(
            AnalyseRequest(text=text, product_line=product_line, is_vip=vip),
            engine=kesu.triage_engine,
            now=kesu.clock.now(),
            language=Language.ZH,
        )
    click.echo(
        f"类别 category: {view.category_label} ({view.category}) {view.confidence:.0%}"
        + ("  [需人工确认]" if view.needs_review else "")
    )
    click.echo(f"  依据 drivers: {'、'.join(view.drivers) or '—'}")
    click.echo(
        f"情绪 anger: {view.anger_level} (score {view.anger_score}) {'、'.join(view.anger_evidence)}"
    )
    for threat in view.threats:
        click.echo(f"升级威胁 threat: {threat.label} ({threat.kind}): {'、'.join(threat.words)}")
    if view.safety_words:
        click.echo(f"安全风险 safety: {'、'.join(view.safety_words)}")
    click.echo(
        f"优先级 priority: {view.priority_label}  原因: {'；'.join(r.label for r in view.reasons) or '—'}"
    )
    click.echo(f"是否成立 validity: {view.suggestion_label}  {'；'.join(view.hint_labels)}")


@main.group("routing")
def routing_group() -> None:
    """Routing rules (派单规则)."""


@routing_group.command("import")
@click.argument("rules_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def routing_import(rules_file: Path) -> None:
    """Add the rules of a CSV or YAML file (.csv, .yaml, .yml) with the fields name, position,
    category, product_line, region_prefix, channel, customer_tag, department_code, strategy;
    all or nothing."""
    importer = (
        routing_service.import_rules_yaml
        if rules_file.suffix.lower() in {".yaml", ".yml"}
        else routing_service.import_rules_csv
    )
    with _opened() as kesu, kesu.sessions() as session:
        try:
            rules = importer(
                session, rules_file.read_text(encoding="utf-8"), actor=SYSTEM, clock=kesu.clock
            )
        except KesuError as error:
            raise click.ClickException(error.message(Language.ZH)) from error
    click.echo(f"{len(rules)} rules added")


@routing_group.command("list")
def routing_list() -> None:
    """The rules in the order they are tried."""
    with _opened() as kesu, kesu.sessions() as session:
        for rule in routing_queries.rules(session):
            conditions = (
                ", ".join(
                    f"{name}={value}"
                    for name, value in (
                        ("category", rule.category),
                        ("product_line", rule.product_line),
                        ("region", rule.region_prefix),
                        ("channel", rule.channel),
                        ("tag", rule.customer_tag),
                    )
                    if value
                )
                or "*"
            )
            click.echo(
                f"{rule.position:>5}  {rule.name}  [{conditions}] → {rule.department_name} ({rule.strategy})"
            )


@main.group("sla")
def sla_group() -> None:
    """Time limits (时限)."""


@sla_group.command("breaches")
def sla_breaches() -> None:
    """Missed deadlines, newest first."""
    with _opened() as kesu, kesu.sessions() as session:
        for row in escalation_queries.breaches(session, SYSTEM, Language.ZH):
            click.echo(
                f"{row.tracking_number}  {row.label}  应于 {row.due_at:%Y-%m-%d %H:%M} UTC  升级级别 {row.escalation_level}"
            )
