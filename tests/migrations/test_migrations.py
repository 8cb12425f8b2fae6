from __future__ import annotations

from sqlalchemy import inspect

from kesu.bootstrap import Kesu
from kesu.db import migrate, registry


def test_there_is_one_head(kesu: Kesu) -> None:
    assert len(migrate.heads(kesu.engine)) == 1


def test_downgrade_to_empty_and_upgrade_again(kesu: Kesu) -> None:
    migrate.downgrade(kesu.engine, "base")
    assert set(inspect(kesu.engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(kesu.engine)
    tables = set(inspect(kesu.engine).get_table_names())
    assert {table.name for table in registry.metadata().sorted_tables} <= tables
    assert migrate.is_up_to_date(kesu.engine)


def test_the_models_match_the_migrations(kesu: Kesu) -> None:
    migrate.check(kesu.engine)  # raises when autogenerate would produce anything
