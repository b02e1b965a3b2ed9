"""The real twilio SDK, through build_twilio_client, against the local Twilio-compatible server."""

from __future__ import annotations

import re
import threading
import time

import flask
import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio_fixtures import twilio_client_fixture, twilio_server_fixture  # noqa: F401
from twilio_server import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FakeTwilio,
    count_segments,
    deliver_to,
    max_in_window,
)
from werkzeug.serving import make_server

from outreach.messaging.twilio_http import BaseUrlHttpClient, build_twilio_client

SENDER = "+15005550006"
STATUS_URL = "http://localhost/webhooks/twilio/sms/status"


def send(client, to="+923001234567", body="Free HIV testing at the MRC this week.", **kw):
    return client.messages.create(to=to, from_=SENDER, body=body, status_callback=STATUS_URL, **kw)


class Inbox:
    """A `deliver` callable that keeps what it was given."""

    def __init__(self):
        self.received = []
        self.lock = threading.Lock()

    def __call__(self, url, params, headers):
        with self.lock:
            self.received.append((url, params, headers))
        return None


# ---- the HTTP client ---------------------------------------------------------------------------


def test_rewrites_only_the_twilio_api_prefix():
    with BaseUrlHttpClient("http://127.0.0.1:9999/") as http:
        assert (
            http.rewrite_url("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json")
            == "http://127.0.0.1:9999/2010-04-01/Accounts/AC1/Messages.json"
        )
        assert http.rewrite_url("https://api.twilio.com.evil.test/x") == (
            "https://api.twilio.com.evil.test/x"
        )
        assert http.rewrite_url("https://messaging.twilio.com/v1/Services") == (
            "https://messaging.twilio.com/v1/Services"
        )
        assert http.session.trust_env is False  # no proxy between us and a local server
    with BaseUrlHttpClient() as http:
        url = "https://api.twilio.com/2010-04-01/Accounts.json"
        assert http.rewrite_url(url) == url
        assert http.session.trust_env is True


def test_edge_and_region_from_the_environment_do_not_escape_the_base_url(
    monkeypatch, twilio_server
):
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    client = build_twilio_client(ACCOUNT_SID, AUTH_TOKEN, twilio_server.base_url, timeout=5)
    try:
        message = send(client)
    finally:
        client.http_client.close()
    assert twilio_server.messages[0]["sid"] == message.sid


# ---- messages ----------------------------------------------------------------------------------


def test_create_and_fetch_a_message(twilio_server, twilio_client):
    message = send(twilio_client, body="Job fair on Friday")

    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert message.status == "queued"
    assert (message.to, message.from_, message.body) == (
        "+923001234567",
        SENDER,
        "Job fair on Friday",
    )
    assert message.num_segments == "1"
    assert message.error_code is None
    assert message.account_sid == ACCOUNT_SID
    assert message.direction == "outbound-api"
    assert message.date_created.tzinfo is not None
    assert message.uri == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message.sid}.json"

    fetched = twilio_client.messages(message.sid).fetch()
    assert (fetched.sid, fetched.status, fetched.body) == (
        message.sid,
        "queued",
        "Job fair on Friday",
    )

    create, fetch = twilio_server.requests
    assert create.method == "POST" and create.is_create and create.status == 201
    assert create.form == {
        "To": "+923001234567",
        "From": SENDER,
        "Body": "Job fair on Friday",
        "StatusCallback": STATUS_URL,
    }
    assert create.resource["sid"] == message.sid
    assert (fetch.method, fetch.status, fetch.is_create) == ("GET", 200, False)


def test_a_messaging_service_message_is_accepted_without_a_from(twilio_server, twilio_client):
    service = "MG" + "1" * 32
    message = twilio_client.messages.create(
        to="+992900000001", messaging_service_sid=service, body="Hi"
    )
    assert (message.status, message.from_, message.messaging_service_sid) == (
        "accepted",
        None,
        service,
    )


def test_segments_follow_gsm7_and_ucs2():
    assert count_segments("a" * 160) == 1
    assert count_segments("a" * 161) == 2
    assert count_segments("€" * 80) == 1  # extension characters count twice
    assert count_segments("€" * 81) == 2
    assert count_segments("Ж" * 70) == 1
    assert count_segments("Ж" * 71) == 2
    assert count_segments("سلام" * 34) == 3  # 136 UCS-2 units: 67 + 67 + 2


