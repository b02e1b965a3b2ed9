"""The one small interface every provider speaks, and its errors.

Nothing outside `outreach.messaging` imports a provider's SDK: the dispatcher sees only this.
The implementations are chosen by name from the registry on the app (`messaging.registry`).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class OutboundSms:
    to: str
    body: str
    sender: str | None
    messaging_service_sid: str | None
    status_callback: str | None


CALL_EVENTS = ("initiated", "ringing", "answered", "completed")


@dataclass(frozen=True)
class OutboundCall:
    """One call to start: its TwiML comes from `url`; `amd_callback` asks for asynchronous
    machine detection (the person hears the menu at once, the app is told who answered)."""

    to: str
    sender: str | None
    url: str
    status_callback: str | None
    timeout: int = 30  # seconds to let it ring
    amd_callback: str | None = None


@dataclass(frozen=True)
class Receipt:
    """What the provider said when it accepted a message or call."""

    sid: str
    status: str


class ProviderError(Exception):
    """A send the provider refused or that did not complete.

    `transient` errors (429, 5xx, timeouts) are retried with backoff; others are final and keep
    the provider's `code` (21610: the recipient unsubscribed). `maybe_sent` marks a request that
    may have reached the provider (a read timeout, a 5xx answer): before it is retried, the
    provider is asked whether the message went out, so it is never sent twice.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        transient: bool = False,
        retry_after: float | None = None,
        maybe_sent: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.transient = transient
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent


class Provider(Protocol):
    """Sends SMS and starts calls; one instance is shared by the dispatcher's threads."""

    name: str

    def send_sms(self, sms: OutboundSms) -> Receipt:
        """Hand one SMS to the provider; raise ProviderError when it is not accepted."""

    def start_call(self, call: OutboundCall) -> Receipt:
        """Start one outbound call; raise ProviderError when it is not accepted."""

    def update_call(self, sid: str, *, twiml: str | None = None, status: str | None = None):
        """Change a live call: play `twiml` now, or end it (`status="completed"`)."""

    def find_sms(self, to: str, body: str, since: datetime) -> list[Receipt]:
        """The messages to `to` with `body` the provider accepted since `since`, newest first."""


def webhook_auth_token(config: dict) -> str:
    """The key webhooks are signed with: Twilio's auth token, or the simulator's own secret."""
    token = config.get("TWILIO_AUTH_TOKEN")
    if token:
        return token
    secret = str(config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"outreach-simulator", hashlib.sha256).hexdigest()
