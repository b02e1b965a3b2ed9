"""A connection that died while it waited in the pool (the database restarted) costs no request:
the request that meets it runs again on a fresh one — unless it had asked for a COMMIT, which
may have happened; then, as when the database stays away, the answer is a clean 503 and the
next request works."""

from __future__ import annotations

import contextlib
import itertools

from sqlalchemy import event, func, select

from outreach.extensions import db
from outreach.models import Message, Response

SMS = "/webhooks/twilio/sms"


@contextlib.contextmanager
def broken_at(*checkouts: int):
    """The given checkouts from the pool (1 = the next one) hand out a connection that is dead."""
    count = itertools.count(1)

    def checkout(dbapi_connection, _record, _proxy):
        if next(count) in checkouts:
            dbapi_connection.close()

    db.session.remove()  # the test's own session holds no connection: the next checkout is ours
    event.listen(db.engine, "checkout", checkout)
    try:
        yield
    finally:
        event.remove(db.engine, "checkout", checkout)


def _inbound(signed_post, phone: str, sid: str):
    form = {"MessageSid": sid, "From": phone, "To": "+15005550006", "Body": "hello"}
    return signed_post(SMS, form)


def _recorded(sid: str) -> tuple[int, int]:
    db.session.remove()
    inbound = db.session.scalar(select(func.count()).where(Message.provider_sid == sid))
    return inbound, db.session.scalar(select(func.count()).select_from(Response))


def test_a_webhook_meeting_a_dead_connection_runs_again_and_is_recorded_once(
    app, make_contact, signed_post
):
    person = make_contact()
    with broken_at(1):
        answer = _inbound(signed_post, person.phone, "SM" + "1" * 32)
    assert answer.status_code == 200
    assert _recorded("SM" + "1" * 32) == (1, 1)


def test_a_page_meeting_a_dead_connection_runs_again(app, client, make_user, login):
    login(make_user("coordinator"))
    with broken_at(1):
        page = client.get("/contacts")
    assert page.status_code == 200


def test_a_request_that_asked_for_a_commit_is_not_run_again_but_answered_503(app, api, make_user):
    caller = api(make_user("admin", ["pk-isb"]))
    # The API commits the token's last use before the view reads: the view's connection is dead.
    with broken_at(2):
        answer = caller.get("/api/v1/regions")
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "service_unavailable"
    assert caller.get("/api/v1/regions").status_code == 200


def test_a_database_that_stays_away_is_a_503_and_changes_nothing(app, make_contact, signed_post):
    person = make_contact()
    with broken_at(1, 2):
        answer = _inbound(signed_post, person.phone, "SM" + "2" * 32)
    assert answer.status_code == 503
    assert answer.mimetype == "text/plain"
    assert _recorded("SM" + "2" * 32) == (0, 0)
    assert _inbound(signed_post, person.phone, "SM" + "2" * 32).status_code == 200
    assert _recorded("SM" + "2" * 32) == (1, 1)
