"""A local Twilio-compatible REST server for tests and benchmarks.

`FakeTwilio` serves the REST endpoints the app uses (`Messages.json`, `Calls.json` under
`/2010-04-01/Accounts/{sid}/`) from a real threaded HTTP server on 127.0.0.1, so the real twilio
SDK can be driven against it. Tests can add latency, queue faults (429, 5xx, Twilio error codes,
hangs — before or after the message is created), fail given recipients, read every request it
received, and make it send signed status callbacks and inbound SMS to the app — in order, out of
order, or twice.

    with FakeTwilio() as server:
        client = build_twilio_client(ACCOUNT_SID, AUTH_TOKEN, server.base_url)
        server.latency = 0.2
        server.fail_next(429, retry_after=1)
        server.fail_next(503, after_create=True)  # accepted, yet answered 503
        server.fail_recipient("+923001234567", 21610)
        server.deliver = deliver_to(flask_test_client)
        ...
        server.flush_callbacks(order="reverse", duplicate=True)
"""

from __future__ import annotations

import base64
import bisect
import json
import math
import queue
import random
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from twilio.request_validator import RequestValidator
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token"
API_VERSION = "2010-04-01"
MESSAGING_SERVICE_NUMBER = "+15005550006"

ERRORS = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
    21205: (400, "Url parameter is required."),
    21220: (400, "Call is not in-progress. Cannot redirect."),
    21211: (400, "The 'To' number {to} is not a valid phone number."),
    21408: (400, "Permission to send an SMS has not been enabled for the region of {to}."),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
}
STATUS_CODES = {429: 20429, 500: 20500, 503: 20503}

_ROUTE = re.compile(
    rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/(?P<kind>Messages|Calls)"
    r"(?:/(?P<sid>[A-Z]{2}[0-9a-f]{32}))?\.json$"
)
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_GSM = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = set("^{}\\[~]|€\f")

Deliver = Callable[[str, dict[str, str], dict[str, str]], Any]


@dataclass(frozen=True)
class Fault:
    """One queued answer to the next create request (of `kind`, or of any kind if None)."""

    status: int = 503
    code: int | None = None
    message: str | None = None
    retry_after: float | None = None
    hang: bool = False
    after_create: bool = False
    kind: str | None = "Messages"


@dataclass
class RecordedRequest:
    """A request as the server saw it; `resource` is the message or call it created/fetched."""

    started: float
    method: str
    path: str
    form: dict[str, str]
    form_lists: dict[str, list[str]]
    received_at: datetime
    finished: float | None = None
    status: int | None = None
    resource: dict[str, Any] | None = None

    @property
    def is_create(self) -> bool:
        return self.method == "POST" and self.path.endswith(("/Messages.json", "/Calls.json"))


@dataclass(frozen=True)
class Callback:
    """A signed webhook the server sends: message-status, call-status or inbound-sms."""

    kind: str
    sid: str
    url: str
    params: dict[str, str]
    headers: dict[str, str]
    seq: int = 0


@dataclass(frozen=True)
class Delivery:
    """A callback as delivered, with the app's answer."""

    callback: Callback
    status_code: int | None
    response: Any = field(repr=False, default=None)


