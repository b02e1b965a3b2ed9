"""The twilio SDK's HTTP client, pointed at any Twilio-compatible base URL.

`TWILIO_API_BASE_URL` replaces the `https://api.twilio.com` prefix of every REST call, so the
same code talks to Twilio, to a Twilio-compatible service, or to the local server the tests run.

One client may be shared by several dispatcher threads: each thread sends through a `Session`
of its own (so a thread keeps its warm connection; `warm_up` opens it before the first real
request), cookies are refused (so a session holds no per-response state), and the SDK's "last
request/response" attributes, which `TwilioHttpClient.request` writes on every call, are kept
per thread. Retries are the dispatcher's business, never the transport's: a
POST that is retried blindly may send a message twice.
"""

from __future__ import annotations

import http.cookiejar
import os
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from requests import Session
from requests.adapters import HTTPAdapter
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

TWILIO_API_BASE_URL = "https://api.twilio.com"
DEFAULT_TIMEOUT = 15.0
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class BaseUrlHttpClient(TwilioHttpClient):
    """A `TwilioHttpClient` that sends `https://api.twilio.com/…` requests to `base_url`."""

    def __init__(
        self,
        base_url: str = TWILIO_API_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        pool_maxsize: int | None = None,
    ) -> None:
        self._local = threading.local()
        self._sessions: list[Session] = []
        self._sessions_lock = threading.Lock()
        self.pool_maxsize = pool_maxsize or max(32, (os.cpu_count() or 1) + 4)
        self.base_url = (base_url or TWILIO_API_BASE_URL).rstrip("/")
        self._ready = False  # the SDK's constructor would mount its own adapter on a session
        super().__init__(pool_connections=True, timeout=timeout)
        self._ready = True

    @property
    def session(self) -> Session | None:
        """The calling thread's session, made on its first request (a thread keeps its
        connection warm; requests' sessions are not documented as safe to share)."""
        session = getattr(self._local, "session", None)
        if session is None and self._ready:
            session = self._new_session()
            self._local.session = session
        return session

    @session.setter
    def session(self, _value: Session | None) -> None:
        # `TwilioHttpClient.__init__` assigns a shared session; each thread makes its own.
        return

    def _new_session(self) -> Session:
        session = Session()
        # One adapter for both schemes: a local test server speaks plain http.
        adapter = _StampingAdapter(
            self._local, pool_connections=4, pool_maxsize=self.pool_maxsize, max_retries=0
        )
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        if urlsplit(self.base_url).hostname in _LOOPBACK:
            # A local server is never behind the machine's HTTP(S)_PROXY.
            session.trust_env = False
        with self._sessions_lock:
            self._sessions.append(session)
        return session

    def rewrite_url(self, url: str) -> str:
        """The request URL with the Twilio API prefix replaced by `base_url`."""
        prefix = TWILIO_API_BASE_URL
        if url == prefix or url.startswith((prefix + "/", prefix + "?")):
            return self.base_url + url[len(prefix) :]
        return url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        """Send one request to the rewritten URL (see `TwilioHttpClient.request`)."""
        return super().request(method, self.rewrite_url(url), *args, **kwargs)

    @property
    def last_sent_at(self) -> float | None:
        """When (`time.time()`) the calling thread's last request was handed to its connection."""
        return getattr(self._local, "sent_at", None)

    @property
    def last_response(self) -> Response | None:
        """The calling thread's last response: status, text and headers (e.g. Retry-After)."""
        return getattr(self._local, "response", None)

    # TwilioHttpClient.request assigns these on self; keep them per thread.
    @property
    def _test_only_last_response(self) -> Response | None:
        return getattr(self._local, "response", None)

    @_test_only_last_response.setter
    def _test_only_last_response(self, value: Response | None) -> None:
        self._local.response = value

    @property
    def _test_only_last_request(self) -> Any:
        return getattr(self._local, "request", None)

    @_test_only_last_request.setter
    def _test_only_last_request(self, value: Any) -> None:
        self._local.request = value

    def close(self) -> None:
        """Close every thread's pooled connections."""
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def __enter__(self) -> BaseUrlHttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _StampingAdapter(HTTPAdapter):
    """Notes, per thread, when each request is handed to its connection: the closest this
    side can say to when the provider received it (a paced call counts from then)."""

    def __init__(self, stamps: threading.local, **kwargs: Any) -> None:
        self._stamps = stamps
        super().__init__(**kwargs)

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        """Send as requests does, noting the moment first."""
        self._stamps.sent_at = time.time()
        return super().send(request, *args, **kwargs)


def build_twilio_client(
    account_sid: str,
    auth_token: str,
    base_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    pool_maxsize: int | None = None,
) -> Client:
    """A `twilio.rest.Client` whose REST calls go to `base_url`; close its `http_client` after."""
    http_client = BaseUrlHttpClient(
        base_url or TWILIO_API_BASE_URL, timeout=timeout, pool_maxsize=pool_maxsize
    )
    client = Client(account_sid, auth_token, http_client=http_client)
    # A stray TWILIO_EDGE / TWILIO_REGION would rename the host and slip past the rewrite.
    client.edge = None
    client.region = None
    return client
