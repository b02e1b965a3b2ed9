"""The local Twilio-compatible server (`twilio_server.FakeTwilio`) in a process of its own.

In a child process (spawned, not forked) the server does not share the GIL of the code it
measures: its clock sees a request when it arrives, not when the sender's threads let it run,
as Twilio's would. Benchmarks and the pacing tests use it; it sends its record back through a
pipe at the end and is always stopped (terminated, then killed, if it does not stop when asked).
"""

from __future__ import annotations

import contextlib
import multiprocessing

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token"
SERVER_START_SECONDS = 60  # the child must say where it listens within this
SERVER_STOP_SECONDS = 30  # … and hand its record back within this once asked to stop


def serve_fake_twilio(
    conn, account_sid: str, auth_token: str, latency: float, kind: str = "Messages"
) -> None:
    """Child process: run `FakeTwilio` until told to stop (or the parent is gone), send the record.

    Sends `base_url` first; on "stop" (or EOF) stops the server and sends a dict with every
    create's arrival time (`time.monotonic()`), To, From and HTTP status, the most requests in
    flight, and the server's own errors.
    """
    try:
        from twilio_server import FakeTwilio  # the tests' path
    except ModuleNotFoundError:
        from tests.twilio_server import FakeTwilio  # a benchmark's path

    server = FakeTwilio(account_sid, auth_token, latency=latency)
    server.start()
    try:
        conn.send(server.base_url)
        with contextlib.suppress(EOFError, OSError):
            conn.recv()
    finally:
        server.stop()
    creates = [r for r in server.requests if r.is_create and r.path.endswith(f"/{kind}.json")]
    record = {
        "starts": [r.started for r in creates],
        "to": [r.form.get("To") for r in creates],
        "from": [r.form.get("From") for r in creates],
        "status": [r.status for r in creates],
        "max_in_flight": server.max_in_flight,
        "errors": list(server.errors),
    }
    with contextlib.suppress(OSError):
        conn.send(record)
    conn.close()


class ServerProcess:
    """The handle `twilio_server_process` yields: where the server listens, and its record."""

    def __init__(self, conn, process) -> None:
        self._conn = conn
        self._process = process
        self.base_url: str = ""
        self.record: dict | None = None

    def finish(self) -> dict:
        """Stop the server and return its record (once)."""
        if self.record is None:
            self._conn.send("stop")
            if not self._conn.poll(SERVER_STOP_SECONDS):
                raise RuntimeError("the Twilio server process did not hand back its record")
            self.record = self._conn.recv()
        return self.record


@contextlib.contextmanager
def twilio_server_process(
    latency: float,
    kind: str = "Messages",
    account_sid: str = ACCOUNT_SID,
    auth_token: str = AUTH_TOKEN,
):
    """`FakeTwilio` on 127.0.0.1 in a spawned child process; stopped on the way out, always.
    Its record holds the creates of `kind` (Messages or Calls)."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(
        target=serve_fake_twilio,
        args=(child, account_sid, auth_token, latency, kind),
        name="fake-twilio",
        daemon=True,
    )
    process.start()
    child.close()
    handle = ServerProcess(parent, process)
    try:
        if not parent.poll(SERVER_START_SECONDS):
            raise RuntimeError("the Twilio server process did not start")
        handle.base_url = parent.recv()
        yield handle
    finally:
        # Asking for the record also drains the pipe, so the child never blocks on sending it.
        with contextlib.suppress(Exception):
            handle.finish()
        process.join(SERVER_STOP_SECONDS)
        if process.is_alive():
            process.terminate()
            process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)
        parent.close()
