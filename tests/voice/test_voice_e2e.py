"""Voice campaigns end to end with the Twilio provider: the real twilio SDK against the local
Twilio-compatible server, a Twilio-like caller answering the placed calls at their `Url`.

- Launch is refused with the exact list of prompts missing audio (409 `missing_audio`), then
  allowed once the recordings are uploaded through the API.
- Twenty contacts in three languages: each call placed once; `9` asks for a call-back in the
  caller's own MRC; `0`,`1` opts out and nothing later reaches that person (no call, no SMS);
  `0` then silence does not; a wrong key and silence replay, then goodbye and `<Hangup/>`; the
  statuses Twilio posts back are stored; a person who pressed nothing is `completed` with no
  key presses and adds none to the campaign's count.
- The first sentence a real HIV-testing call speaks (en, ru) does not name HIV.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

from audio_samples import wav_bytes
from sqlalchemy import select
from support import MORNING
from voice_dialing import (
    MIGRATION_PROMPTS,
    Clock,
    calls_by_phone,
    place_due,
    twilio_dialer,
    voice_campaign,
)
from walker import Walker

from outreach.campaigns.scheduling import fire_due_campaigns
from outreach.content import get_topic, load_common
from outreach.extensions import db
from outreach.messaging.provider import webhook_auth_token
from outreach.models import (
    CallbackRequest,
    CallStatus,
    ConsentState,
    Contact,
    Message,
    Response,
)

TOPIC = "irregular-migration"
HIV_WORDS = re.compile(r"hiv|aids|вич|спид", re.IGNORECASE)


def put_audio(coordinator, url: str, data: bytes):
    headers = {**coordinator.headers, "Content-Type": "audio/wav"}
    return coordinator.client.put(url, data=data, headers=headers)


def test_launch_is_refused_with_the_exact_missing_list_then_allowed_after_uploads(
    twilio_app, twilio_server, api, make_user, make_contact
):
    for language in ("en", "ru", "ur", "ur"):
        make_contact("pk-isb", language=language)
    coordinator = api(make_user("coordinator", ["pk-isb"]))
    body = {"name": "Safe migration by phone", "topic": TOPIC, "channel": "voice"}
    created = coordinator.post("/api/v1/campaigns", json={**body, "regions": ["pk-isb"]})
    assert created.status_code == 201, created.get_json()
    # English and Russian have text-to-speech voices; the shipped Urdu placeholders do not count.
    expected = [
        {"language": "ur", "topic": topic, "prompt": name}
        for topic, name in sorted(MIGRATION_PROMPTS)
    ]
    assert created.get_json()["prompts"]["missing"] == expected
    launch = f"/api/v1/campaigns/{created.get_json()['id']}/launch"

    refused = coordinator.post(launch)
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert (error["code"], error["details"]) == ("missing_audio", expected)

    for item in expected[:-1]:
        url = f"/api/v1/prompts/{item['topic']}/{item['prompt']}/ur"
        assert put_audio(coordinator, url, wav_bytes(0.4)).status_code == 200
    still = coordinator.post(launch)
    assert still.status_code == 409
    assert still.get_json()["error"]["details"] == expected[-1:]

    last = expected[-1]
    uploaded = put_audio(
        coordinator, f"/api/v1/prompts/{last['topic']}/{last['prompt']}/ur", wav_bytes(0.4)
    )
    assert uploaded.get_json()["recording"] == "uploaded"
    launched = coordinator.post(launch)
    assert launched.status_code == 200, launched.get_json()
    assert launched.get_json()["status"] == "running"
    assert twilio_server.requests == []  # launching places nothing by itself


# -- twenty people, three languages, two MRCs --------------------------------------------------

PEOPLE = (
    [("pk-isb", "ur", f"+92300400{i:04d}") for i in range(7)]
    + [("pk-isb", "en", f"+92300500{i:04d}") for i in range(6)]
    + [("kg-osh", "ru", f"+996700{i:06d}") for i in range(7)]
)


def _presses(call_id: int) -> list[tuple[str, str, str]]:
    rows = db.session.execute(
        select(Response).where(Response.call_id == call_id).order_by(Response.id)
    ).scalars()
    return [(r.menu_node, r.text, str(r.kind)) for r in rows]


class Line:
    """One placed call, as the local server holds it: answer it and walk it like Twilio."""

    def __init__(self, app, server, request, call):
        self.app, self.server, self.call = app, server, call
        self.url = request.form["Url"]
        self.sid = request.resource["sid"]
        token = webhook_auth_token(app.config)
        self.walker = Walker(app.test_client(), token, call.to_phone, call.from_phone, self.sid)

    def answer(self):
        """Twilio reports the call answered, then fetches its TwiML (the first thing heard)."""
        self.server.flush_until(self.sid, "in-progress")
        db.session.expire_all()
        return self.walker.post(self.url)

    def hang_up(self) -> None:
        """The caller hangs up: Twilio reports `completed`."""
        self.server.flush_callbacks(sid=self.sid)


def test_twenty_calls_in_three_languages_placed_once_and_answered_like_twilio(
    twilio_app, twilio_server, make_contact, make_campaign, region, api, make_user
):
    people = [make_contact(code, phone=phone, language=lang) for code, lang, phone in PEOPLE]
    campaign = voice_campaign(region, regions=("pk-isb", "kg-osh"))
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    dialer = twilio_dialer(twilio_app, Clock(), server=twilio_server)
    try:
        place_due(dialer)
        place_due(dialer)  # nothing is placed twice
    finally:
        dialer.close()
    assert Counter(c["to"] for c in twilio_server.calls) == Counter(p.phone for p in people)
    rows = calls_by_phone()
    creates = {r.form["To"]: r for r in twilio_server.requests if r.is_create}
    lines = {
        p.phone: Line(twilio_app, twilio_server, creates[p.phone], rows[p.phone]) for p in people
    }
    ur_caller, en_wrong, en_quitter, en_silent_zero = people[0], people[7], people[8], people[9]
    ru_caller, silent = people[13], people[1]

    # 9 in Urdu (Islamabad) and in Russian (Osh): a call-back request in each caller's own MRC.
    for person in (ur_caller, ru_caller):
        line = lines[person.phone]
        heard = line.answer()
        assert heard.gather and heard.spoken
        after = line.walker.press(heard, "9")
        assert after.gather  # the menu goes on after "an MRC counsellor will call you back"
        line.hang_up()
    requests = {r.contact_id: r for r in db.session.execute(select(CallbackRequest)).scalars()}
    assert set(requests) == {ur_caller.id, ru_caller.id}
    assert requests[ur_caller.id].region_id == region("pk-isb").id
    assert requests[ru_caller.id].region_id == region("kg-osh").id
    assert {r.campaign_id for r in requests.values()} == {campaign.id}

    # A wrong key and silence each replay the start, then silence again says goodbye.
    english = {
        name: load_common().prompts[name].texts["en"] for name in ("not_understood", "goodbye")
    }
    line = lines[en_wrong.phone]
    first = line.answer()
    wrong = next(k for k in "12345678" if k not in get_topic(TOPIC).voice.nodes["start"].keys)
    replay = line.walker.press(first, wrong)
    assert replay.texts[0] == english["not_understood"]
    assert replay.spoken[1:] == first.spoken and replay.gather.endswith("tries=1")
    replay = line.walker.press(replay, "")
    assert replay.texts[0] == english["not_understood"]
    assert replay.spoken[1:] == first.spoken and replay.gather.endswith("tries=2")
    end = line.walker.press(replay, "")
    assert end.texts == [english["goodbye"]]
    assert end.hangup and end.gather is None and end.xml.rstrip().endswith("<Hangup /></Response>")
    line.hang_up()

    # 0 then silence: not opted out, the menu goes on.
    line = lines[en_silent_zero.phone]
    confirm = line.walker.press(line.answer(), "0")
    assert "confirm=1" in confirm.gather
    cancelled = line.walker.press(confirm, "")
    assert cancelled.gather and not cancelled.hangup
    line.hang_up()

    # 0, 1: opted out, told so, and the call ends.
    line = lines[en_quitter.phone]
    out = line.walker.press(line.walker.press(line.answer(), "0"), "1")
    assert out.hangup and out.gather is None
    line.hang_up()

    # Answered, listened, pressed nothing, hung up.
    line = lines[silent.phone]
    assert line.answer().gather
    assert calls_by_phone()[silent.phone].status == CallStatus.IN_PROGRESS  # "answered" stored
    line.hang_up()

    twilio_server.flush_callbacks()  # everyone else listens and hangs up
    rows = calls_by_phone()
    assert {c.status for c in rows.values()} == {CallStatus.COMPLETED}
    assert {c.duration_seconds for c in rows.values()} == {30}
    assert all(c.attempts == 1 and c.answered_at is not None for c in rows.values())
    assert _presses(rows[silent.phone].id) == []

    db.session.expire_all()
    consent = {p.id: db.session.get(Contact, p.id).consent for p in people}
    assert consent[en_quitter.id] == ConsentState.OPTED_OUT
    assert consent[en_silent_zero.id] == ConsentState.OPTED_IN
    assert [c for c in consent.values() if c != ConsentState.OPTED_IN] == [ConsentState.OPTED_OUT]
    assert [p[1:] for p in _presses(rows[en_quitter.phone].id)] == [
        ("0", "answer"),
        ("1", "opt_out"),
    ]
    assert "opt_out" not in [p[2] for p in _presses(rows[en_silent_zero.phone].id)]

    coordinator = api(make_user("coordinator", ["pk-isb", "kg-osh"]))
    stats = coordinator.get(f"/api/v1/campaigns/{campaign.id}").get_json()["stats"]
    all_presses = (
        db.session.execute(
            select(Response).where(Response.campaign_id == campaign.id, Response.channel == "ivr")
        )
        .scalars()
        .all()
    )
    assert stats["key_presses"] == len(all_presses) > 0
    assert {r.call_id for r in all_presses} == {
        rows[p.phone].id for p in (ur_caller, ru_caller, en_wrong, en_silent_zero, en_quitter)
    }
    assert (stats["audience"], stats["completed"]) == (20, 20)
    assert (stats["callbacks"], stats["opt_outs"]) == (2, 1)

    # Afterwards: a second voice campaign and an SMS campaign reach everyone else, not them.
    later = MORNING + timedelta(days=1)
    voice_campaign(region, regions=("pk-isb", "kg-osh"), name="Again by phone", next_run_at=later)
    sms = make_campaign(regions=("pk-isb", "kg-osh"), next_run_at=later)
    fire_due_campaigns(db.session, later)
    db.session.commit()
    dialer = twilio_dialer(twilio_app, Clock(later), server=twilio_server)
    try:
        place_due(dialer)
    finally:
        dialer.close()
    second_round = Counter(c["to"] for c in twilio_server.calls[20:])
    assert second_round == Counter(p.phone for p in people if p is not en_quitter)
    texted = db.session.execute(
        select(Message.to_phone).where(Message.campaign_id == sms.id)
    ).scalars()
    assert sorted(texted) == sorted(p.phone for p in people if p is not en_quitter)
    # Nor anything else: the call-back acknowledgements went to the two who pressed 9.
    everything = db.session.execute(select(Message.to_phone)).scalars().all()
    assert en_quitter.phone not in everything


def test_the_first_sentence_of_a_real_hiv_testing_call_does_not_name_hiv(
    twilio_app, twilio_server, make_contact, region
):
    english = make_contact("pk-isb", phone="+923007000001", language="en")
    russian = make_contact("kg-osh", phone="+996700700001", language="ru")
    voice_campaign(region, regions=("pk-isb", "kg-osh"), topic="hiv-testing")
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    dialer = twilio_dialer(twilio_app, Clock(), server=twilio_server)
    try:
        place_due(dialer)
    finally:
        dialer.close()
    creates = {r.form["To"]: r for r in twilio_server.requests if r.is_create}
    rows = calls_by_phone()
    for person, health in ((english, "health services"), (russian, "медицинск")):
        line = Line(twilio_app, twilio_server, creates[person.phone], rows[person.phone])
        heard = line.answer()
        # Twilio speaks English and Russian itself: the first verb is the <Say> of the start.
        assert heard.spoken[0][0] == "say", heard.xml
        spoken = heard.spoken[0][1]
        first_sentence = re.split(r"(?<=[.!?])\s", spoken, maxsplit=1)[0]
        assert not HIV_WORDS.search(heard.xml), heard.xml
        assert health in first_sentence.lower(), first_sentence
        # The details follow key 1 only, and then they do name it.
        details = line.walker.press(heard, "1")
        assert HIV_WORDS.search(" ".join(details.texts)), details.xml
        line.hang_up()
