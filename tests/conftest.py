"""Every test runs on a real, migrated database: SQLite by default, PostgreSQL when
KESU_TEST_DATABASE_URL is set. Each test gets an empty database of its own: a copy of a migrated
SQLite file, or the PostgreSQL schema with every table truncated."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from kesu import bootstrap
from kesu.bootstrap import Kesu
from kesu.core.clock import FixedClock
from kesu.db import migrate, registry
from kesu.db.engine import make_engine
from kesu.settings import Settings, WorkerSettings
from kesu.web.app import create_app
from tests.factories import Personas, make_personas
from tests.fakes import MemoryNotifier

START = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def postgres_url() -> str | None:
    url = os.environ.get("KESU_TEST_DATABASE_URL") or None
    expected = os.environ.get("KESU_TEST_EXPECT_DIALECT")
    # CI sets the expectation so that a missing or mistyped URL fails instead of silently
    # running the PostgreSQL job on SQLite.
    if expected:
        actual = "postgresql" if url and url.startswith("postgresql") else "sqlite"
        assert actual == expected, f"expected the {expected} test database, got {actual}"
    return url


@pytest.fixture(scope="session")
def migrated(postgres_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate once per run; yields the URL (PostgreSQL) or the template file path (SQLite)."""
    if postgres_url:
        engine = make_engine(postgres_url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        migrate.upgrade(engine)
        engine.dispose()
        yield postgres_url
        return
    template = tmp_path_factory.mktemp("template") / "kesu.sqlite3"
    engine = make_engine(f"sqlite:///{template}")
    migrate.upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    yield str(template)


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{table.name}"' for table in registry.metadata().sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def database_url(migrated: str, postgres_url: str | None, tmp_path: Path) -> str:
    if postgres_url:
        engine = make_engine(postgres_url)
        _truncate_all(engine)
        engine.dispose()
        return postgres_url
    target = tmp_path / "kesu.sqlite3"
    shutil.copyfile(migrated, target)
    return f"sqlite:///{target}"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def notifier() -> MemoryNotifier:
    return MemoryNotifier()


@pytest.fixture
def kesu(
    database_url: str, tmp_path: Path, clock: FixedClock, notifier: MemoryNotifier
) -> Iterator[Kesu]:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret",
        worker=WorkerSettings(batch_size=10, lease_seconds=60, max_attempts=3, embedded=False),
    )
    app = bootstrap.build(settings, clock=clock, notifier=notifier)
    yield app
    app.dispose()


@pytest.fixture
def session(kesu: Kesu) -> Iterator[Session]:
    with kesu.sessions() as db_session:
        yield db_session


@pytest.fixture
def personas(kesu: Kesu, session: Session) -> Personas:
    return make_personas(kesu, session)


@pytest.fixture
def client(kesu: Kesu) -> Iterator[TestClient]:
    with TestClient(create_app(kesu)) as test_client:
        yield test_client
