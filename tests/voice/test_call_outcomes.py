"""How calls end, against the local Twilio-compatible server: retries by outcome, callbacks
late, repeated or of an earlier attempt, machines, requests in doubt, and silent calls."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from support import MORNING
from voice_dialing import (
    Clock,
    attempts_of,
    calls_by_phone,
    place_due,
    twilio_dialer,
    voice_campaign,
)

from outreach import register_provider
from outreach.campaigns.scheduling import fire_due_campaigns
from outreach.extensions import db
from outreach.messaging.registry import provider_registry
from outreach.models import Call, CallStatus, WorkerHeartbeat
from outreach.voice import calls
from outreach.voice.sweeper import sweep_silent_calls

NO_ANSWER, BUSY, ANSWERS, FAILS = "+923001110001", "+923001110002", "+923001110003", "+923001110004"


@pytest.fixture
def app_on_twilio(twilio_app):
    """`twilio_app` whose own provider (the one its webhooks use to change a live call) is a
    new TwilioProvider for the local server, not one an earlier test built."""
    register_provider(twilio_app)
    yield twilio_app
    registry = provider_registry(twilio_app)
    if registry._provider is not None:
        registry._provider.client.http_client.close()


def _launch(make_contact, region, phones, **campaign):
    for phone in phones:
        make_contact("pk-isb", phone=phone, language="ur")
    voice_campaign(region, **campaign)
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()


def _placed(server) -> Counter:
    return Counter(c["to"] for c in server.calls)


def test_no_answer_and_busy_are_retried_exactly_max_times_at_the_interval(
    twilio_app, twilio_server, make_contact, region
):
    _launch(make_contact, region, (NO_ANSWER, BUSY, ANSWERS, FAILS), retry_interval_minutes=10)
    twilio_server.set_call_outcome(NO_ANSWER, "no-answer", 0)
    twilio_server.set_call_outcome(BUSY, "busy", 0)
    twilio_server.set_call_outcome(FAILS, "failed", 0)
    clock = Clock()
    dialer = twilio_dialer(twilio_app, clock, server=twilio_server)
    try:
        for round_ in range(4):
            clock.now = MORNING + timedelta(minutes=10 * round_)
            place_due(dialer)
            place_due(dialer)  # nothing more is due within the same minute
            twilio_server.flush_callbacks()
            rows = calls_by_phone()
            if round_ < 2:
                for phone in (NO_ANSWER, BUSY):
                    assert rows[phone].status == CallStatus.RETRY_PENDING
                    assert rows[phone].next_attempt_at == clock.now + timedelta(minutes=10)
    finally:
        dialer.close()
    assert _placed(twilio_server) == {NO_ANSWER: 3, BUSY: 3, ANSWERS: 1, FAILS: 1}
    rows = calls_by_phone()
    assert {phone: (rows[phone].status, rows[phone].attempts) for phone in rows} == {
        NO_ANSWER: (CallStatus.NO_ANSWER, 3),
        BUSY: (CallStatus.BUSY, 3),
        ANSWERS: (CallStatus.COMPLETED, 1),
        FAILS: (CallStatus.FAILED, 1),
    }
    sids = [a.provider_sid for a in attempts_of(rows[NO_ANSWER])]
    assert len(set(sids)) == 3 and rows[NO_ANSWER].provider_sid == sids[-1]


def test_a_late_callback_of_an_earlier_attempt_changes_only_that_attempt(
    twilio_app, twilio_server, make_contact, region
):
    _launch(make_contact, region, (NO_ANSWER,), retry_interval_minutes=5)
    twilio_server.set_call_outcome(NO_ANSWER, "no-answer", 0)
    clock = Clock()
    dialer = twilio_dialer(twilio_app, clock, server=twilio_server)
    try:
        place_due(dialer)
        twilio_server.flush_callbacks()
        clock.now += timedelta(minutes=5)
        twilio_server.set_call_outcome(NO_ANSWER, "completed", 42)
        place_due(dialer)
    finally:
        dialer.close()
    first, second = attempts_of(calls_by_phone()[NO_ANSWER])
    twilio_server.flush_callbacks()  # the second attempt is answered
    # The first attempt's callbacks come again, late and out of order.
    for status in ("no-answer", "ringing", "initiated"):
        twilio_server.send_status(first.provider_sid, status)
    call = calls_by_phone()[NO_ANSWER]
    assert (call.status, call.attempts, call.duration_seconds) == (CallStatus.COMPLETED, 2, 42)
    assert [a.status for a in attempts_of(call)] == ["no-answer", "completed"]


def test_late_ringing_after_completed_is_ignored(twilio_app, twilio_server, make_contact, region):
    _launch(make_contact, region, (ANSWERS,))
    dialer = twilio_dialer(twilio_app, Clock(), server=twilio_server)
    try:
        place_due(dialer)
    finally:
        dialer.close()
    deliveries = twilio_server.flush_callbacks(order="reverse", duplicate=True)
    assert {d.status_code for d in deliveries} == {204}
    call = calls_by_phone()[ANSWERS]
    assert (call.status, call.duration_seconds, call.attempts) == (CallStatus.COMPLETED, 30, 1)
    [attempt] = attempts_of(call)
    assert attempt.status == "completed"


def test_an_answered_call_is_never_placed_again(twilio_app, twilio_server, make_contact, region):
    _launch(make_contact, region, (ANSWERS,), retry_interval_minutes=1)
    clock = Clock()
    dialer = twilio_dialer(twilio_app, clock, server=twilio_server)
    try:
        place_due(dialer)
        [callback] = [
            c for c in twilio_server.pending_callbacks if c.params["CallStatus"] == "in-progress"
        ]
        sid = callback.sid
        twilio_server.flush_callbacks()
        # A no-answer for the same attempt after it was answered (out of order, or forged by a
        # confused proxy) must not put the call back in the queue.
        twilio_server.send_status(sid, "no-answer")
        clock.now += timedelta(hours=1)
        place_due(dialer)
    finally:
        dialer.close()
    assert _placed(twilio_server) == {ANSWERS: 1}
    assert calls_by_phone()[ANSWERS].status == CallStatus.COMPLETED


def test_a_retry_due_outside_the_window_waits_for_the_next_opening(
    twilio_app, twilio_server, make_contact, region
):
    # 10:30 in Karachi; the window closes at 11:00, so a retry an hour later waits for 09:00.
    _launch(
        make_contact,
        region,
        (BUSY,),
        retry_interval_minutes=60,
        window_start=9 * 60,
        window_end=11 * 60,
    )
    twilio_server.set_call_outcome(BUSY, "busy", 0)
    dialer = twilio_dialer(twilio_app, Clock(), server=twilio_server)
    try:
        place_due(dialer)
    finally:
        dialer.close()
    twilio_server.flush_callbacks()
    call = calls_by_phone()[BUSY]
    assert call.status == CallStatus.RETRY_PENDING
    assert call.next_attempt_at == datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # 09:00 PKT


def test_machine_hangup_ends_the_call_and_counts_as_no_answer(
    app_on_twilio, twilio_server, make_contact, region
):
    twilio_app = app_on_twilio
    _launch(make_contact, region, (ANSWERS,), machine="hangup", retry_max=1)
    twilio_server.set_call_outcome(ANSWERS, "completed", 4, answered_by="machine_end_beep")
    clock = Clock()
    dialer = twilio_dialer(twilio_app, clock, server=twilio_server)
    try:
        place_due(dialer)
        [request] = [r for r in twilio_server.requests if r.is_create]
        assert request.form["MachineDetection"] == "DetectMessageEnd"
        assert request.form["AsyncAmd"] == "true"
        assert (
            request.form["AsyncAmdStatusCallback"] == "http://localhost/webhooks/twilio/voice/amd"
        )
        twilio_server.flush_callbacks()
        sid = request.resource["sid"]
        assert twilio_server.call_updates(sid) == [{"Status": "completed"}]
        call = calls_by_phone()[ANSWERS]
        assert (call.status, call.answered_by) == (CallStatus.RETRY_PENDING, "machine_end_beep")
        clock.now += timedelta(minutes=30)
        place_due(dialer)
        twilio_server.flush_callbacks()
    finally:
        dialer.close()
    assert _placed(twilio_server) == {ANSWERS: 2}
    call = calls_by_phone()[ANSWERS]
    assert (call.status, call.attempts) == (CallStatus.NO_ANSWER, 2)


def test_a_person_answering_with_detection_on_is_left_alone(
    twilio_app, twilio_server, make_contact, region
):
    _launch(make_contact, region, (ANSWERS,), machine="hangup")
    dialer = twilio_dialer(twilio_app, Clock(), server=twilio_server)
    try:
        place_due(dialer)
    finally:
        dialer.close()
    twilio_server.flush_callbacks()
    [call] = twilio_server.calls
    assert twilio_server.call_updates(call["sid"]) == []
    row = calls_by_phone()[ANSWERS]
    assert (row.status, row.answered_by) == (CallStatus.COMPLETED, "human")


def test_a_request_in_doubt_is_interrupted_never_placed_twice_and_its_callbacks_still_count(
    twilio_app, twilio_server, make_contact, region
):
    _launch(make_contact, region, (ANSWERS,))
    twilio_server.hang_seconds = 2
    twilio_server.hang_next(after_create=True, kind="Calls")
    clock = Clock()
    dialer = twilio_dialer(twilio_app, clock, timeout=0.5, server=twilio_server)
    try:
        place_due(dialer)
        assert calls_by_phone()[ANSWERS].status == CallStatus.INTERRUPTED
        clock.now += timedelta(hours=1)
        place_due(dialer)
    finally:
        dialer.close()
    assert _placed(twilio_server) == {ANSWERS: 1}
    twilio_server.flush_callbacks()  # the call did ring: its callbacks name call and attempt
    call = calls_by_phone()[ANSWERS]
    assert (call.status, call.attempts) == (CallStatus.COMPLETED, 1)


def test_a_worker_dying_while_dialing_leaves_the_call_interrupted(
    twilio_app, twilio_server, make_contact, region
):
    _launch(make_contact, region, (ANSWERS,))
    db.session.add(
        WorkerHeartbeat(id="gone", hostname="h", pid=1, started_at=MORNING, beat_at=MORNING)
    )
    db.session.execute(update(Call).values(status=CallStatus.DIALING, claimed_by="gone"))
    db.session.commit()
    clock = Clock(MORNING + timedelta(minutes=5))
    dialer = twilio_dialer(
        twilio_app, clock, server=twilio_server
    )  # its heartbeat recovers the dead worker's claims
    try:
        place_due(dialer)
    finally:
        dialer.close()
    call = calls_by_phone()[ANSWERS]
    assert call.status == CallStatus.INTERRUPTED and "worker stopped" in call.error_message
    assert twilio_server.calls == []


def test_the_sweeper_ends_calls_silent_for_hours(app, make_contact, region):
    _launch(make_contact, region, (ANSWERS, BUSY))
    db.session.execute(
        update(Call).values(status=CallStatus.RINGING, attempts=1, updated_at=MORNING)
    )
    db.session.execute(
        update(Call).where(Call.to_phone == BUSY).values(updated_at=MORNING + timedelta(hours=1))
    )
    assert sweep_silent_calls(db.session, MORNING + timedelta(hours=2, minutes=1)) == 1
    rows = calls_by_phone()
    assert rows[ANSWERS].status == CallStatus.INTERRUPTED
    assert "no status callback" in rows[ANSWERS].error_message
    assert rows[BUSY].status == CallStatus.RINGING


def test_status_callbacks_must_be_signed(client, app, make_contact, region, signed_post):
    _launch(make_contact, region, (ANSWERS,))
    call = calls_by_phone()[ANSWERS]
    db.session.execute(update(Call).values(status=CallStatus.DIALING))
    db.session.commit()
    form = {"CallSid": "CA" + "1" * 32, "CallStatus": "ringing"}
    path = f"/webhooks/twilio/voice/status?c={call.id}&a=1"
    assert client.post(path, data=form).status_code == 403
    assert client.post("/webhooks/twilio/voice/amd", data=form).status_code == 403
    assert calls_by_phone()[ANSWERS].status == CallStatus.DIALING
    assert signed_post(path, form).status_code == 204
    assert calls_by_phone()[ANSWERS].status == CallStatus.RINGING
    # Ids out of range or not numbers change nothing and are no error.
    for bad in ("?c=99999999999999999999&a=1", "?c=x&a=-1", ""):
        response = signed_post("/webhooks/twilio/voice/status" + bad, form)
        assert response.status_code == 204


def test_claims_of_pending_calls_go_back_when_the_worker_is_gone(app, make_contact, region):
    _launch(make_contact, region, (ANSWERS,))
    assert calls.claim_due(db.session, "gone", MORNING, 10)
    db.session.commit()
    released, interrupted = calls.recover_claims(
        db.session, "me", set(), MORNING, timedelta(seconds=30), timedelta(minutes=5)
    )
    assert (released, interrupted) == (1, 0)