def count_segments(body: str) -> int:
    """SMS segments for `body`: GSM-7 160/153 (extension characters count twice), else UCS-2."""
    if all(c in _GSM or c in _GSM_EXTENSION for c in body):
        units = sum(2 if c in _GSM_EXTENSION else 1 for c in body)
        single, multi = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    return 1 if units <= single else math.ceil(units / multi)


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most of the sorted `times` in any half-open interval [t, t + window)."""
    return max((bisect.bisect_left(times, t + window) - i for i, t in enumerate(times)), default=0)


def http_deliver(url: str, params: dict[str, str], headers: dict[str, str]) -> Any:
    """Deliver a callback over real HTTP (the default), bypassing any proxy settings."""
    with requests.Session() as session:
        session.trust_env = False
        return session.post(url, data=params, headers=headers, timeout=10, allow_redirects=False)


def deliver_to(test_client: Any) -> Deliver:
    """Deliver callbacks to a Flask/werkzeug test client: path and query of the URL, same form."""

    def deliver(url: str, params: dict[str, str], headers: dict[str, str]) -> Any:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        sent = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        return test_client.post(path, data=params, headers=sent, base_url=_origin(parts))

    return deliver


def _origin(parts: Any) -> str:
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "http://localhost"


def _rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=False)


def _public(resource: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if not k.startswith("_")}


def _sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


class _QuietHandler(WSGIRequestHandler):
    timeout = 10  # an idle or half-sent connection cannot hold up stop()

    def log(self, type: str, message: str, *args: Any) -> None:
        pass


class FakeTwilio:
    """A Twilio-compatible REST server in a background thread; use as a context manager."""

    def __init__(
        self,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        *,
        latency: float = 0.0,
        hang_seconds: float = 30.0,
        deliver: Deliver | None = None,
        auto_callbacks: bool = False,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.latency = latency
        self.hang_seconds = hang_seconds
        self.deliver: Deliver = deliver or http_deliver
        self.auto_callbacks = auto_callbacks
        # The time call status callbacks carry in `Timestamp` (a test may set it to its own).
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.validator = RequestValidator(auth_token)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._faults: list[Fault] = []
        self._recipient_faults: dict[str, Fault] = {}
        self._outcomes: dict[str, tuple[tuple[str, ...], int | None]] = {}
        self._call_outcomes: dict[str, tuple[str, int, str]] = {}
        self._outbox: queue.Queue[Callback | None] = queue.Queue()
        self._server: Any = None
        self._threads: list[threading.Thread] = []
        self.reset()

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeTwilio:
        """Listen on an ephemeral port of 127.0.0.1."""
        self._stopping.clear()
        server = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        server.daemon_threads = False  # server_close() joins the request threads
        server.block_on_close = True
        self._server = server
        self._threads = [
            threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True),
            threading.Thread(target=self._deliver_loop, daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Release hung requests, stop serving, join every thread."""
        if self._server is None:
            return
        self._stopping.set()
        self._outbox.put(None)
        self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=15)
        self._server = None

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` — the value for TWILIO_API_BASE_URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        """Forget recorded requests, resources, callbacks, deliveries and counters."""
        with self._lock:
            self._requests: list[RecordedRequest] = []
            self._messages: dict[str, dict[str, Any]] = {}
            self._calls: dict[str, dict[str, Any]] = {}
            self._pending: list[Callback] = []
            self._deliveries: list[Delivery] = []
            self._inbound: list[dict[str, str]] = []
            self.errors: list[str] = []
            self._in_flight = 0
            self._max_in_flight = 0
            self._seq = 0

    # ---- fault injection -------------------------------------------------------------------

    def fail_next(
        self,
        status: int = 503,
        code: int | None = None,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        times: int = 1,
        kind: str | None = "Messages",
        after_create: bool = False,
    ) -> None:
        """Answer the next `times` create requests with this error (code from status if None).

        With `after_create` the message is created first — a send that went out although the
        client was told it failed (Twilio can answer 5xx after accepting).
        """
        code = code or STATUS_CODES.get(status)
        fault = Fault(status, code, message, retry_after, after_create=after_create, kind=kind)
        with self._lock:
            self._faults.extend([fault] * times)

    def hang_next(
        self, times: int = 1, *, after_create: bool = False, kind: str | None = "Messages"
    ) -> None:
        """Never answer the next `times` create requests (until stop or `hang_seconds`).

        With `after_create` the message is created first — a send that went out although the
        client never heard back.
        """
        fault = Fault(503, 20503, hang=True, after_create=after_create, kind=kind)
        with self._lock:
            self._faults.extend([fault] * times)

    def fail_recipient(self, to: str, code: int = 21610, status: int | None = None) -> None:
        """Answer every create to `to` with Twilio error `code` (21610, 21211, 21408, …)."""
        status = status or ERRORS.get(code, (400, ""))[0]
        with self._lock:
            self._recipient_faults[to] = Fault(status, code, kind=None)

    def set_outcome(self, to: str, *statuses: str, error_code: int | None = None) -> None:
        """The status callbacks a message to `to` produces (default: sent, delivered)."""
        with self._lock:
            self._outcomes[to] = (statuses, error_code)

    def set_call_outcome(
        self, to: str, status: str = "completed", duration: int = 30, answered_by: str = "human"
    ) -> None:
        """How a call to `to` ends: completed, busy, no-answer, failed, canceled; and, for an
        answered call placed with machine detection, who answered (`human`, `machine_end_beep`,
        …, as Twilio's AnsweredBy)."""
        with self._lock:
            self._call_outcomes[to] = (status, duration, answered_by)

    def clear_faults(self) -> None:
        """Drop queued faults, failing recipients and outcomes."""
        with self._lock:
            self._faults.clear()
            self._recipient_faults.clear()
            self._outcomes.clear()
            self._call_outcomes.clear()

    # ---- the record ------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every message resource created, in order (copies, current status)."""
        with self._lock:
            return [dict(m) for m in self._messages.values()]

    @property
    def calls(self) -> list[dict[str, Any]]:
        """Every call resource created, in order."""
        with self._lock:
            return [dict(c) for c in self._calls.values()]

    @property
    def deliveries(self) -> list[Delivery]:
        """Every callback delivered, in delivery order."""
        with self._lock:
            return list(self._deliveries)

    @property
    def pending_callbacks(self) -> list[Callback]:
        """Status callbacks planned but not yet delivered."""
        with self._lock:
            return list(self._pending)

    @property
    def max_in_flight(self) -> int:
        """The most requests the server was handling at once."""
        with self._lock:
            return self._max_in_flight

    def create_starts(self, kind: str | None = "Messages") -> list[float]:
        """`time.monotonic()` at which each create request (of `kind`) arrived, sorted."""
        suffix = f"/{kind}.json" if kind else ".json"
        return sorted(r.started for r in self.requests if r.is_create and r.path.endswith(suffix))

    def max_starts_in_window(self, window: float = 1.0, kind: str | None = "Messages") -> int:
        """The most create requests that arrived within any `window` seconds (sliding)."""
        return max_in_window(self.create_starts(kind), window)

    def starts_per_second(self, kind: str | None = "Messages") -> list[int]:
        """Create requests per whole second since the first one."""
        starts = self.create_starts(kind)
        counts = [0] * (int(starts[-1] - starts[0]) + 1 if starts else 0)
        for t in starts:
            counts[int(t - starts[0])] += 1
        return counts

    def wait_for(self, predicate: Callable[[FakeTwilio], bool], timeout: float = 5.0) -> None:
        """Wait until `predicate(self)` holds; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"FakeTwilio: condition not met within {timeout}s")
            time.sleep(0.01)

    # ---- callbacks and inbound -------------------------------------------------------------

    def flush_callbacks(
        self,
        order: str = "sent",
        duplicate: bool = False,
        sid: str | None = None,
        seed: int = 0,
    ) -> list[Delivery]:
        """Deliver pending status callbacks now, in this thread.

        order: "sent" (as Twilio would), "reverse" or "shuffle" (with `seed`); `duplicate`
        delivers each one twice (the second right after the whole batch).
        """
        with self._lock:
            batch = [c for c in self._pending if sid is None or c.sid == sid]
            self._pending = [c for c in self._pending if not (sid is None or c.sid == sid)]
        if order == "reverse":
            batch.reverse()
        elif order == "shuffle":
            random.Random(seed).shuffle(batch)
        elif order != "sent":
            raise ValueError(f"unknown order {order!r}")
        if duplicate:
            batch = batch + batch
        if order == "sent" and not duplicate:
            # In order, each resource moves on as its callback goes out, as on Twilio: the app
            # may change a live call (an answering machine) between two of its callbacks.
            return [self._advance([c]) or self._deliver(c) for c in batch]
        self._advance(batch)
        return [self._deliver(c) for c in batch]

    def flush_until(self, sid: str, status: str) -> list[Delivery]:
        """Deliver call `sid`'s pending callbacks in order up to the first with `status`; the
        rest stay pending. Twilio answers a call (`in-progress`), then fetches its `Url` and
        follows the TwiML while the caller listens, and reports `completed` at the hang-up."""
        with self._lock:
            mine = [c for c in self._pending if c.sid == sid]
            statuses = [c.params.get("CallStatus") for c in mine]
            if status not in statuses:
                raise KeyError(f"no pending {status!r} callback of {sid}")
            batch = mine[: statuses.index(status) + 1]
            taken = {id(c) for c in batch}
            self._pending = [c for c in self._pending if id(c) not in taken]
        return [self._advance([c]) or self._deliver(c) for c in batch]

    def send_status(
        self, sid: str, status: str, error_code: int | None = None, url: str | None = None
    ) -> Delivery:
        """Send one status callback for message or call `sid` now (to `url` or its callback)."""
        with self._lock:
            resource = self._messages.get(sid) or self._calls.get(sid)
            if resource is None:
                raise KeyError(sid)
            resource = dict(resource)
        url = url or resource["_status_callback"]
        if sid.startswith("CA"):
            callback = self._call_callback(resource, url, status, 0)
        else:
            callback = self._message_callback(resource, url, status, error_code)
        self._advance([callback])
        return self._deliver(callback)

    def send_inbound_sms(self, url: str, from_: str, to: str, body: str, **extra: str) -> Delivery:
        """Send an inbound SMS to the app's webhook at `url`, signed as Twilio would."""
        sid = _sid("SM")
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "Body": body,
            "From": from_,
            "MessageSid": sid,
            "NumMedia": "0",
            "NumSegments": str(count_segments(body)),
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "SmsStatus": "received",
            "To": to,
            **extra,
        }
        with self._lock:
            self._inbound.append(params)
        return self._deliver(self._signed("inbound-sms", sid, url, params))

    @property
    def inbound(self) -> list[dict[str, str]]:
        """Every inbound SMS sent to the app."""
        with self._lock:
            return list(self._inbound)

    def sign(self, url: str, params: dict[str, str]) -> str:
        """The X-Twilio-Signature Twilio would send for `params` posted to `url`."""
        return self.validator.compute_signature(url, params)

    # ---- internals: callbacks --------------------------------------------------------------

    def _signed(self, kind: str, sid: str, url: str, params: dict[str, str]) -> Callback:
        headers = {
            "X-Twilio-Signature": self.sign(url, params),
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
            "User-Agent": "TwilioProxy/1.1",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        with self._lock:
            self._seq += 1
            seq = self._seq
        return Callback(kind, sid, url, params, headers, seq)

    def _message_callback(
        self, message: dict[str, Any], url: str, status: str, error_code: int | None
    ) -> Callback:
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "From": message["from"] or MESSAGING_SERVICE_NUMBER,
            "MessageSid": message["sid"],
            "MessageStatus": status,
            "SmsSid": message["sid"],
            "SmsStatus": status,
            "To": message["to"],
        }
        if message["messaging_service_sid"]:
            params["MessagingServiceSid"] = message["messaging_service_sid"]
        if error_code is not None and status in ("failed", "undelivered"):
            params["ErrorCode"] = str(error_code)
        return self._signed("message-status", message["sid"], url, params)

    def _call_callback(self, call: dict[str, Any], url: str, status: str, seq: int) -> Callback:
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": call["sid"],
            "CallStatus": status,
            "Called": call["to"],
            "Caller": call["from"],
            "CallbackSource": "call-progress-events",
            "Direction": "outbound-api",
            "From": call["from"],
            "SequenceNumber": str(seq),
            "Timestamp": _rfc2822(self.clock()),
            "To": call["to"],
        }
        if status == "completed":
            params["CallDuration"] = params["Duration"] = str(call["_duration"])
            if call.get("_answered_by"):
                params["AnsweredBy"] = call["_answered_by"]
        return self._signed("call-status", call["sid"], url, params)

    def _plan_message(self, message: dict[str, Any]) -> list[Callback]:
        url = message["_status_callback"]
        if not url:
            return []
        with self._lock:
            statuses, error_code = self._outcomes.get(message["to"], (("sent", "delivered"), None))
        return [self._message_callback(message, url, s, error_code) for s in statuses]

    def _plan_call(self, call: dict[str, Any], events: Iterable[str]) -> list[Callback]:
        url = call["_status_callback"]
        if not url:
            return []
        final = call["_final_status"]
        statuses = {"initiated": "initiated", "ringing": "ringing", "completed": final}
        if final == "completed":
            statuses["answered"] = "in-progress"
        wanted = set(events) or {"completed"}
        order = ["initiated", "ringing", "answered", "completed"]
        chosen = [statuses[e] for e in order if e in wanted and e in statuses]
        planned = [self._call_callback(call, url, s, i) for i, s in enumerate(chosen)]
        if final == "completed" and call["_amd_callback"]:
            # Asynchronous AMD reports while the call goes on: before it completes.
            planned.insert(len(planned) - 1, self._amd_callback(call))
        return planned

    def _amd_callback(self, call: dict[str, Any]) -> Callback:
        params = {
            "AccountSid": self.account_sid,
            "AnsweredBy": call["_answered_by"] or "unknown",
            "CallSid": call["sid"],
            "MachineDetectionDuration": "4200",
        }
        return self._signed("call-amd", call["sid"], call["_amd_callback"], params)

    def _update_call(self, sid: str, record: RecordedRequest) -> Response:
        """Change a live call as Twilio does: new `Twiml` or `Url` to play, or `Status` to end
        it; a call that has ended cannot be changed (21220)."""
        form = record.form
        with self._lock:
            call = self._calls.get(sid)
            if call is None:
                return self._error(404, 20404)
            if call["status"] in ("completed", "busy", "no-answer", "failed", "canceled"):
                return self._error(400, 21220)
            call["_updates"].append(dict(form))
            if form.get("Twiml"):
                call["_twiml"] = form["Twiml"]
            if form.get("Url"):
                call["_url"] = form["Url"]
            if form.get("Status") in ("completed", "canceled"):
                call["status"] = form["Status"]
            resource = dict(call)
        record.resource = _public(resource)
        return self._json(200, resource)

    def call_updates(self, sid: str) -> list[dict[str, str]]:
        """The updates the app posted to a live call, in order."""
        with self._lock:
            return list(self._calls[sid]["_updates"])

    def _queue_callbacks(self, callbacks: list[Callback]) -> None:
        if self.auto_callbacks:
            for callback in callbacks:
                self._outbox.put(callback)
        else:
            with self._lock:
                self._pending.extend(callbacks)

    def _advance(self, callbacks: list[Callback]) -> None:
        """Set each resource's status to the latest (in plan order) of its callbacks."""
        latest: dict[str, Callback] = {}
        for c in callbacks:
            if c.kind not in ("inbound-sms", "call-amd") and (
                c.sid not in latest or c.seq > latest[c.sid].seq
            ):
                latest[c.sid] = c
        now = _rfc2822(datetime.now(UTC))
        with self._lock:
            for sid, c in latest.items():
                resource = self._messages.get(sid) or self._calls[sid]
                status = c.params.get("MessageStatus") or c.params["CallStatus"]
                resource.update(status=status, date_updated=now)
                if "ErrorCode" in c.params:
                    resource["error_code"] = int(c.params["ErrorCode"])
                if sid.startswith(("SM", "MM")) and status in ("sent", "delivered"):
                    resource["date_sent"] = resource["date_sent"] or now

    def _deliver(self, callback: Callback, in_background: bool = False) -> Delivery:
        try:
            response = self.deliver(callback.url, dict(callback.params), dict(callback.headers))
        except Exception:
            if not in_background:
                raise  # the test called flush/send: let it see the app's exception
            with self._lock:
                self.errors.append(traceback.format_exc())
            response = None
        delivery = Delivery(callback, getattr(response, "status_code", None), response)
        with self._lock:
            self._deliveries.append(delivery)
        return delivery

    def _deliver_loop(self) -> None:
        while (callback := self._outbox.get()) is not None:
            self._advance([callback])
            self._deliver(callback, in_background=True)

    # ---- internals: the REST API -----------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        record = RecordedRequest(
            started=time.monotonic(),
            method=request.method,
            path=request.path,
            form=request.form.to_dict(),
            form_lists=request.form.to_dict(flat=False),
            received_at=datetime.now(UTC),
        )
        with self._lock:
            self._requests.append(record)
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
        try:
            response = self._handle(request, record)
        except Exception:  # a bug in the fake must show in the test, not hang it
            with self._lock:
                self.errors.append(traceback.format_exc())
            response = self._error(500, 20500)
        finally:
            with self._lock:
                self._in_flight -= 1
        record.status = response.status_code
        record.finished = time.monotonic()
        return response(environ, start_response)

    def _handle(self, request: Request, record: RecordedRequest) -> Response:
        if self.latency:
            self._stopping.wait(self.latency)
        if not self._authorized(request):
            return self._error(401, 20003)
        match = _ROUTE.match(request.path)
        if match is None or match["account"] != self.account_sid:
            return self._error(404, 20404)
        kind, sid = match["kind"], match["sid"]
        if request.method == "GET" and sid is None:
            return self._list(kind, request)
        if sid is not None and request.method == "POST" and kind == "Calls":
            return self._update_call(sid, record)
        if sid is not None or request.method == "GET":
            return self._fetch(kind, sid, record) if request.method == "GET" else self._error(405)
        if request.method != "POST":
            return self._error(405)
        fault = self._take_fault(kind, record.form.get("To", ""))
        if fault is not None and not fault.after_create:
            if fault.hang:
                self._stopping.wait(self.hang_seconds)
            return self._error(fault.status, fault.code, fault.message, fault.retry_after)
        create = self._create_message if kind == "Messages" else self._create_call
        response = create(record)
        if fault is None or response.status_code >= 300:
            return response
        if fault.hang:  # hang after the resource exists
            self._stopping.wait(self.hang_seconds)
            return response
        # The resource exists, yet the client is told the request failed.
        return self._error(fault.status, fault.code, fault.message, fault.retry_after)

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        return user == self.account_sid and password == self.auth_token

    def _take_fault(self, kind: str, to: str) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.kind in (None, kind):
                    return self._faults.pop(i)
            return self._recipient_faults.get(to)

    def _create_message(self, record: RecordedRequest) -> Response:
        form = record.form
        to, body = form.get("To", ""), form.get("Body", "")
        sender, service = form.get("From"), form.get("MessagingServiceSid")
        if not to:
            return self._error(400, 21604)
        if not _E164.match(to):
            return self._error(400, 21211, to=to)
        if not sender and not service:
            return self._error(400, 21603)
        if not body and not form.get("MediaUrl"):
            return self._error(400, 21602)
        sid, now = _sid("SM"), _rfc2822(datetime.now(UTC))
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        message = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": str(count_segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued" if sender else "accepted",
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": to,
            "uri": uri,
            "_status_callback": form.get("StatusCallback"),
        }
        return self._created(self._messages, message, self._plan_message, record)

    def _create_call(self, record: RecordedRequest) -> Response:
        form = record.form
        to, sender = form.get("To", ""), form.get("From", "")
        if not to:
            return self._error(400, 21604)
        if not _E164.match(to) and not to.startswith("client:"):
            return self._error(400, 21211, to=to)
        if not sender:
            return self._error(400, 21603)
        if not (form.get("Url") or form.get("Twiml") or form.get("ApplicationSid")):
            return self._error(400, 21205)
        with self._lock:
            final, duration, answered_by = self._call_outcomes.get(to, ("completed", 30, "human"))
        sid, now = _sid("CA"), _rfc2822(datetime.now(UTC))
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{sid}.json"
        call = {
            "account_sid": self.account_sid,
            "annotation": None,
            "answered_by": None,
            "api_version": API_VERSION,
            "caller_name": None,
            "date_created": now,
            "date_updated": now,
            "direction": "outbound-api",
            "duration": None,
            "end_time": None,
            "forwarded_from": None,
            "from": sender,
            "from_formatted": sender,
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": None,
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": sid,
            "start_time": None,
            "status": "queued",
            "subresource_uris": {"recordings": uri.replace(".json", "/Recordings.json")},
            "to": to,
            "to_formatted": to,
            "trunk_sid": None,
            "uri": uri,
            "_status_callback": form.get("StatusCallback"),
            "_url": form.get("Url"),
            "_twiml": form.get("Twiml"),
            "_final_status": final,
            "_duration": duration,
            "_timeout": form.get("Timeout"),
            "_machine_detection": form.get("MachineDetection"),
            "_amd_callback": form.get("AsyncAmdStatusCallback")
            if form.get("AsyncAmd") == "true"
            else None,
            "_answered_by": answered_by if form.get("MachineDetection") else None,
            "_updates": [],
        }
        events = record.form_lists.get("StatusCallbackEvent", [])
        return self._created(self._calls, call, lambda c: self._plan_call(c, events), record)

    def _created(
        self,
        table: dict[str, dict[str, Any]],
        resource: dict[str, Any],
        plan: Callable[[dict[str, Any]], list[Callback]],
        record: RecordedRequest,
    ) -> Response:
        with self._lock:
            table[resource["sid"]] = resource
        record.resource = _public(resource)
        self._queue_callbacks(plan(dict(resource)))
        return self._json(201, resource)

    def _fetch(self, kind: str, sid: str | None, record: RecordedRequest) -> Response:
        table = self._messages if kind == "Messages" else self._calls
        with self._lock:
            resource = dict(table[sid]) if sid in table else None
        if resource is None:
            return self._error(404, 20404)
        record.resource = _public(resource)
        return self._json(200, resource)

    def _list(self, kind: str, request: Request) -> Response:
        """One page of the resources, newest first, filtered by `To` as Twilio's list is."""
        table = self._messages if kind == "Messages" else self._calls
        to = request.args.get("To")
        size = int(request.args.get("PageSize", "50"))
        with self._lock:
            found = [_public(r) for r in reversed(table.values()) if to in (None, r.get("to"))]
        uri = f"/2010-04-01/Accounts/{self.account_sid}/{kind}.json"
        page = {
            kind.lower(): found[:size],
            "page": 0,
            "page_size": size,
            "start": 0,
            "end": max(0, min(size, len(found)) - 1),
            "uri": uri,
            "first_page_uri": uri,
            "next_page_uri": None,
            "previous_page_uri": None,
        }
        return Response(json.dumps(page), status=200, mimetype="application/json")

    def _json(self, status: int, resource: dict[str, Any]) -> Response:
        body = json.dumps(_public(resource))
        return Response(body, status=status, mimetype="application/json")

    def _error(
        self,
        status: int,
        code: int | None = None,
        message: str | None = None,
        retry_after: float | None = None,
        to: str = "",
    ) -> Response:
        code = code or STATUS_CODES.get(status) or status
        text = message or ERRORS.get(code, (status, "Error"))[1].format(to=to)
        body = {
            "code": code,
            "message": text,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        response = Response(json.dumps(body), status=status, mimetype="application/json")
        if retry_after is not None:
            response.headers["Retry-After"] = f"{retry_after:g}"
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
        return response
