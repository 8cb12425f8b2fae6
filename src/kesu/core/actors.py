"""Who is doing something: every command takes an Actor and records it on the timeline and audit."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ActorKind(StrEnum):
    USER = "user"
    CUSTOMER = "customer"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: int | None
    role: str
    """A role code of ``kesu.accounts.models.Role``; ``system`` for the worker and imports."""
    name: str

    @property
    def ref(self) -> str:
        """``user:7``, ``customer:12`` or ``system`` — the form stored in audit and timeline rows."""
        return self.kind.value if self.id is None else f"{self.kind.value}:{self.id}"


SYSTEM = Actor(kind=ActorKind.SYSTEM, id=None, role="system", name="系统")
