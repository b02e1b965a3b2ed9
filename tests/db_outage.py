"""Taking the database away from a worker process for a while, on PostgreSQL or SQLite.

PostgreSQL: the worker connects through `TcpProxy`, which the test cuts (every proxied
connection closed, new ones refused) and restores on the same port. SQLite: another connection
holds the write lock (`BEGIN IMMEDIATE`) for longer than the worker's busy timeout.
"""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import threading

from sqlalchemy.engine import make_url


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target address until cut; restored on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._serve(self._listener)

    def cut(self) -> None:
        """Close every proxied connection and refuse new ones."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            listener.close()
        for sock in sockets:
            _close(sock)

    def restore(self) -> None:
        """Accept connections again, on the same port."""
        listener = socket.create_server(("127.0.0.1", self.port))
        with self._lock:
            self._listener = listener
        self._serve(listener)

    def _serve(self, listener: socket.socket) -> None:
        listener.settimeout(0.1)  # so a cut listener's thread sees it and ends
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                _close(client)
                continue
            client.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    _close(client)
                    _close(upstream)
                    continue
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in recv on it
    sock.close()


class PostgresOutage:
    """The worker's URL goes through a proxy; `begin` cuts it, `end` restores it."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
        self.url = parsed.set(host="127.0.0.1", port=self.proxy.port).render_as_string(
            hide_password=False
        )

    def begin(self) -> None:
        self.proxy.cut()

    def end(self) -> None:
        self.proxy.restore()

    def close(self) -> None:
        self.proxy.cut()


class SqliteOutage:
    """`begin` takes the write lock in a connection of its own; `end` lets go of it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = make_url(url).database
        self._connection: sqlite3.Connection | None = None

    def begin(self) -> None:
        self._connection = sqlite3.connect(self.path, isolation_level=None, timeout=60)
        self._connection.execute("BEGIN IMMEDIATE")

    def end(self) -> None:
        if self._connection is not None:
            self._connection.execute("ROLLBACK")
            self._connection.close()
            self._connection = None

    def close(self) -> None:
        self.end()
