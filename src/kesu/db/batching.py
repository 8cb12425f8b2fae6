"""Group commit: concurrent writers of one process share a transaction instead of queueing.

Each caller hands its item over and waits. Whichever caller finds no write in progress becomes
the writer: it takes every item waiting (its own among them), writes them in one transaction,
hands each caller its own result and lets the next waiting caller take over. A caller returns
only once its item is committed, so an answer still means "stored". Under load, one BEGIN and
one COMMIT serve many requests, and on SQLite the writers no longer queue for the file's single
write lock one by one; with one caller at a time it is a plain transaction per item.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")

WriteBatch = Callable[[Sequence[Item]], Sequence[Outcome | Exception]]
"""Writes the items, committed, and returns one outcome per item in order: a result, or the
error that item's caller should raise (the others' items stay written)."""


@dataclass(eq=False)
class _Slot(Generic[Item, Outcome]):
    item: Item
    done: bool = False
    outcome: Outcome | None = None
    error: BaseException | None = None

    def result(self) -> Outcome:
        if self.error is not None:
            raise self.error
        if self.outcome is None:
            raise RuntimeError("a group write finished without an outcome for an item")
        return self.outcome


class GroupWriter(Generic[Item, Outcome]):
    """One per process and kind of write; ``max_batch`` bounds one transaction."""

    def __init__(self, write: WriteBatch[Item, Outcome], *, max_batch: int = 100) -> None:
        self._write = write
        self._max_batch = max_batch
        self._changed = threading.Condition()
        self._waiting: list[_Slot[Item, Outcome]] = []
        self._writing = False

    def submit(self, item: Item) -> Outcome:
        """Write ``item`` (with whatever else is waiting) and return its outcome."""
        slot: _Slot[Item, Outcome] = _Slot(item)
        with self._changed:
            self._waiting.append(slot)
        while True:
            with self._changed:
                while self._writing and not slot.done:
                    self._changed.wait()
                if slot.done:
                    return slot.result()
                self._writing = True
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
            self._run(batch)

    def _run(self, batch: list[_Slot[Item, Outcome]]) -> None:
        try:
            outcomes = self._write([slot.item for slot in batch])
            if len(outcomes) != len(batch):
                raise RuntimeError("a group write returned the wrong number of outcomes")
            for slot, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    slot.error = outcome
                else:
                    slot.outcome = outcome
        except Exception as error:
            # Nothing of the batch is known to be written: every caller gets the error.
            for slot in batch:
                slot.error = error
        finally:
            with self._changed:
                self._writing = False
                for slot in batch:
                    slot.done = True
                    if slot.outcome is None and slot.error is None:  # interrupted
                        slot.error = RuntimeError("the group write was interrupted")
                self._changed.notify_all()
