"""Webhooks carry none of the UI's machinery: no session cookie, no log-in hooks, no rate limit,
no CSRF token — while the pages for people keep all of it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from outreach import create_app
from outreach.extensions import csrf, db, limiter
from outreach.messaging.provider import webhook_auth_token
from outreach.models import Message

SMS = "/webhooks/twilio/sms"
STATUS = "/webhooks/twilio/sms/status"


def _signed(app, client, path: str, data: dict):
    url = app.config["PUBLIC_BASE_URL"] + path
    signature = RequestValidator(webhook_auth_token(app.config)).compute_signature(url, data)
    return client.post(path, data=data, headers={"X-Twilio-Signature": signature})


def _sms(sid: str, phone: str = "+923001234567") -> dict:
    return {"MessageSid": sid, "From": phone, "To": "+15005550006", "Body": "hello"}


def test_a_webhook_answer_sets_no_cookie_even_to_a_caller_holding_a_staff_session(
    app, client, make_user, login, make_contact
):
    # Sessions refreshed on every request, and the caller holds a logged-in staff session:
    # a page answers with cookies, a webhook with none (not even a remember-me cookie).
    app.config["REMEMBER_COOKIE_REFRESH_EACH_REQUEST"] = True
    login(make_user("coordinator"))
    person = make_contact()
    page = client.get("/contacts")
    assert page.status_code == 200
    assert page.headers.getlist("Set-Cookie"), "a page refreshes the staff session"

    answers = [
        _signed(app, client, SMS, _sms("SM" + "a" * 32, person.phone)),
        _signed(app, client, SMS, _sms("SM" + "b" * 32, "+923009999999")),  # an unknown number
        _signed(app, client, STATUS, {"MessageSid": "SM" + "c" * 32, "MessageStatus": "sent"}),
        client.post(SMS, data=_sms("SM" + "d" * 32)),  # unsigned: refused
    ]
    assert [a.status_code for a in answers] == [200, 200, 204, 403]
    assert (answers[3].mimetype, answers[3].text) == (
        "text/plain",
        "invalid or missing X-Twilio-Signature",
    )
    for answer in answers:
        assert answer.headers.getlist("Set-Cookie") == []
        assert "Cookie" not in answer.headers.get("Vary", "")


def test_a_webhook_needs_no_csrf_token_where_a_page_does(app, client, make_contact):
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/login", data={"email": "a@b.c", "password": "x"}).status_code == 400
    person = make_contact()
    assert _signed(app, client, SMS, _sms("SM" + "e" * 32, person.phone)).status_code == 200


@pytest.fixture
def limited_app(app):
    """The test app with a blanket default rate limit of 2 requests a minute per address.

    The limiter is one object for every app made in this process: its default is taken off again
    afterwards, so no later test inherits it.
    """
    keys = ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "WTF_CSRF_ENABLED")
    keys += ("OUTREACH_PROVIDER", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL")
    settings = {key: app.config[key] for key in keys + ("UPLOAD_FOLDER",)}
    limited = create_app({**settings, "RATELIMIT_ENABLED": True, "RATELIMIT_DEFAULT": "2/minute"})
    try:
        with limited.app_context():
            yield limited
            db.session.remove()
            db.engine.dispose()
    finally:
        limiter.limit_manager.set_default_limits([])


def test_webhooks_are_not_counted_by_the_rate_limiter(limited_app, make_contact):
    person = make_contact()
    client = limited_app.test_client()
    pages = [client.get("/login").status_code for _ in range(3)]
    assert pages == [200, 200, 429], "the default limit applies to pages"
    answers = [
        _signed(limited_app, client, SMS, _sms(f"SM{i:032d}", person.phone)) for i in range(5)
    ]
    assert [a.status_code for a in answers] == [200] * 5
    assert not any("X-RateLimit-Limit" in a.headers for a in answers)


@pytest.fixture
def ui_checks(app, monkeypatch):
    """Counts of the rate limiter's and CSRFProtect's checks, as the app's own hooks call them.

    Both hooks were registered as bound methods or closures at start-up; each looks up the method
    below on its extension object when it runs, so a counter put there sees every real check.
    """
    app.config["WTF_CSRF_ENABLED"] = True
    calls = {"rate_limit": 0, "csrf": 0}

    def counting(name, method):
        def counted(*args, **kwargs):
            calls[name] += 1
            return method(*args, **kwargs)

        return counted

    monkeypatch.setattr(
        limiter, "identify_request", counting("rate_limit", limiter.identify_request)
    )
    monkeypatch.setattr(csrf, "protect", counting("csrf", csrf.protect))
    return calls


def test_webhook_requests_run_no_rate_limit_check_no_csrf_check_and_set_no_cookie(
    app, client, ui_checks, make_contact, make_campaign
):
    person = make_contact()
    assert client.get("/login").status_code == 200
    assert ui_checks == {"rate_limit": 1, "csrf": 1}, "the counters see a page's checks"

    answers = [
        _signed(app, client, SMS, _sms("SM" + "f" * 32, person.phone)),
        _signed(app, client, SMS, _sms("SM" + "f" * 32, person.phone)),  # the same SID again
        _signed(app, client, STATUS, {"MessageSid": "SM" + "0" * 32, "MessageStatus": "sent"}),
        client.post(SMS, data=_sms("SM" + "1" * 32)),  # unsigned
        client.post(SMS + "?x=1", data={"Body": "1"}, headers={"X-Twilio-Signature": "bad"}),
    ]
    assert [a.status_code for a in answers] == [200, 200, 204, 403, 403]
    assert ui_checks == {"rate_limit": 1, "csrf": 1}, "no webhook request was checked"
    for answer in answers:
        assert answer.headers.getlist("Set-Cookie") == []
        assert not any(name.startswith("X-RateLimit") for name, _ in answer.headers)


def test_a_signed_webhook_holding_a_nul_character_is_refused_and_recorded_nowhere(
    app, client, make_contact
):
    person = make_contact()
    for field, value in (("Body", "1\x002"), ("From", person.phone + "\x00")):
        answer = _signed(app, client, SMS, {**_sms("SM" + "2" * 32, person.phone), field: value})
        assert (answer.status_code, answer.text) == (400, "the request holds a NUL character")
    assert db.session.execute(select(func.count()).select_from(Message)).scalar_one() == 0
    # A forged one is still refused for its signature first.
    forged = client.post(SMS, data={"Body": "\x00"}, headers={"X-Twilio-Signature": "bad"})
    assert forged.status_code == 403
