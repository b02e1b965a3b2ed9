"""Failed log-ins are limited per account and per client address (LOGIN_RATE_LIMIT, 10/minute).

Behind the recommended TLS proxy every member of staff shares one address: one person's wrong
passwords must never keep a colleague with the right one out.
"""

from __future__ import annotations

import pytest
from support import PASSWORD, app_settings

from outreach import create_app
from outreach.config import load_settings
from outreach.extensions import db

WRONG = "not the password"


def _post(client, user, password: str, address: str | None = None, forwarded: str | None = None):
    return client.post(
        "/login",
        data={"email": user.email, "password": password},
        environ_base={"REMOTE_ADDR": address or "127.0.0.1"},
        headers={"X-Forwarded-For": forwarded} if forwarded else {},
    )


def test_ten_wrong_passwords_for_one_account_leave_a_colleague_at_the_same_address_in(
    app, make_user
):
    amina, bilal = make_user("coordinator"), make_user("counsellor")
    client = app.test_client()
    assert [_post(client, amina, WRONG).status_code for _ in range(10)] == [200] * 10
    assert _post(client, amina, WRONG).status_code == 429
    assert _post(app.test_client(), bilal, PASSWORD).status_code == 302


def test_an_account_with_too_many_failures_is_locked_from_any_address(app, make_user):
    amina, bilal = make_user("coordinator"), make_user("coordinator")
    for i in range(10):  # one guess from each of ten addresses
        assert _post(app.test_client(), amina, WRONG, f"198.51.100.{i}").status_code == 200
    locked = _post(app.test_client(), amina, PASSWORD, "192.0.2.99")
    assert locked.status_code == 429
    assert "wait a minute" in locked.get_data(as_text=True)
    assert _post(app.test_client(), bilal, PASSWORD, "192.0.2.99").status_code == 302


def test_an_address_full_of_failures_refuses_only_accounts_that_failed_themselves(app, make_user):
    sprayed = [make_user("coordinator") for _ in range(10)]
    clean = make_user("coordinator")
    for user in sprayed:  # one guess at each of ten accounts from one address
        assert _post(app.test_client(), user, WRONG, "203.0.113.7").status_code == 200
    # The guessed-at account gets no second try from there, even with the right password...
    assert _post(app.test_client(), sprayed[0], WRONG, "203.0.113.7").status_code == 429
    assert _post(app.test_client(), sprayed[0], PASSWORD, "203.0.113.7").status_code == 429
    # ...but its owner gets in from elsewhere, and an account nobody guessed at gets in there.
    assert _post(app.test_client(), sprayed[0], PASSWORD, "203.0.113.8").status_code == 302
    assert _post(app.test_client(), clean, PASSWORD, "203.0.113.7").status_code == 302


def _dispose(other_app) -> None:
    with other_app.app_context():
        db.engine.dispose()


def test_x_forwarded_for_is_the_client_only_behind_a_trusted_proxy(
    make_user, database_url, tmp_path, request
):
    sprayed = [make_user("coordinator") for _ in range(10)]
    answers = {}
    for proxies in (1, 0):
        behind = create_app({**app_settings(database_url, tmp_path), "TRUSTED_PROXIES": proxies})
        request.addfinalizer(lambda other=behind: _dispose(other))
        for user in sprayed:  # ten failures, all from one client behind the proxy
            response = _post(behind.test_client(), user, WRONG, "10.0.0.1", "203.0.113.7")
            assert response.status_code == 200
        # The account's owner, at another desk behind the same proxy.
        owner = _post(behind.test_client(), sprayed[0], PASSWORD, "10.0.0.1", "203.0.113.8")
        answers[proxies] = owner.status_code
    # Trusted: that is another client, in. Not trusted: the header is anyone's to write, so all
    # ten failures and this log-in come from the proxy's address, and the account has failed.
    assert answers == {1: 302, 0: 429}


@pytest.mark.parametrize("value", ["yes", "-1", "11", "1.5"])
def test_a_trusted_proxies_setting_that_is_not_a_count_stops_the_start(tmp_path, value):
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES"):
        load_settings(str(tmp_path), {"TRUSTED_PROXIES": value})
