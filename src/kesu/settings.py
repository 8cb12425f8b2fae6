"""The one typed configuration of kesu, read from ``KESU_*`` environment variables once, in bootstrap.

Zero configuration works: an SQLite database and the notification log live in ``./kesu-data``.
Nested groups are set with a double underscore, e.g. ``KESU_WORKER__POLL_SECONDS=0.2``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WorkerSettings(BaseModel):
    poll_seconds: float = Field(default=1.0, gt=0)
    """How long an idle worker sleeps before looking for due jobs again."""
    batch_size: int = Field(default=20, ge=1, le=1000)
    """Jobs claimed per round trip; each runs in its own transaction."""
    lease_seconds: int = Field(default=300, ge=5)
    """A claimed job whose worker died becomes claimable again after this long."""
    max_attempts: int = Field(default=8, ge=1)
    """Failures before a job is parked as dead for an operator to look at."""
    embedded: bool = True
    """Run one worker thread inside ``kesu serve`` (the SQLite default; turn off when separate
    ``kesu worker`` processes run against PostgreSQL)."""


class NotifierSettings(BaseModel):
    kind: Literal["log", "smtp"] = "log"
    """``log`` appends every message as a JSON line to ``log_path``; ``smtp`` sends e-mail."""
    log_path: Path | None = None
    """Default: ``<data_dir>/notifications.jsonl``."""
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    sender: str = "kesu@localhost"
    """From: address of outgoing e-mail."""


class IntakeSettings(BaseModel):
    max_description_chars: int = Field(default=20_000, ge=100)
    """Longer complaint texts are refused rather than silently cut."""
    max_evidence_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    """Per evidence file (10 MiB: a phone photo or a short voice memo)."""
    max_evidence_files: int = Field(default=10, ge=1)
    """Per complaint."""
    first_response_hours: int = Field(default=24, ge=1)
    """Promised in the acknowledgement (SPEC §1: a first response within 24 h by default)."""


class TriageSettings(BaseModel):
    model_path: Path | None = None
    """A retrained category model (``kesu triage train --from-db`` writes
    ``<data_dir>/models/category_model.npz``, used when present); else the one shipped with kesu."""
    review_threshold: float = Field(default=0.5, ge=0, le=1)
    """Category confidence below this flags the complaint for a person to confirm."""
    policy_days: int = Field(default=365, ge=1)
    """Warranty/policy period behind the "outside the period" validity hint."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KESU_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Path("kesu-data")
    """Where the SQLite database, evidence files and the notification log live."""
    database_url: str | None = None
    """SQLAlchemy URL; unset means ``sqlite:///<data_dir>/kesu.sqlite3``. For PostgreSQL use
    ``postgresql+psycopg://user@host:5432/kesu``."""
    secret_key: str = "dev-insecure-secret-change-me"  # noqa: S105 - refused in production
    """Signs CSRF tokens and follow-up links; must be changed outside development."""
    environment: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    """The address customers are sent to in acknowledgements (the tracking page lives below it);
    unset means ``http://<host>:<port>``."""
    worker: WorkerSettings = WorkerSettings()
    notifier: NotifierSettings = NotifierSettings()
    intake: IntakeSettings = IntakeSettings()
    triage: TriageSettings = TriageSettings()

    def trained_model_path(self) -> Path:
        return self.data_dir / "models" / "category_model.npz"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'kesu.sqlite3').resolve()}"

    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def check_secrets(self) -> None:
        """Refuse to run in production with the development secret."""
        if self.environment == "production" and self.secret_key.startswith("dev-insecure"):
            raise ValueError("KESU_SECRET_KEY must be set when KESU_ENVIRONMENT=production")
