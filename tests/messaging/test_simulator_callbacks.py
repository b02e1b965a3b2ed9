"""The simulator's status callbacks: one refused delivery never stops the ones after it."""

from __future__ import annotations

import logging

from outreach.messaging.provider import OutboundSms
from outreach.messaging.simulator import SimulatorProvider

CONFIG = {"SECRET_KEY": "test-secret", "TWILIO_AUTH_TOKEN": "test-auth-token"}


def _sms(n: int) -> OutboundSms:
    return OutboundSms(
        to=f"+92300100000{n}",
        body="Hello",
        sender="+15005550006",
        messaging_service_sid=None,
        status_callback=f"http://localhost/webhooks/twilio/sms/status?m={n}",
    )


def test_a_callback_that_fails_to_deliver_leaves_the_others_delivered(caplog, monkeypatch):
    # Alembic's logging set-up, run by an earlier test in this process, disables loggers.
    monkeypatch.setattr(logging.getLogger("outreach.messaging.simulator"), "disabled", False)
    delivered = []

    def deliver(url: str, params: dict, headers: dict):
        if url.endswith("m=1"):
            raise ConnectionError("the app is restarting")
        delivered.append((url, params["MessageStatus"]))

    simulator = SimulatorProvider(CONFIG, deliver=deliver)
    with caplog.at_level(logging.ERROR, logger="outreach.messaging.simulator"):
        simulator.send_sms(_sms(1))
        simulator.send_sms(_sms(2))
        simulator.flush(timeout=5)

    assert delivered == [
        ("http://localhost/webhooks/twilio/sms/status?m=2", "sent"),
        ("http://localhost/webhooks/twilio/sms/status?m=2", "delivered"),
    ]
    assert "could not deliver a status callback" in caplog.text
