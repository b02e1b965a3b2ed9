"""The built-in phone simulator: a provider that keeps messages on the machine.

It accepts messages like Twilio, then reports their status to the app's own webhook, signed the
same way Twilio signs, so the simulator and Twilio share one code path. What a contact's phone
"received" is read from the outbox rows it accepted. Its webhooks reach the app in-process
(`in_process_delivery`), without a network hop.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator

from outreach.messaging.provider import (
    OutboundCall,
    OutboundSms,
    Receipt,
    webhook_auth_token,
)
from outreach.models import utcnow

if TYPE_CHECKING:
    from flask import Flask

# deliver(url, form fields, headers) posts a signed webhook to the app.
log = logging.getLogger(__name__)

Deliver = Callable[[str, dict, dict], object]
SIMULATED_ACCOUNT = "AC" + "5" * 32

# Put in the WSGI environ by `in_process_delivery` only: the member of staff who typed a reply
# in the phone simulator. No HTTP request can set it (its headers arrive as HTTP_* keys and its
# fields in the body), so a request from outside can never claim to be staff.
SIMULATOR_STAFF_KEY = "outreach.simulator.staff_user_id"


def in_process_delivery(app: Flask, staff_user_id: int | None = None) -> Deliver:
    """Post signed webhooks to this app without a network hop; `staff_user_id` names the
    member of staff who typed a simulated reply (see SIMULATOR_STAFF_KEY)."""
    client = app.test_client()
    environ = {SIMULATOR_STAFF_KEY: staff_user_id} if staff_user_id is not None else {}

    def deliver(url: str, params: dict, headers: dict):
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return client.post(
            path,
            data=params,
            headers=headers,
            base_url=f"{parts.scheme}://{parts.netloc}",
            environ_overrides=environ,
        )

    return deliver


class SimulatorProvider:
    """Accepts every message at once and reports `sent` then `delivered` to its callback URL."""

    name = "simulator"

    def __init__(self, config: Mapping, deliver: Deliver | None = None) -> None:
        self.validator = RequestValidator(webhook_auth_token(config))
        self.account_sid = config.get("TWILIO_ACCOUNT_SID") or SIMULATED_ACCOUNT
        self.deliver = deliver
        self._accepted: dict[str, tuple[str, str, datetime]] = {}
        self._calls: dict[str, OutboundCall] = {}  # calls ringing or answered, by SID
        self._lock = threading.Lock()
        self._callbacks: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_config(
        cls, config: Mapping, *, deliver: Deliver | None = None, pool_maxsize: int | None = None
    ) -> SimulatorProvider:
        """A simulator posting its callbacks through `deliver` (it holds no connection pool)."""
        return cls(config, deliver=deliver)

    def send_sms(self, sms: OutboundSms) -> Receipt:
        """Accept the message and queue its status callbacks."""
        sid = "SM" + uuid.uuid4().hex
        with self._lock:
            self._accepted[sid] = (sms.to, sms.body, utcnow())
        if sms.status_callback and self.deliver is not None:
            for status in ("sent", "delivered"):
                self._callbacks.put((sms.status_callback, self._status_form(sid, sms, status)))
            self._ensure_thread()
        return Receipt(sid=sid, status="queued")

    def start_call(self, call: OutboundCall) -> Receipt:
        """Accept the call and report it ringing; the simulator page answers it and plays its
        menu (the phone rings until then, as a real one would)."""
        sid = "CA" + uuid.uuid4().hex
        with self._lock:
            self._calls[sid] = call
        for status in ("initiated", "ringing"):
            self._queue_call_status(sid, call, status)
        return Receipt(sid=sid, status="queued")

    def update_call(self, sid: str, *, twiml: str | None = None, status: str | None = None):
        """Change a live call: ending it reports it completed, as Twilio does."""
        with self._lock:
            call = self._calls.get(sid)
            if call is not None and status == "completed":
                del self._calls[sid]
        if call is not None and status == "completed":
            self._queue_call_status(sid, call, "completed")

    def _queue_call_status(self, sid: str, call: OutboundCall, status: str) -> None:
        if not call.status_callback or self.deliver is None:
            return
        form = {
            "CallSid": sid,
            "AccountSid": self.account_sid,
            "CallStatus": status,
            "Direction": "outbound-api",
            "To": call.to,
            "From": call.sender or "",
            "ApiVersion": "2010-04-01",
        }
        if status == "completed":
            form["CallDuration"] = "0"
        self._callbacks.put((call.status_callback, form))
        self._ensure_thread()

    def find_sms(self, to: str, body: str, since: datetime) -> list[Receipt]:
        """Messages accepted since `since` with this recipient and body."""
        with self._lock:
            return [
                Receipt(sid=sid, status="sent")
                for sid, (sent_to, sent_body, at) in self._accepted.items()
                if sent_to == to and sent_body == body and at >= since
            ]

    def reply_from_phone(self, url: str, sender: str, to: str, body: str):
        """Post an inbound SMS to the webhook at `url`, signed, as Twilio would; its response."""
        sid = "SM" + uuid.uuid4().hex
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": self.account_sid,
            "From": sender,
            "To": to,
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
            "ApiVersion": "2010-04-01",
        }
        return self.deliver(url, params, self.sign(url, params))

    def sign(self, url: str, params: dict) -> dict:
        """The headers Twilio would send with this webhook."""
        return {"X-Twilio-Signature": self.validator.compute_signature(url, params)}

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued callback has been delivered (tests, shutdown)."""
        done = threading.Event()
        self._callbacks.put(done)
        self._ensure_thread()
        done.wait(timeout)

    def _status_form(self, sid: str, sms: OutboundSms, status: str) -> dict:
        return {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": self.account_sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "To": sms.to,
            "From": sms.sender or sms.messaging_service_sid or "",
            "ApiVersion": "2010-04-01",
        }

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._deliver_loop, name="simulator-callbacks", daemon=True
                )
                self._thread.start()

    def _deliver_loop(self) -> None:
        while True:
            try:
                item = self._callbacks.get(timeout=5.0)
            except queue.Empty:
                with self._lock:
                    if self._callbacks.empty():
                        self._thread = None
                        return
                continue
            if isinstance(item, threading.Event):
                item.set()
                continue
            self._deliver_one(*item)

    def _deliver_one(self, url: str, params: dict) -> None:
        """Post one status callback; a failure is logged and the loop goes on, as a real
        provider's callbacks go on when one of them is refused."""
        try:
            self.deliver(url, params, self.sign(url, params))
        except Exception:
            log.exception("the simulator could not deliver a status callback to %s", url)
