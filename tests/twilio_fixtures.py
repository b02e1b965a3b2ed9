"""Fixtures for the local Twilio-compatible server; conftest loads them as a pytest plugin."""

from __future__ import annotations

import pytest
from twilio_server import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, deliver_to

from outreach.messaging.twilio_http import build_twilio_client

SENDER = "+15005550006"


@pytest.fixture(name="twilio_server")
def twilio_server_fixture():
    """A running FakeTwilio with the test credentials; it must end without internal errors."""
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as server:
        yield server
    assert server.errors == [], "\n".join(server.errors)


@pytest.fixture(name="twilio_client")
def twilio_client_fixture(twilio_server):
    """The real twilio SDK client, talking to `twilio_server`."""
    client = build_twilio_client(ACCOUNT_SID, AUTH_TOKEN, twilio_server.base_url, timeout=5)
    yield client
    client.http_client.close()


@pytest.fixture
def twilio_app(app, twilio_server):
    """The app sending through the twilio provider to `twilio_server`, which calls it back."""
    app.config.update(
        OUTREACH_PROVIDER="twilio",
        TWILIO_API_BASE_URL=twilio_server.base_url,
        TWILIO_FROM_NUMBER=SENDER,
    )
    twilio_server.deliver = deliver_to(app.test_client())
    return app
