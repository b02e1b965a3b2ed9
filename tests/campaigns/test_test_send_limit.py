"""The hourly test-send limit holds when two requests of one person race each other."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from outreach.access import Scope
from outreach.campaigns.testsend import TEST_SENDS_PER_HOUR, send_test_message
from outreach.errors import TooManyRequests
from outreach.extensions import db
from outreach.models import Direction, Message, User, utcnow


def test_two_test_sends_at_once_never_pass_the_limit(app, make_user, make_campaign):
    user = make_user("coordinator", ["pk-isb"])
    campaign = make_campaign(regions=("pk-isb",), status="draft")
    now = utcnow()
    db.session.add_all(
        Message(
            direction=Direction.OUTBOUND,
            to_phone="+923001234567",
            body="[TEST] earlier",
            status="delivered",
            sent_by_id=user.id,
            created_at=now - timedelta(minutes=5),
            updated_at=now,
        )
        for _ in range(TEST_SENDS_PER_HOUR - 1)
    )
    db.session.commit()
    sessions = sessionmaker(bind=db.engine, expire_on_commit=False)

    def send(session):
        scope = Scope.for_user(session.get(User, user.id))
        return send_test_message(
            session, scope, campaign.id, "+923001234567", "en", utcnow(), real_phones=False
        )

    outcome: dict[str, object] = {}

    def second() -> None:
        with sessions() as session:
            try:
                send(session)
                session.commit()
                outcome["second"] = "sent"
            except TooManyRequests:
                session.rollback()
                outcome["second"] = "refused"

    with sessions() as first:
        send(first)  # the last one allowed, not yet committed
        racer = threading.Thread(target=second)
        racer.start()
        racer.join(0.5)
        assert racer.is_alive(), outcome  # it waits for the first to be committed or not
        first.commit()
    racer.join(15)
    assert outcome == {"second": "refused"}
    sent = db.session.execute(
        select(func.count()).select_from(Message).where(Message.sent_by_id == user.id)
    ).scalar_one()
    assert sent == TEST_SENDS_PER_HOUR