def test_a_fetch_of_an_unknown_message_is_a_404(twilio_client):
    with pytest.raises(TwilioRestException) as error:
        twilio_client.messages("SM" + "f" * 32).fetch()
    assert (error.value.status, error.value.code) == (404, 20404)


@pytest.mark.parametrize(
    ("code", "message"),
    [(21610, "Attempt to send to unsubscribed recipient"), (21211, "not a valid phone number")],
)
def test_a_failing_recipient_raises_with_the_twilio_code(
    twilio_server, twilio_client, code, message
):
    twilio_server.fail_recipient("+923009999999", code)
    with pytest.raises(TwilioRestException) as error:
        send(twilio_client, to="+923009999999")
    assert (error.value.status, error.value.code) == (400, code)
    assert message in error.value.msg
    assert twilio_server.messages == []
    assert send(twilio_client, to="+923001111111").status == "queued"


def test_an_invalid_number_is_21211_and_a_missing_body_21602(twilio_client):
    with pytest.raises(TwilioRestException) as error:
        send(twilio_client, to="0300 1234567")
    assert (error.value.status, error.value.code) == (400, 21211)
    with pytest.raises(TwilioRestException) as error:
        send(twilio_client, body="")
    assert error.value.code == 21602


def test_a_429_carries_retry_after_and_the_next_request_succeeds(twilio_server, twilio_client):
    twilio_server.fail_next(429, retry_after=2)
    with pytest.raises(TwilioRestException) as error:
        send(twilio_client)
    assert (error.value.status, error.value.code) == (429, 20429)
    assert twilio_client.http_client.last_response.headers["Retry-After"] == "2"
    assert send(twilio_client).status == "queued"
    assert [r.status for r in twilio_server.requests] == [429, 201]


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_raise_with_their_status(twilio_server, twilio_client, status):
    twilio_server.fail_next(status, times=2)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as error:
            send(twilio_client)
        assert (error.value.status, error.value.code) == (status, 20000 + status)
    assert len(twilio_server.messages) == 0
    assert send(twilio_client).status == "queued"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_after_the_message_was_created(twilio_server, twilio_client, status):
    twilio_server.fail_next(status, after_create=True)
    with pytest.raises(TwilioRestException) as error:
        send(twilio_client, to="+923001234500")
    assert error.value.status == status
    [created] = twilio_server.messages
    assert created["to"] == "+923001234500"
    assert [m.sid for m in twilio_client.messages.list(to="+923001234500")] == [created["sid"]]
    assert send(twilio_client).status == "queued"  # the fault was for one request only


def test_latency_is_applied_to_every_request(twilio_server, twilio_client):
    twilio_server.latency = 0.2
    started = time.monotonic()
    send(twilio_client)
    send(twilio_client)
    assert time.monotonic() - started >= 0.39
    assert all(r.finished - r.started >= 0.19 for r in twilio_server.requests)


def test_bad_credentials_are_a_401(twilio_server):
    client = build_twilio_client(ACCOUNT_SID, "wrong-token", twilio_server.base_url, timeout=5)
    try:
        with pytest.raises(TwilioRestException) as error:
            send(client)
    finally:
        client.http_client.close()
    assert (error.value.status, error.value.code) == (401, 20003)
    assert twilio_server.messages == []


def test_a_hung_request_times_out_the_client(twilio_server):
    client = build_twilio_client(ACCOUNT_SID, AUTH_TOKEN, twilio_server.base_url, timeout=0.3)
    twilio_server.hang_next(after_create=True)
    try:
        with pytest.raises(requests.exceptions.Timeout):
            send(client)
        assert len(twilio_server.messages) == 1  # it went out although the client never heard
        assert send(client).status == "queued"
    finally:
        client.http_client.close()


def test_stop_releases_hung_requests_promptly():
    with FakeTwilio(hang_seconds=60) as server:
        client = build_twilio_client(ACCOUNT_SID, AUTH_TOKEN, server.base_url, timeout=0.2)
        server.hang_next()
        with pytest.raises(requests.exceptions.Timeout):
            send(client)
        client.http_client.close()
        started = time.monotonic()
    assert time.monotonic() - started < 2
    assert server.errors == []


