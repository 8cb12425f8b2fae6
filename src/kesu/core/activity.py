"""How many web requests a process is answering right now: background work gives way to them."""

from __future__ import annotations


class RequestActivity:
    """Counted by the web app's outermost layer, on its event loop; read from any thread (a
    slightly stale count is fine: it only decides whether the embedded worker rests)."""

    def __init__(self) -> None:
        self._in_flight = 0

    def started(self) -> None:
        self._in_flight += 1

    def finished(self) -> None:
        self._in_flight -= 1

    def busy(self) -> bool:
        return self._in_flight > 0
