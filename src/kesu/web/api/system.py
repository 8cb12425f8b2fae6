"""Liveness and readiness for load balancers and `kesu` operators."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from kesu.db import migrate
from kesu.web.deps import KesuApp

router = APIRouter(prefix="/api/v1", tags=["system"])


class Health(BaseModel):
    status: str
    database: str
    schema_current: bool


@router.get("/health")
def health(kesu: KesuApp) -> Health:
    """`ok` when the database answers and its schema is at the newest migration."""
    current = migrate.is_up_to_date(kesu.engine)
    return Health(
        status="ok" if current else "degraded", database=kesu.dialect, schema_current=current
    )