# ---- status callbacks and inbound SMS ----------------------------------------------------------


def test_status_callbacks_are_signed_for_their_url(twilio_server, twilio_client):
    inbox = twilio_server.deliver = Inbox()
    message = send(twilio_client)
    deliveries = twilio_server.flush_callbacks()

    assert [d.callback.params["MessageStatus"] for d in deliveries] == ["sent", "delivered"]
    validator = RequestValidator(AUTH_TOKEN)
    for url, params, headers in inbox.received:
        assert url == STATUS_URL
        assert params["MessageSid"] == params["SmsSid"] == message.sid
        assert params["AccountSid"] == ACCOUNT_SID
        assert (params["To"], params["From"], params["ApiVersion"]) == (
            "+923001234567",
            SENDER,
            "2010-04-01",
        )
        assert "ErrorCode" not in params
        assert validator.validate(url, params, headers["X-Twilio-Signature"])
        assert not validator.validate(url + "?x=1", params, headers["X-Twilio-Signature"])
        assert not RequestValidator("other").validate(url, params, headers["X-Twilio-Signature"])
    assert twilio_client.messages(message.sid).fetch().status == "delivered"


def test_callbacks_out_of_order_and_twice(twilio_server, twilio_client):
    inbox = twilio_server.deliver = Inbox()
    twilio_server.set_outcome("+93700000001", "sent", "undelivered", error_code=30003)
    ok, bad = send(twilio_client), send(twilio_client, to="+93700000001")
    twilio_server.flush_callbacks(order="reverse", duplicate=True)

    seen = [(p["MessageSid"], p["MessageStatus"], p.get("ErrorCode")) for _, p, _ in inbox.received]
    once = [
        (bad.sid, "undelivered", "30003"),
        (bad.sid, "sent", None),
        (ok.sid, "delivered", None),
        (ok.sid, "sent", None),
    ]
    assert seen == once + once
    tokens = [h["I-Twilio-Idempotency-Token"] for _, _, h in inbox.received]
    assert tokens[:4] == tokens[4:] and len(set(tokens)) == 4
    assert twilio_server.pending_callbacks == []
    final = {m["sid"]: (m["status"], m["error_code"]) for m in twilio_server.messages}
    assert final == {ok.sid: ("delivered", None), bad.sid: ("undelivered", 30003)}


def test_send_status_on_demand(twilio_server, twilio_client):
    inbox = twilio_server.deliver = Inbox()
    message = send(twilio_client)
    twilio_server.send_status(message.sid, "failed", error_code=30008)
    [(url, params, _)] = inbox.received
    assert (url, params["MessageStatus"], params["ErrorCode"]) == (STATUS_URL, "failed", "30008")
    assert len(twilio_server.pending_callbacks) == 2  # the planned ones are still to come


def test_callbacks_reach_a_flask_app_in_process(twilio_server, twilio_client):
    app = flask.Flask(__name__)
    seen = []

    @app.post("/webhooks/twilio/sms/status")
    def status():
        signature = flask.request.headers.get("X-Twilio-Signature", "")
        valid = RequestValidator(AUTH_TOKEN).validate(
            flask.request.url, flask.request.form, signature
        )
        seen.append((flask.request.form["MessageStatus"], valid))
        return ("", 204) if valid else ("", 403)

    twilio_server.deliver = deliver_to(app.test_client())
    send(twilio_client)
    deliveries = twilio_server.flush_callbacks(order="shuffle", seed=1)
    assert sorted(seen) == [("delivered", True), ("sent", True)]
    assert [d.status_code for d in deliveries] == [204, 204]


