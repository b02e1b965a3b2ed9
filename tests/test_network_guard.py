"""No test reaches a host outside this machine: the guard in network_guard.py fires."""

from __future__ import annotations

import socket

import pytest
from network_guard import OutboundConnectionBlocked, is_local

from outreach.messaging.twilio_http import build_twilio_client

REAL_TWILIO_TEST = """
from twilio.rest import Client


def test_sends_through_the_real_twilio_api():
    client = Client("AC" + "0" * 32, "not-a-token")
    try:
        client.messages.create(to="+15005550006", from_="+15005550001", body="hello")
    except Exception:
        pass  # as a worker loop would: logged, and carried on
"""


def test_a_test_that_calls_the_real_twilio_api_fails_even_when_it_catches_the_error(pytester):
    pytester.makepyfile(test_real_twilio=REAL_TWILIO_TEST)
    result = pytester.runpytest_inprocess("-p", "network_guard", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*tried to reach a host outside this machine: 'api.twilio.com'*"])


def test_the_projects_twilio_client_left_pointing_at_twilio_is_refused(network_guard):
    client = build_twilio_client("AC" + "0" * 32, "not-a-token", timeout=5)
    with pytest.raises(OutboundConnectionBlocked, match="api.twilio.com"):
        client.messages.create(to="+15005550006", from_="+15005550001", body="hello")
    assert network_guard.take() == ["'api.twilio.com' port 443"]


def test_a_connect_to_an_address_outside_this_machine_is_refused_before_it_leaves(network_guard):
    with socket.socket() as sock, pytest.raises(OutboundConnectionBlocked):
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: nobody's address
    assert network_guard.take() == ["'192.0.2.1' port 443"]


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("0.0.0.0", True),
        (None, True),
        ("api.twilio.com", False),
        ("10.0.0.1", False),
        ("192.168.1.1", False),
        ("8.8.8.8", False),
        ("::ffff:8.8.8.8", False),
        ("localhost.example.com", False),
    ],
)
def test_only_this_machine_is_local(host, local):
    assert is_local(host) is local
