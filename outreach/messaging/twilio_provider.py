"""The Twilio provider: the official SDK, pointed at `TWILIO_API_BASE_URL`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import requests
import urllib3
from twilio.base.exceptions import TwilioRestException

from outreach.messaging.provider import (
    CALL_EVENTS,
    OutboundCall,
    OutboundSms,
    ProviderError,
    Receipt,
)
from outreach.messaging.twilio_http import build_twilio_client

TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Twilio (or a proxy in front of it) can answer these after the message was accepted: like a
# timeout, the answer does not say whether it went out.
MAYBE_SENT_STATUSES = frozenset({500, 502, 503, 504})


class TwilioProvider:
    """Sends through Twilio's REST API (or any Twilio-compatible one)."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        base_url: str,
        timeout: float = 15.0,
        pool_maxsize: int | None = None,
    ):
        self.client = build_twilio_client(
            account_sid, auth_token, base_url, timeout=timeout, pool_maxsize=pool_maxsize
        )

    @classmethod
    def from_config(
        cls, config: Mapping, *, deliver=None, pool_maxsize: int | None = None
    ) -> TwilioProvider:
        """A provider from the TWILIO_* settings; missing credentials are a clear error.

        Twilio reaches the app's webhooks over the network, so it has no use for `deliver`.
        """
        sid, token = config.get("TWILIO_ACCOUNT_SID"), config.get("TWILIO_AUTH_TOKEN")
        if not sid or not token:
            raise RuntimeError(
                "OUTREACH_PROVIDER=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
            )
        base_url = config.get("TWILIO_API_BASE_URL") or "https://api.twilio.com"
        return cls(sid, token, base_url, pool_maxsize=pool_maxsize)

    def send_sms(self, sms: OutboundSms) -> Receipt:
        """Create one message with a status callback."""
        kwargs = {"to": sms.to, "body": sms.body, "status_callback": sms.status_callback}
        if sms.messaging_service_sid:
            kwargs["messaging_service_sid"] = sms.messaging_service_sid
        else:
            kwargs["from_"] = sms.sender
        with _translated_errors(self.client):
            message = self.client.messages.create(**kwargs)
        return Receipt(sid=message.sid, status=message.status)

    def start_call(self, call: OutboundCall) -> Receipt:
        """Start one call whose TwiML comes from `call.url`, with status callbacks, a ring
        timeout and, when asked, asynchronous machine detection that waits for the beep."""
        kwargs = {}
        if call.amd_callback:
            kwargs = {
                "machine_detection": "DetectMessageEnd",
                "async_amd": "true",
                "async_amd_status_callback": call.amd_callback,
                "async_amd_status_callback_method": "POST",
            }
        with _translated_errors(self.client):
            created = self.client.calls.create(
                to=call.to,
                from_=call.sender,
                url=call.url,
                status_callback=call.status_callback,
                status_callback_event=list(CALL_EVENTS),
                status_callback_method="POST",
                timeout=call.timeout,
                **kwargs,
            )
        return Receipt(sid=created.sid, status=created.status)

    def update_call(self, sid: str, *, twiml: str | None = None, status: str | None = None):
        """Play new TwiML on a live call, or end it."""
        kwargs = {"twiml": twiml} if twiml is not None else {}
        if status is not None:
            kwargs["status"] = status
        with _translated_errors(self.client):
            self.client.calls(sid).update(**kwargs)

    def find_sms(self, to: str, body: str, since: datetime) -> list[Receipt]:
        """Messages to `to` with this body created since `since` (after an ambiguous timeout)."""
        with _translated_errors(self.client):
            recent = self.client.messages.list(to=to, limit=50)
        since = since.replace(microsecond=0)
        return [
            Receipt(sid=m.sid, status=m.status)
            for m in recent
            if m.body == body and (m.date_created is None or m.date_created >= since)
        ]


class _translated_errors:
    """Turn the SDK's and the transport's exceptions into ProviderError."""

    def __init__(self, client) -> None:
        self.client = client

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, _tb) -> bool:
        if exc is None:
            return False
        if isinstance(exc, TwilioRestException):
            raise _rest_error(exc, self.client) from exc
        if isinstance(exc, requests.exceptions.RequestException):
            raise _transport_error(exc) from exc
        return False


def _transport_error(exc: requests.exceptions.RequestException) -> ProviderError:
    """Retry what never left; a request that may have reached the provider is `maybe_sent`."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    never_left = isinstance(exc, requests.exceptions.ConnectTimeout) or isinstance(
        reason, urllib3.exceptions.NewConnectionError
    )
    if never_left:
        return ProviderError(f"could not reach the provider: {exc}", transient=True)
    return ProviderError(f"no answer from the provider: {exc}", transient=True, maybe_sent=True)


def _rest_error(exc: TwilioRestException, client) -> ProviderError:
    """Twilio's error answer; a 5xx is `maybe_sent`, so the provider is asked before a retry."""
    return ProviderError(
        str(exc.msg),
        code=str(exc.code) if exc.code else None,
        status=exc.status,
        transient=exc.status in TRANSIENT_STATUSES,
        retry_after=_retry_after(client) if exc.status == 429 else None,
        maybe_sent=exc.status in MAYBE_SENT_STATUSES,
    )


def _retry_after(client) -> float | None:
    response = getattr(client.http_client, "last_response", None)
    value = (response.headers or {}).get("Retry-After") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
