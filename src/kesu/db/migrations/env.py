"""Alembic environment: the engine comes from kesu.db.migrate, the schema from the registry."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Engine

from kesu.db import registry
from kesu.db.base import UTCDateTime

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through kesu.db.migrate (kesu db upgrade), not bare alembic")


def render_item(type_: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    """Render kesu's column types as plain SQLAlchemy so migrations never import kesu."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Leave the search index out of model comparison: it is dialect-specific DDL (an FTS5
    virtual table and its shadow tables on SQLite, a tsvector table on PostgreSQL)."""
    return not (type_ == "table" and name is not None and name.startswith("complaint_search"))


with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=registry.metadata(),
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
