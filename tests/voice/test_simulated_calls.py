"""The phone simulator's calls, service by service: a call placed with the simulator provider
rings, is answered, follows the app's TwiML through the signed webhooks and reports the
statuses Twilio would; an MRC's number can be rung as an unknown or a known caller."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from support import MORNING
from voice_dialing import ring_through_the_simulator

from outreach.extensions import db
from outreach.messaging import simulated_calls
from outreach.messaging.simulated_calls import Ringing, read_screen
from outreach.messaging.simulator import SimulatorProvider, in_process_delivery
from outreach.models import (
    Call,
    CallAttempt,
    CallbackRequest,
    CallStatus,
    ConsentState,
    Contact,
    Response,
)
from outreach.voice.simulated import ringing_calls, transcript

BASE = "http://localhost"
HOTLINE = BASE + "/webhooks/twilio/voice"
STATUS = BASE + "/webhooks/twilio/voice/status"


class Recorder:
    """The in-process delivery, keeping each (url, form) it posted."""

    def __init__(self, app, staff_user_id=None) -> None:
        self.inner = in_process_delivery(app, staff_user_id)
        self.posted: list[tuple[str, dict]] = []

    def __call__(self, url, params, headers):
        self.posted.append((url, dict(params)))
        return self.inner(url, params, headers)

    def statuses(self) -> list[str]:
        return [form["CallStatus"] for url, form in self.posted if "/voice/status" in url]


def _ringing_call(app, region, hotline_region, make_contact, language="ky", machine=None):
    """A voice campaign's call placed with the simulator provider, ringing at the contact."""
    hotline_region("kg-osh", "menu", "+996312000000")
    person = make_contact("kg-osh", phone="+996555123456", language=language)
    ring_through_the_simulator(app, region, "simulated", machine=machine)
    [found] = ringing_calls(db.session, person.phone, app.config)
    return person, found


def _as_ringing(found) -> Ringing:
    call = found.call
    return Ringing(
        call.provider_sid,
        call.id,
        call.contact_id,
        call.to_phone,
        call.from_phone,
        found.url,
        found.status_callback,
        found.amd_callback,
    )


def test_a_simulated_call_rings_is_answered_takes_keys_and_reports_completed(
    app, region, voice_menus, hotline_region, make_contact
):
    person, found = _ringing_call(app, region, hotline_region, make_contact)
    assert found.call.status == CallStatus.RINGING
    assert found.url == f"{BASE}/webhooks/twilio/voice/call/{found.call.id}"
    recorder = Recorder(app)
    phone = SimulatorProvider(app.config, deliver=recorder)

    call = simulated_calls.answer(phone, _as_ringing(found), MORNING)
    assert recorder.statuses() == ["in-progress"]
    assert call.screen.said == [("say", "[ky] intro MRC Osh")]
    assert call.screen.gather.startswith(f"{BASE}/webhooks/twilio/voice/call/{found.call.id}/")
    db.session.expire_all()
    assert db.session.get(Call, found.call.id).status == CallStatus.IN_PROGRESS

    call = simulated_calls.press(phone, call, "1", MORNING + timedelta(seconds=5))
    assert call.screen.said == [("say", "[ky] risks MRC Osh")]
    call = simulated_calls.press(phone, call, "9", MORNING + timedelta(seconds=9))
    assert call.screen.said[0] == ("say", "[ky] callback requested MRC Osh")
    request = db.session.execute(select(CallbackRequest)).scalar_one()
    assert (request.contact_id, request.channel) == (person.id, "ivr")
    presses = db.session.execute(select(Response.menu_node, Response.text)).all()
    assert sorted(presses) == [("risks", "9"), ("start", "1")]

    call = simulated_calls.hang_up(phone, call, MORNING + timedelta(seconds=42))
    assert (call.status, call.duration, call.pressed) == ("completed", 42, "19")
    assert recorder.statuses() == ["in-progress", "completed"]
    db.session.expire_all()
    row = db.session.get(Call, found.call.id)
    assert (row.status, row.duration_seconds) == (CallStatus.COMPLETED, 42)
    attempt = db.session.execute(select(CallAttempt)).scalar_one()
    assert attempt.status == CallStatus.COMPLETED
    # Every post was signed and took the webhooks' own path: nothing was refused.
    assert all("CallSid" in form for _, form in recorder.posted)


def test_silence_replays_then_the_goodbye_ends_the_call_as_completed(
    app, region, voice_menus, hotline_region, make_contact
):
    _, found = _ringing_call(app, region, hotline_region, make_contact, language="ru")
    recorder = Recorder(app)
    phone = SimulatorProvider(app.config, deliver=recorder)
    call = simulated_calls.answer(phone, _as_ringing(found), MORNING)
    for _ in range(2):
        call = simulated_calls.press(phone, call, "", MORNING)
        assert call.screen.said[0] == ("say", "[ru] not understood MRC Osh")
        assert not call.over
    call = simulated_calls.press(phone, call, "", MORNING + timedelta(seconds=30))
    assert call.screen.said == [("say", "[ru] goodbye MRC Osh")]
    assert (call.status, call.screen.end, call.duration) == ("completed", "hangup", 30)
    assert recorder.statuses() == ["in-progress", "completed"]
    assert db.session.execute(select(Response)).first() is None  # silence is no answer


def test_letting_it_ring_out_is_a_no_answer_that_waits_for_its_retry(
    app, region, voice_menus, hotline_region, make_contact
):
    _, found = _ringing_call(app, region, hotline_region, make_contact)
    recorder = Recorder(app)
    simulated_calls.ring_out(
        SimulatorProvider(app.config, deliver=recorder), _as_ringing(found), MORNING
    )
    assert recorder.statuses() == ["no-answer"]
    db.session.expire_all()
    row = db.session.get(Call, found.call.id)
    assert row.status == CallStatus.RETRY_PENDING  # the campaign retries twice
    assert ringing_calls(db.session, found.call.to_phone, app.config) == []


