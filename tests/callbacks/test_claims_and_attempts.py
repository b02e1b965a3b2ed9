"""Claims and attempts, with the clock passed in: expiry, spacing, unreachable and its SMS."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from callback_support import MONDAY_10
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from outreach.access import Scope
from outreach.callbacks.attempts import AttemptInput, record_attempt
from outreach.callbacks.claims import claim_request, reassign_request, release_request
from outreach.callbacks.queue import QueueFilters, list_requests
from outreach.errors import Conflict, Forbidden, ValidationFailed
from outreach.extensions import db
from outreach.models import (
    AttemptOutcome,
    AuditEvent,
    CallbackRequest,
    CallbackStatus,
    ConsentAction,
    ConsentChannel,
    Message,
    User,
)

CLAIM = 30


def _scope(user) -> Scope:
    return Scope.for_user(db.session.get(User, user.id))


def _claim(user, request, now=MONDAY_10):
    claimed = claim_request(db.session, _scope(user), request.id, now, CLAIM)
    db.session.commit()
    return claimed


def _attempt(user, request, outcome, now=MONDAY_10, **kw):
    done = record_attempt(
        db.session, _scope(user), request.id, AttemptInput(AttemptOutcome(outcome), **kw), now
    )
    db.session.commit()
    return done


def test_a_claim_expires_and_the_request_returns_to_the_queue(ask, osh_person, counsellor):
    request = ask(osh_person())
    aida, bakyt = counsellor(), counsellor()
    claimed = _claim(aida, request)
    assert (claimed.status, claimed.claimed_by_id) == (CallbackStatus.CLAIMED, aida.id)
    assert claimed.claim_expires_at == MONDAY_10 + timedelta(minutes=CLAIM)
    with pytest.raises(Conflict) as refused:
        _claim(bakyt, request, MONDAY_10 + timedelta(minutes=29))
    assert (refused.value.code, refused.value.details) == ("claimed", {"by": aida.email})
    later = MONDAY_10 + timedelta(minutes=31)
    [item] = list_requests(
        db.session, _scope(bakyt), QueueFilters(status="open"), 1, 50, later
    ).items
    assert (item.id, item.status, item.claimed_by) == (request.id, "open", None)
    taken = _claim(bakyt, request, later)
    assert taken.claimed_by_id == bakyt.id


def test_only_the_claims_holder_records_and_an_attempt_ends_the_claim(ask, osh_person, counsellor):
    request = ask(osh_person())
    aida, bakyt = counsellor(), counsellor()
    with pytest.raises(Conflict) as unclaimed:
        _attempt(aida, request, "no_answer")
    assert unclaimed.value.code == "not_claimed"
    _claim(aida, request)
    with pytest.raises(Conflict) as other:
        _attempt(bakyt, request, "reached")
    assert (other.value.code, other.value.details) == ("claimed", {"by": aida.email})
    after = _attempt(aida, request, "no_answer")
    assert (after.status, after.claimed_by_id, after.claim_expires_at) == ("open", None, None)


def test_release_gives_the_request_back_and_admins_reassign(ask, osh_person, counsellor, make_user):
    request = ask(osh_person())
    aida, bakyt = counsellor(), counsellor()
    _claim(aida, request)
    with pytest.raises(Conflict):
        release_request(db.session, _scope(bakyt), request.id, MONDAY_10)
    released = release_request(db.session, _scope(aida), request.id, MONDAY_10)
    assert (released.status, released.claimed_by_id) == ("open", None)
    admin = make_user("admin", [])
    with pytest.raises(Forbidden):
        reassign_request(db.session, _scope(aida), request.id, bakyt.id, MONDAY_10, CLAIM)
    lahore = make_user("counsellor", ["pk-lhr"])
    with pytest.raises(Exception, match="no such counsellor"):
        reassign_request(db.session, _scope(admin), request.id, lahore.id, MONDAY_10, CLAIM)
    moved = reassign_request(db.session, _scope(admin), request.id, bakyt.id, MONDAY_10, CLAIM)
    assert (moved.status, moved.claimed_by_id) == ("claimed", bakyt.id)


def test_reached_refused_and_wrong_number_close_the_request(ask, osh_person, counsellor):
    aida = counsellor()
    for outcome in ("reached", "refused", "wrong_number"):
        request = ask(osh_person())
        _claim(aida, request)
        closed = _attempt(aida, request, outcome)
        assert (closed.status, closed.outcome, closed.completed_at) == ("done", outcome, MONDAY_10)


def test_unanswered_attempts_are_spaced_and_the_last_makes_it_unreachable_with_an_sms(
    ask, osh_person, counsellor
):
    person = osh_person(language="ru")
    request = ask(person)
    aida = counsellor()
    now = MONDAY_10
    dues = []
    for outcome in ("no_answer", "busy"):
        _claim(aida, request, now)
        after = _attempt(aida, request, outcome, now)
        assert after.status == "open"
        dues.append(after.due_at)
        now = after.due_at
    # 10:00 → 12:00 (spaced by two hours), then 12:00 → 14:00.
    assert dues == [MONDAY_10 + timedelta(hours=2), MONDAY_10 + timedelta(hours=4)]
    _claim(aida, request, now)
    last = _attempt(aida, request, "switched_off", now)
    assert (last.status, last.outcome) == ("unreachable", "switched_off")
    stmt = select(Message).where(Message.contact_id == person.id).order_by(Message.id)
    acknowledged, unreachable = db.session.execute(stmt).scalars()
    assert "скоро бесплатно вам перезвонит" in acknowledged.body  # when key 9 asked
    assert (unreachable.status, unreachable.language) == ("queued", "ru")
    assert "не смогли до вас дозвониться" in unreachable.body and "MRC Osh" in unreachable.body


def test_call_later_and_language_mismatch_keep_the_request_open_and_are_not_failures(
    ask, osh_person, counsellor
):
    request = ask(osh_person())
    aida = counsellor()
    _claim(aida, request)
    with pytest.raises(ValidationFailed, match="call_at"):
        _attempt(aida, request, "call_later")
    db.session.rollback()
    wanted = MONDAY_10 + timedelta(days=1, hours=8)
    after = _attempt(aida, request, "call_later", call_at=wanted)
    assert (after.status, after.due_at) == ("open", wanted)
    for _ in range(3):
        _claim(aida, request)
        after = _attempt(aida, request, "language_mismatch")
        assert (after.status, after.due_at) == ("open", MONDAY_10)


def test_the_region_sets_the_maximum_of_failed_attempts(ask, osh_person, counsellor, region):
    region("kg-osh").callback_max_attempts = 1
    db.session.commit()
    person = osh_person()
    request = ask(person)
    aida = counsellor()
    _claim(aida, request)
    assert _attempt(aida, request, "no_answer").status == "unreachable"


def test_an_opted_out_person_gets_no_unreachable_sms(ask, osh_person, counsellor):
    from outreach.contacts.consent import apply_consent

    person = osh_person()
    request = ask(person, "missed_call")
    apply_consent(
        db.session, person, ConsentAction.OPT_OUT, ConsentChannel.SMS, "STOP", at=MONDAY_10
    )
    db.session.commit()
    aida = counsellor()
    db.session.get(CallbackRequest, request.id)
    for _ in range(3):
        _claim(aida, request)
        _attempt(aida, request, "no_answer")
    assert db.session.get(CallbackRequest, request.id).status == "unreachable"
    queued = select(func.count()).select_from(Message).where(Message.contact_id == person.id)
    assert db.session.execute(queued).scalar_one() == 1  # the acknowledgement, before STOP


def test_attempts_and_claims_are_audited(ask, osh_person, counsellor):
    request = ask(osh_person())
    aida = counsellor()
    _claim(aida, request)
    _attempt(aida, request, "reached", note="talked about testing", topics=("hiv_testing",))
    actions = db.session.execute(
        select(AuditEvent.action).where(AuditEvent.object_id == request.id).order_by(AuditEvent.id)
    ).scalars()
    assert list(actions) == ["callback.claim", "callback.attempt"]


def test_ten_counsellors_claiming_at_once_one_wins(ask, osh_person, counsellor):
    request = ask(osh_person())
    user_ids = [counsellor().id for _ in range(10)]
    request_id = request.id
    sessions = sessionmaker(bind=db.engine, expire_on_commit=False)
    start = threading.Barrier(len(user_ids))
    results: dict[int, str] = {}

    def try_claim(user_id: int) -> None:
        with sessions() as session:
            scope = Scope.for_user(session.get(User, user_id))
            session.commit()  # each claim starts in a transaction of its own
            start.wait()
            try:
                claim_request(session, scope, request_id, MONDAY_10, CLAIM)
                session.commit()
                results[user_id] = "won"
            except Conflict as exc:
                session.rollback()
                results[user_id] = exc.details["by"]

    threads = [threading.Thread(target=try_claim, args=(uid,)) for uid in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    winners = [uid for uid, result in results.items() if result == "won"]
    assert len(results) == 10 and len(winners) == 1
    holder = db.session.get(User, winners[0]).email
    assert sorted(r for r in results.values() if r != "won") == [holder] * 9
    db.session.expire_all()
    assert db.session.get(CallbackRequest, request.id).claimed_by_id == winners[0]
