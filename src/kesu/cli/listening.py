"""The listening socket of ``kesu serve --workers N``: one per web process on Linux.

With one socket shared by every web process, whichever process is idle when connections arrive
accepts all of them, and keep-alive clients then stay with it: under load one process works
while the others wait. On Linux each process listens on a socket of its own, bound with
SO_REUSEPORT to the same address, and the kernel spreads new connections over them.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable
from typing import Any

import click
import uvicorn
from typing_extensions import override
from uvicorn.config import STARTUP_FAILURE

log = logging.getLogger(__name__)

_Address = tuple[Any, ...]
"""What ``getsockname`` returns: (host, port) for IPv4, (host, port, flowinfo, scope_id) for IPv6."""


def listener(config: uvicorn.Config) -> socket.socket:
    """The socket for uvicorn's ``Multiprocess(config, sockets=[...])`` on config's host and port.

    Fails with a ``click.ClickException`` when the address cannot be bound.
    """
    # Only Linux spreads connections over SO_REUSEPORT sockets (macOS and the BSDs give them to
    # one of the sockets), so elsewhere every process shares one.
    if not (sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")):
        return _shared(config)
    # The family rule of uvicorn's own bind_socket, so that a host means what it means there.
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    reserved = _PerProcess(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        _share_port(reserved)
    except OSError:
        # A kernel (or sandbox) that refuses the option: it still serves, only unevenly.
        reserved.close()
        return _shared(config)
    try:
        reserved.bind((config.host, config.port))
    except OSError as error:
        reserved.close()
        raise click.ClickException(
            f"cannot listen on {config.host}:{config.port}: {error.strerror}"
        ) from error
    return reserved


class _PerProcess(socket.socket):
    """Stands for "a listening socket of my own on this address" in every web process.

    The parent's copy is bound and never listens: it holds the port, so that a port in use fails
    here, before any web process starts, and it takes no connections, because the kernel spreads
    them only over the SO_REUSEPORT sockets that listen. uvicorn pickles the sockets it is given
    into each process it spawns (also the ones it restarts or adds later); this one unpickles as
    a fresh socket bound to the same address, on which that process's server then listens.
    """

    __slots__ = ()

    @override
    def __reduce__(self) -> tuple[Callable[[int, _Address], socket.socket], tuple[int, _Address]]:
        # The bound address, not the configured one: with port 0 every process needs the port
        # the parent was given.
        return _bound, (self.family, self.getsockname())


def _bound(family: int, address: _Address) -> socket.socket:
    """A web process's own socket; runs in that process while it unpickles its arguments."""
    # IPPROTO_TCP explicitly: see _shared.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    _share_port(sock)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        log.error("cannot listen on %s: %s", address, error)
        # uvicorn's exit code for a process that cannot start: its supervisor then stops rather
        # than spawn the same failure every half second.
        sys.exit(STARTUP_FAILURE)
    return sock


def _share_port(sock: socket.socket) -> None:
    # SO_REUSEADDR as uvicorn sets it (a restart binds despite connections in TIME_WAIT).
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)


def _shared(config: uvicorn.Config) -> socket.socket:
    """uvicorn's listening socket, re-wrapped as an explicit TCP socket.

    uvicorn (before its fix of issue 3149) binds it with protocol 0, and asyncio only sets
    TCP_NODELAY on sockets whose protocol is TCP, so every keep-alive response of a multi-process
    server would wait ~40 ms for Nagle's algorithm. Same file descriptor, right protocol.
    """
    bound = config.bind_socket()
    return socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())
