"""Group commit: every request gets its own outcome, and waiting requests share a write."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from kesu.core.errors import InvalidInput
from kesu.db.batching import GroupWriter


class Recorder:
    """Writes nothing; remembers the batches it was given, slowly enough for others to queue."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.threads: set[str] = set()

    def write(self, items: Sequence[int]) -> list[int | Exception]:
        self.threads.add(threading.current_thread().name)
        threading.Event().wait(0.01)
        self.batches.append(list(items))
        return [InvalidInput() if item % 7 == 0 else item * 10 for item in items]


def test_each_request_gets_its_own_outcome_and_waiting_requests_share_a_write() -> None:
    recorder = Recorder()
    writer: GroupWriter[int, int] = GroupWriter(recorder.write, max_batch=15)

    async def submit(item: int) -> int | str:
        try:
            return await writer.submit(item)
        except InvalidInput:
            return "refused"

    async def burst() -> list[int | str]:
        return await asyncio.gather(*(submit(item) for item in range(1, 41)))

    results = asyncio.run(burst())
    writer.close()
    assert results == ["refused" if n % 7 == 0 else n * 10 for n in range(1, 41)]
    assert [item for batch in recorder.batches for item in batch] == list(range(1, 41))
    # All forty were waiting before the first write began: batches of at most 15.
    assert [len(batch) for batch in recorder.batches] == [15, 15, 10]
    assert all(name.startswith("kesu-group-write") for name in recorder.threads)


def test_a_failed_write_fails_its_batch_and_the_next_request_still_writes() -> None:
    calls: list[list[str]] = []

    def write(items: Sequence[str]) -> list[str | Exception]:
        calls.append(list(items))
        if "boom" in items:
            raise RuntimeError("database unreachable")
        return [item.upper() for item in items]

    writer: GroupWriter[str, str] = GroupWriter(write)

    async def scenario() -> str:
        with pytest.raises(RuntimeError, match="unreachable"):
            await writer.submit("boom")
        return await writer.submit("fine")

    assert asyncio.run(scenario()) == "FINE"
    assert writer.write_now("now") == "NOW"
    writer.close()
    assert calls == [["boom"], ["fine"], ["now"]]
