"""How busy the web side is right now: background work gives way to requests.

In one process (``kesu serve``) the count of requests in progress decides whether the embedded
worker rests. With several web processes (``kesu serve --workers N``) the worker runs in the
serve process, apart from them: each web process stamps the time of every request's start and
end in a small shared file, and the worker rests while the newest stamp is recent.
"""

from __future__ import annotations

import mmap
import os
import struct
import tempfile
import time
from pathlib import Path

SHARED_ACTIVITY_ENV = "KESU_SERVE_ACTIVITY"
"""Where ``kesu serve`` tells its web processes the shared file is."""

_STAMP = struct.Struct("d")


class SharedActivity:
    """The newest request stamp of several processes: eight bytes of a file mapped into each.

    A stamp is one aligned 8-byte store, and ``time.monotonic`` is the same clock in every
    process of the machine; a reader that sees an old value only rests a moment less.
    """

    RECENT_SECONDS = 0.1
    """A request this recent counts as load: under a steady stream there is always one."""

    def __init__(self, path: Path, *, recent_seconds: float = RECENT_SECONDS) -> None:
        self.path = path
        self.recent_seconds = recent_seconds
        descriptor = os.open(path, os.O_RDWR)
        try:
            self._map = mmap.mmap(descriptor, _STAMP.size)
        finally:
            os.close(descriptor)

    @classmethod
    def create(cls) -> SharedActivity:
        """A new file, in memory (/dev/shm) where the system has it; ``remove`` deletes it."""
        # mkstemp makes the file private to this user, so a shared directory is safe here.
        memory = Path("/dev/shm")  # noqa: S108
        directory = str(memory) if memory.is_dir() else None
        descriptor, name = tempfile.mkstemp(prefix="kesu-activity-", dir=directory)
        try:
            os.write(descriptor, _STAMP.pack(0.0))
        finally:
            os.close(descriptor)
        return cls(Path(name))

    def stamp(self) -> None:
        _STAMP.pack_into(self._map, 0, time.monotonic())

    def busy(self) -> bool:
        newest: float = _STAMP.unpack_from(self._map, 0)[0]
        return time.monotonic() - newest < self.recent_seconds

    def remove(self) -> None:
        self._map.close()
        self.path.unlink(missing_ok=True)


class RequestActivity:
    """Counted by the web app's outermost layer, on its event loop; read from any thread (a
    slightly stale count is fine: it only decides whether the embedded worker rests)."""

    def __init__(self, shared: SharedActivity | None = None) -> None:
        self._in_flight = 0
        self._shared = shared

    def started(self) -> None:
        self._in_flight += 1
        self._stamp()

    def finished(self) -> None:
        self._in_flight -= 1
        self._stamp()

    def _stamp(self) -> None:
        if self._shared is not None:
            self._shared.stamp()

    def busy(self) -> bool:
        return self._in_flight > 0
