"""Group commit: concurrent requests of one process share a write transaction.

Each request hands its item over and awaits its outcome. While no write is in progress the first
item starts one; items that arrive meanwhile wait and go together in the next. A request is
answered only once its item is committed, so an answer still means "stored". Under load, one
BEGIN and one COMMIT serve many requests, no request holds a thread while it waits, and on
SQLite the writers no longer queue for the file's single write lock one by one; with one
request at a time it is a plain transaction per item.

The writes run on one thread of the writer's own, outside the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")

WriteBatch = Callable[[Sequence[Item]], Sequence[Outcome | Exception]]
"""Writes the items, committed, and returns one outcome per item in order: a result, or the
error that item's caller should raise (the others' items stay written)."""


class GroupWriter(Generic[Item, Outcome]):
    """One per process and kind of write; ``max_batch`` bounds one transaction."""

    def __init__(self, write: WriteBatch[Item, Outcome], *, max_batch: int = 100) -> None:
        self._write = write
        self._max_batch = max_batch
        self._waiting: list[tuple[Item, asyncio.Future[Outcome]]] = []
        self._writing: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kesu-group-write")

    async def submit(self, item: Item) -> Outcome:
        """Write ``item`` (with whatever else is waiting) and return its outcome."""
        outcome: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, outcome))
        if self._writing is None:
            self._writing = asyncio.create_task(self._write_waiting())
        return await outcome

    def write_now(self, item: Item) -> Outcome:
        """The same write for a caller without an event loop (the command line, tests)."""
        (outcome,) = self._write([item])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def _write_waiting(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                try:
                    outcomes = await loop.run_in_executor(
                        self._thread, self._write, [item for item, _ in batch]
                    )
                    if len(outcomes) != len(batch):
                        raise RuntimeError("a group write returned the wrong number of outcomes")
                except Exception as error:
                    # Nothing of the batch is known to be written: every request gets the error.
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():  # the request went away; its item is written all the same
                        continue
                    if isinstance(outcome, Exception):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            self._writing = None

    def close(self) -> None:
        self._thread.shutdown(wait=True)
