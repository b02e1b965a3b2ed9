"""No test reaches a host outside this machine — the real Twilio API least of all.

A pytest plugin (conftest loads it). For the whole run, looking up or connecting to any host
that is not loopback raises `OutboundConnectionBlocked` before a packet leaves, and the test
during which it was tried fails at teardown even if the code under test caught the error (a
worker loop logs and carries on). Tests talk to Twilio through the local Twilio-compatible
server in twilio_server.py. Processes a test starts are told that server's URL instead.
"""

from __future__ import annotations

import ipaddress
import socket
import threading

import pytest

LOCAL_NAMES = {"", "localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class OutboundConnectionBlocked(RuntimeError):
    """A test tried to reach a host that is not this machine. Not an OSError on purpose, so
    code that retries network errors does not take it for one."""


def is_local(host) -> bool:
    """Whether `host` (a name or an address) is this machine: loopback, or unspecified."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").lower().rstrip(".")
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    return address.is_loopback or address.is_unspecified


class NetworkGuard:
    """Wraps name lookup and socket connects; keeps what was refused for the running test."""

    def __init__(self) -> None:
        self.blocked: list[str] = []
        self._lock = threading.Lock()
        self._patch = pytest.MonkeyPatch()

    def install(self) -> None:
        """Refuse non-local lookups and connects in this process from now on."""
        real_getaddrinfo = socket.getaddrinfo
        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex
        guard = self

        def getaddrinfo(host, port, *args, **kwargs):
            guard.check(host, port)
            return real_getaddrinfo(host, port, *args, **kwargs)

        def connect(sock, address):
            guard.check_address(sock, address)
            return real_connect(sock, address)

        def connect_ex(sock, address):
            guard.check_address(sock, address)
            return real_connect_ex(sock, address)

        self._patch.setattr(socket, "getaddrinfo", getaddrinfo)
        self._patch.setattr(socket.socket, "connect", connect)
        self._patch.setattr(socket.socket, "connect_ex", connect_ex)

    def uninstall(self) -> None:
        """Put the real functions back."""
        self._patch.undo()

    def check_address(self, sock: socket.socket, address) -> None:
        """Refuse an internet socket's connect to a host that is not this machine."""
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            self.check(address[0], address[1])

    def check(self, host, port) -> None:
        """Raise, and remember, when `host` is not this machine."""
        if is_local(host):
            return
        where = f"{host!r} port {port}"
        with self._lock:
            self.blocked.append(where)
        raise OutboundConnectionBlocked(
            f"a test tried to reach {where}: tests use the local Twilio-compatible server"
        )

    def take(self) -> list[str]:
        """What was refused since the last call, forgotten by this one."""
        with self._lock:
            taken, self.blocked = self.blocked, []
        return taken


_GUARD = pytest.StashKey[NetworkGuard]()


def pytest_configure(config) -> None:
    guard = config.stash[_GUARD] = NetworkGuard()
    guard.install()


def pytest_unconfigure(config) -> None:
    config.stash[_GUARD].uninstall()


@pytest.fixture(autouse=True)
def network_guard(request):
    """The guard; a test that tried to reach another host fails here, whatever it caught."""
    guard = request.config.stash[_GUARD]
    guard.take()
    yield guard
    blocked = guard.take()
    if blocked:
        pytest.fail("tried to reach a host outside this machine: " + ", ".join(blocked))
