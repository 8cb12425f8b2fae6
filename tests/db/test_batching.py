"""Group commit: every caller gets its own outcome, and concurrent callers share writes."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from kesu.core.errors import InvalidInput
from kesu.db.batching import GroupWriter


class Recorder:
    """Writes nothing; remembers the batches it was given, slowly enough for others to queue."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = threading.Event()

    def write(self, items: Sequence[int]) -> list[int | Exception]:
        self.release.wait(timeout=5)
        self.batches.append(list(items))
        return [InvalidInput() if item % 7 == 0 else item * 10 for item in items]


def test_each_caller_gets_its_own_outcome_and_waiting_callers_share_a_batch() -> None:
    recorder = Recorder()
    writer: GroupWriter[int, int] = GroupWriter(recorder.write, max_batch=50)

    def submit(item: int) -> int | str:
        try:
            return writer.submit(item)
        except InvalidInput:
            return "refused"

    with ThreadPoolExecutor(max_workers=20) as pool:
        futures = [pool.submit(submit, item) for item in range(1, 41)]
        # Hold the first write until everyone is waiting for it.
        threading.Timer(0.3, recorder.release.set).start()
        results = [future.result() for future in futures]
    assert results == ["refused" if n % 7 == 0 else n * 10 for n in range(1, 41)]
    assert sorted(item for batch in recorder.batches for item in batch) == list(range(1, 41))
    assert len(recorder.batches) < 40  # callers that waited were written together
    assert max(len(batch) for batch in recorder.batches) > 1


def test_a_failed_write_fails_its_batch_and_the_next_caller_still_writes() -> None:
    calls: list[Sequence[str]] = []

    def write(items: Sequence[str]) -> list[str | Exception]:
        calls.append(items)
        if "boom" in items:
            raise RuntimeError("database unreachable")
        return [item.upper() for item in items]

    writer: GroupWriter[str, str] = GroupWriter(write)
    with pytest.raises(RuntimeError, match="unreachable"):
        writer.submit("boom")
    assert writer.submit("fine") == "FINE"
    assert [list(batch) for batch in calls] == [["boom"], ["fine"]]