def test_an_unknown_caller_rings_the_hotline_and_the_call_completes_by_its_sid(
    app, voice_menus, hotline_region
):
    region = hotline_region("kg-osh", "menu", "+996312000000")
    recorder = Recorder(app)
    phone = SimulatorProvider(app.config, deliver=recorder)
    call = simulated_calls.dial(
        phone, HOTLINE, "+447700900123", region.sender_number, STATUS, BASE, MORNING
    )
    assert [text for _, text in call.screen.said] == [
        "[ky] for ky press 7",
        "[ru] for ru press 6",
        "[uz] for uz press 8",
    ]
    first = recorder.posted[0][1]
    assert (first["From"], first["To"], first["Direction"]) == (
        "+447700900123",
        region.sender_number,
        "inbound",
    )
    call = simulated_calls.press(phone, call, "6", MORNING)
    assert call.screen.said[0] == ("say", "[ru] hotline welcome MRC Osh")
    contact = db.session.execute(select(Contact)).scalar_one()
    assert (contact.consent, contact.language) == (ConsentState.NONE, "ru")
    call = simulated_calls.hang_up(phone, call, MORNING + timedelta(seconds=12))
    # Twilio posts an inbound call's status to the number's callback, with no query string.
    assert recorder.posted[-1][0] == STATUS
    db.session.expire_all()
    row = db.session.execute(select(Call)).scalar_one()
    assert (row.direction, row.status, row.duration_seconds) == ("inbound", "completed", 12)


def test_a_missed_call_is_rejected_as_busy_and_asks_for_a_call_back(
    app, voice_menus, hotline_region, make_contact
):
    region = hotline_region("kg-osh", "missed_call", "+996312000000")
    person = make_contact("kg-osh", language="ky")
    recorder = Recorder(app)
    phone = SimulatorProvider(app.config, deliver=recorder)
    call = simulated_calls.dial(
        phone, HOTLINE, person.phone, region.sender_number, STATUS, BASE, MORNING, person.id
    )
    assert (call.status, call.screen.end, call.duration) == ("busy", "reject", 0)
    assert recorder.statuses() == ["busy"]
    request = db.session.execute(select(CallbackRequest)).scalar_one()
    assert (request.contact_id, request.channel) == (person.id, "missed_call")


def test_the_simulator_never_posts_outside_the_apps_voice_webhooks(app, voice_menus):
    recorder = Recorder(app)
    phone = SimulatorProvider(app.config, deliver=recorder)
    call = simulated_calls.dial(
        phone, "http://elsewhere.example/hook", "+447700900001", "+1", STATUS, BASE, MORNING
    )
    assert call.screen.end == "error"
    assert [url for url, _ in recorder.posted] == [STATUS]  # only the call's end is reported


def test_twiml_is_read_as_twilio_reads_it():
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/next?tries=1" '
        'numDigits="1"><Say>Hello</Say><Play>http://h/audio/x.wav</Play></Gather>'
        "<Redirect>/again</Redirect></Response>"
    )
    screen, redirect = read_screen(xml, "http://h/webhooks/twilio/voice/call/1")
    assert screen.said == [("say", "Hello"), ("play", "http://h/audio/x.wav")]
    assert screen.gather == "http://h/next?tries=1"
    assert screen.on_silence == "/again"  # no actionOnEmptyResult: silence runs on
    assert redirect is None and screen.end is None
    screen, redirect = read_screen(
        "<Response><Say>Bye</Say><Redirect>/x</Redirect></Response>", "http://h/a/b"
    )
    assert (screen.said, redirect) == ([("say", "Bye")], "http://h/x")
    screen, _ = read_screen('<Response><Reject reason="busy"/></Response>', "http://h/")
    assert screen.end == "reject"


def test_a_played_recording_shows_its_prompt_text(app, hotline_region):
    hotline_region("kg-osh", "menu", "+996312000000")
    recorder = Recorder(app)
    phone = SimulatorProvider(app.config, deliver=recorder)
    call = simulated_calls.dial(
        phone, HOTLINE, "+447700900124", "+996312000000", STATUS, BASE, MORNING
    )
    plays = [url for verb, url in call.screen.said if verb == "play"]
    assert plays, call.screen.said  # the shipped placeholders are played with the simulator
    fields = {"mrc_name": "MRC Osh", "mrc_phone": ""}
    russian = transcript(db.session, plays[1], "ru", fields, app.config)
    assert russian is not None and russian.placeholder
    assert russian.texts == ("Для русского языка нажмите 6.",)
    assert (
        transcript(db.session, "http://localhost/audio/nothing.wav", "ru", {}, app.config) is None
    )


def test_with_machine_detection_the_simulator_answers_as_a_person(
    app, region, voice_menus, hotline_region, make_contact
):
    _, found = _ringing_call(app, region, hotline_region, make_contact, machine="message")
    assert found.amd_callback == BASE + "/webhooks/twilio/voice/amd"
    recorder = Recorder(app)
    phone = SimulatorProvider(app.config, deliver=recorder)
    call = simulated_calls.answer(phone, _as_ringing(found), MORNING)
    assert recorder.posted[-1][0] == found.amd_callback
    assert recorder.posted[-1][1]["AnsweredBy"] == "human"
    assert call.screen.said == [("say", "[ky] intro MRC Osh")] and not call.over
    db.session.expire_all()
    row = db.session.get(Call, found.call.id)
    assert (row.status, row.answered_by) == (CallStatus.IN_PROGRESS, "human")
