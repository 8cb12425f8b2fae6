"""Reads of follow-up: improvement actions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.followup.models import ImprovementAction
from kesu.followup.schemas import ActionRead


def actions(
    session: Session, *, complaint_id: int | None = None, open_only: bool = False
) -> list[ActionRead]:
    query = select(ImprovementAction).order_by(ImprovementAction.due_at, ImprovementAction.id)
    if complaint_id is not None:
        query = query.where(ImprovementAction.complaint_id == complaint_id)
    if open_only:
        query = query.where(ImprovementAction.done_at.is_(None))
    return [ActionRead.model_validate(row) for row in session.scalars(query)]
