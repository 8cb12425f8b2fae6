"""Liveness and readiness for load balancers and `kesu` operators, and the HTTP floor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from kesu.db import migrate
from kesu.web.deps import KesuApp

router = APIRouter(prefix="/api/v1", tags=["system"])


class Health(BaseModel):
    status: str
    database: str
    schema_current: bool


class Echo(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"text": "你好"}]})

    text: Annotated[str, Field(max_length=5000)]


@router.get("/health")
def health(kesu: KesuApp) -> Health:
    """`ok` when the database answers and its schema is at the newest migration."""
    current = migrate.is_up_to_date(kesu.engine)
    return Health(
        status="ok" if current else "degraded", database=kesu.dialect, schema_current=current
    )


# A plain `def` like the real endpoints: the floor includes the thread-pool hop they pay too.
@router.post("/echo", responses={422: {"description": "`validation_error`"}})
def echo(body: Echo) -> Echo:
    """Return the JSON body as sent; no sign-in, no database.

    It exists to measure the server's own request overhead (connection handling, routing, JSON
    parsing, validation and serialisation): benchmarks compare real endpoints with it in the
    same run (`bench/http_intake.py`).
    """
    return body
