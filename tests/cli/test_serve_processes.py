"""`kesu serve --workers 2` on Linux: each web process listens on a socket of its own, so the
kernel spreads connections over them, instead of one idle process accepting them all from a shared
socket while the other waits."""

from __future__ import annotations

import http.client
import os
import pickle
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

import pytest
import uvicorn

from kesu.cli.listening import listener
from kesu.core.activity import SHARED_ACTIVITY_ENV, SharedActivity

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="SO_REUSEPORT spreading and /proc are Linux's"
)

LISTEN, ESTABLISHED = "0A", "01"
"""Socket states as /proc/net/tcp writes them."""

CONNECTIONS = 24


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0", "::1"])  # noqa: S104 - a local test
def test_each_process_unpickles_a_socket_of_its_own_and_the_reserving_one_takes_no_connections(
    host: str,
) -> None:
    if ":" in host and not _ipv6_loopback():
        pytest.skip("no IPv6 loopback here")
    loopback = "::1" if ":" in host else "127.0.0.1"
    config = uvicorn.Config("kesu.web.app:app_from_environment", host=host, port=0, log_config=None)
    with listener(config) as reserved:
        port = reserved.getsockname()[1]
        # What uvicorn's Multiprocess does with it for every web process it spawns.
        with pickle.loads(ForkingPickler.dumps(reserved)) as own:  # noqa: S301 - our own bytes
            assert own is not reserved
            assert (own.family, own.type, own.proto) == (
                reserved.family,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
            )
            assert own.getsockname() == reserved.getsockname()
            assert own.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
            assert own.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
            own.listen()
            with socket.create_connection((loopback, port), timeout=2):
                accepted, _ = own.accept()
                accepted.close()
        # Bound but not listening: it keeps the port and answers nothing itself.
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((loopback, port), timeout=2)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _web_processes(parent: int) -> list[int]:
    """uvicorn's web processes under ``parent`` (its resource tracker is a child too)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:  # it ended meanwhile
            continue
        parent_pid = int(stat.rpartition(")")[2].split()[1])
        if parent_pid == parent and b"spawn_main" in command:
            found.append(int(entry.name))
    return sorted(found)


def _held(pids: list[int], port: int, state: str) -> dict[int, set[int]]:
    """For each process, the inodes of the sockets on the server side of ``port`` in ``state``
    that it holds open."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rpartition(":")[2], 16) == port and fields[3] == state:
                inodes.add(int(fields[9]))
    held: dict[int, set[int]] = {}
    for pid in pids:
        held[pid] = set()
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:[") and int(target[8:-1]) in inodes:
                    held[pid].add(int(target[8:-1]))
    return held


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/api/v1/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _environment(pid: int) -> dict[str, str]:
    entries = Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
    return dict(entry.split("=", 1) for entry in entries if "=" in entry)


def _serving(server: subprocess.Popen[bytes], port: int, log: Path) -> list[int]:
    """The two web processes, once each listens on the port and the server answers."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        web = _web_processes(server.pid)
        if len(web) == 2 and all(_held(web, port, LISTEN).values()) and _healthy(port):
            return web
        time.sleep(0.1)
    pytest.fail(f"kesu serve did not answer on port {port}:\n{log.read_text()}")


def test_two_web_processes_listen_on_sockets_of_their_own_and_both_get_connections(
    database_url: str, tmp_path: Path
) -> None:
    port = _free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KESU_")}
    environment |= {
        "KESU_DATABASE_URL": database_url,
        "KESU_DATA_DIR": str(tmp_path / "data"),
        "KESU_WORKER__EMBEDDED": "true",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        # A session of its own: whatever happens, the test can end every process it started.
        server = subprocess.Popen(  # noqa: S603 - this file's own arguments
            [
                sys.executable,
                "-c",
                "from kesu.cli.main import main; main()",
                "serve",
                "--workers",
                "2",
                "--port",
                str(port),
            ],
            cwd=tmp_path,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        web = _serving(server, port, log)

        listening = _held([server.pid, *web], port, LISTEN)
        assert listening.pop(server.pid) == set()
        assert [len(inodes) for inodes in listening.values()] == [1, 1]
        assert len(set.union(*listening.values())) == 2, listening

        clients = [
            http.client.HTTPConnection("127.0.0.1", port, timeout=5) for _ in range(CONNECTIONS)
        ]
        try:
            # All connected before the first request: the moment an idle process accepting
            # from a shared socket would take them all.
            for client in clients:
                client.connect()
            for client in clients:
                client.request("GET", "/api/v1/health")
                response = client.getresponse()
                response.read()
                assert response.status == 200
            established = _held(web, port, ESTABLISHED)
        finally:
            for client in clients:
                client.close()
        assert sum(len(inodes) for inodes in established.values()) == CONNECTIONS
        assert all(established.values()), {pid: len(held) for pid, held in established.items()}

        # The web processes stamped those requests where the serve process's worker reads them.
        (shared,) = {_environment(pid)[SHARED_ACTIVITY_ENV] for pid in web}
        assert SharedActivity(Path(shared), recent_seconds=60).busy()

        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=10) == 0, log.read_text()
        assert not [pid for pid in web if Path(f"/proc/{pid}").exists()]
        assert not Path(shared).exists()
    finally:
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()
