"""Composition root: builds every long-lived object from Settings, once, and passes them down."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from kesu.complaints.service import EvidenceLimits
from kesu.complaints.storage import FileEvidenceStore
from kesu.core.activity import RequestActivity
from kesu.core.clock import Clock, SystemClock
from kesu.db import registry
from kesu.db.engine import make_engine, make_session_factory
from kesu.intake.inbox import Inbox
from kesu.intake.service import IntakePolicy, Registration
from kesu.notifications.models import Channel
from kesu.notifications.notifiers import ChannelRouter, LogFileNotifier, Notifier, SmtpNotifier
from kesu.settings import Settings
from kesu.text import analysis, segment
from kesu.text.classify import ANGER_MODEL
from kesu.triage.service import TriageEngine


@dataclass
class Kesu:
    """Everything an edge needs: built by ``build``, closed by ``dispose``."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    notifier: Notifier
    evidence_store: FileEvidenceStore
    intake_policy: IntakePolicy
    triage_engine: TriageEngine
    inbox: Inbox
    """The API's intake inbox of this process (its group writer is per process)."""
    activity: RequestActivity = field(default_factory=RequestActivity)
    """Web requests in progress in this process; the embedded worker gives way to them."""

    @property
    def registration(self) -> Registration:
        """What intake needs to register a complaint: the worker's inbox runs and tracking."""
        return self.inbox.registration

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.inbox.close()
        self.engine.dispose()


def build_notifier(settings: Settings) -> Notifier:
    config = settings.notifier
    log_notifier = LogFileNotifier(config.log_path or settings.data_dir / "notifications.jsonl")
    if config.kind == "smtp":
        smtp = SmtpNotifier(
            host=config.smtp_host,
            port=config.smtp_port,
            sender=config.sender,
            username=config.smtp_username,
            password=config.smtp_password,
            starttls=config.smtp_starttls,
        )
        # SMS has no gateway adapter yet: those messages are kept in the log for staff to send.
        return ChannelRouter({Channel.EMAIL: smtp}, fallback=log_notifier)
    return log_notifier


def build(
    settings: Settings, *, clock: Clock | None = None, notifier: Notifier | None = None
) -> Kesu:
    settings.check_secrets()
    registry.metadata()  # every table is mapped before the first query
    url = settings.resolved_database_url()
    if url.startswith("sqlite"):
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    intake = settings.intake
    resolved_clock = clock or SystemClock()
    evidence_store = FileEvidenceStore(settings.data_dir / "evidence")
    intake_policy = IntakePolicy(
        max_description_chars=intake.max_description_chars,
        evidence=EvidenceLimits(
            max_bytes=intake.max_evidence_bytes, max_files=intake.max_evidence_files
        ),
        first_response_hours=intake.first_response_hours,
        public_url=settings.resolved_public_url(),
    )
    triage_engine = build_triage_engine(settings)
    return Kesu(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        clock=resolved_clock,
        notifier=notifier or build_notifier(settings),
        evidence_store=evidence_store,
        intake_policy=intake_policy,
        triage_engine=triage_engine,
        inbox=Inbox(
            engine,
            Registration(
                policy=intake_policy,
                clock=resolved_clock,
                store=evidence_store,
                engine=triage_engine,
            ),
        ),
    )


def build_triage_engine(settings: Settings) -> TriageEngine:
    path = settings.triage.model_path
    if path is None and settings.trained_model_path().exists():
        path = settings.trained_model_path()
    anger_path = path.with_name(ANGER_MODEL) if path is not None else None
    segment.warm_up()  # the dictionary loads now, not on the first complaint
    return TriageEngine(
        models=analysis.load_models(
            category_path=path,
            anger_path=anger_path if anger_path is not None and anger_path.exists() else None,
        ),
        review_threshold=settings.triage.review_threshold,
        policy_days=settings.triage.policy_days,
    )