def test_auto_callbacks_over_real_http(twilio_client, twilio_server):
    received = []

    def receiver(environ, start_response):
        form = flask.Request(environ).form.to_dict()
        received.append(form["MessageStatus"])
        start_response("204 No Content", [])
        return [b""]

    app_server = make_server("127.0.0.1", 0, receiver)
    thread = threading.Thread(target=app_server.serve_forever, args=(0.05,))
    thread.start()
    try:
        twilio_server.auto_callbacks = True
        url = f"http://127.0.0.1:{app_server.server_port}/webhooks/twilio/sms/status"
        twilio_client.messages.create(
            to="+996555000001", from_=SENDER, body="Hi", status_callback=url
        )
        twilio_server.wait_for(lambda s: len(s.deliveries) == 2)
    finally:
        app_server.shutdown()
        app_server.server_close()
        thread.join()
    assert received == ["sent", "delivered"]
    assert [d.status_code for d in twilio_server.deliveries] == [204, 204]


def test_inbound_sms_is_signed_and_shaped_like_twilio(twilio_server):
    inbox = twilio_server.deliver = Inbox()
    url = "http://localhost/webhooks/twilio/sms"
    twilio_server.send_inbound_sms(url, "+923001234567", SENDER, " СТОП ")
    [(got_url, params, headers)] = inbox.received
    assert got_url == url
    assert params["Body"] == " СТОП "
    assert (params["From"], params["To"], params["NumMedia"]) == ("+923001234567", SENDER, "0")
    assert re.fullmatch(r"SM[0-9a-f]{32}", params["MessageSid"])
    assert params["SmsSid"] == params["MessageSid"] and params["AccountSid"] == ACCOUNT_SID
    assert RequestValidator(AUTH_TOKEN).validate(url, params, headers["X-Twilio-Signature"])
    assert twilio_server.inbound == [params]


# ---- calls -------------------------------------------------------------------------------------


def test_create_and_fetch_a_call_with_its_status_callbacks(twilio_server, twilio_client):
    inbox = twilio_server.deliver = Inbox()
    call = twilio_client.calls.create(
        to="+992900000002",
        from_=SENDER,
        url="http://localhost/webhooks/twilio/voice",
        status_callback="http://localhost/webhooks/twilio/voice/status",
        status_callback_event=["initiated", "answered", "completed"],
    )
    assert re.fullmatch(r"CA[0-9a-f]{32}", call.sid)
    assert (call.status, call.to, call._from) == ("queued", "+992900000002", SENDER)
    assert twilio_server.requests[0].form_lists["StatusCallbackEvent"] == [
        "initiated",
        "answered",
        "completed",
    ]

    twilio_server.flush_callbacks()
    statuses = [p["CallStatus"] for _, p, _ in inbox.received]
    assert statuses == ["initiated", "in-progress", "completed"]
    assert inbox.received[-1][1]["CallDuration"] == "30"
    fetched = twilio_client.calls(call.sid).fetch()
    assert (fetched.sid, fetched.status) == (call.sid, "completed")


def test_a_call_needs_a_url_or_twiml(twilio_client):
    with pytest.raises(TwilioRestException) as error:
        twilio_client.calls.create(to="+992900000002", from_=SENDER)
    assert error.value.code == 21205
    call = twilio_client.calls.create(to="+992900000002", from_=SENDER, twiml="<Response/>")
    assert call.status == "queued"


# ---- concurrency and rate ----------------------------------------------------------------------


def test_one_client_shared_by_threads_counts_concurrency(twilio_server, twilio_client):
    twilio_server.latency = 0.5  # all 8 must overlap, with room for a slow CI machine
    barrier = threading.Barrier(8)
    results = {}

    def worker(n):
        barrier.wait()
        message = send(twilio_client, to=f"+92300000000{n}")
        last = twilio_client.http_client.last_response  # this thread's own response
        results[n] = (message.to, message.sid in last.text, last.status_code)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == {n: (f"+92300000000{n}", True, 201) for n in range(8)}
    assert twilio_server.max_in_flight == 8
    assert twilio_server.max_starts_in_window(1.0) == 8
    assert sum(twilio_server.starts_per_second()) == 8
    assert len({m["sid"] for m in twilio_server.messages}) == 8


def test_max_in_window_is_a_sliding_half_open_window():
    assert max_in_window([], 1.0) == 0
    assert max_in_window([0.0, 0.3, 0.6, 0.9, 1.2, 1.5], 1.0) == 4
    assert max_in_window([0.0, 1.0, 2.0], 1.0) == 1
    assert max_in_window([0.5, 1.4, 1.45, 2.6], 1.0) == 3
