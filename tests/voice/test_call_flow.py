"""An outbound call's menu, key by key, through the signed webhooks as Twilio posts them."""

from __future__ import annotations

from audio_samples import upload
from sqlalchemy import func, select
from support import counted
from voice_campaigns import as_voice

from outreach.extensions import db
from outreach.models import (
    CallbackRequest,
    ConsentEvent,
    ConsentState,
    Contact,
    Response,
    utcnow,
)


def _presses(call_id):
    rows = db.session.execute(
        select(Response).where(Response.call_id == call_id).order_by(Response.id)
    ).scalars()
    return [(r.menu_node, r.text, r.kind, r.channel) for r in rows]


def test_the_call_starts_with_the_start_node_in_the_contacts_language(
    voice_menus, voice_campaign, make_contact, make_call, answered
):
    contact = make_contact(language="ur")
    call = make_call(contact, voice_campaign)
    walker, heard = answered(call)
    assert heard.status == 200
    assert heard.texts == ["[ur] intro MRC Islamabad"]
    assert heard.gather.endswith(f"/webhooks/twilio/voice/call/{call.id}/start?tries=0")
    assert _presses(call.id) == []  # answering presses nothing


def test_keys_lead_through_the_menu_and_each_press_is_recorded(
    voice_menus, voice_campaign, make_contact, make_call, answered
):
    contact = make_contact(language="en")
    call = make_call(contact, voice_campaign)
    walker, heard = answered(call)
    heard = walker.press(heard, "1")
    assert heard.texts == ["[en] risks MRC Islamabad"]
    heard = walker.press(heard, "1")
    assert heard.texts == ["[en] smuggling MRC Islamabad"]
    heard = walker.press(heard, "#")  # back to where the caller came from
    assert heard.texts == ["[en] risks MRC Islamabad"]
    heard = walker.press(heard, "*")
    assert heard.texts == ["[en] risks MRC Islamabad"]
    assert _presses(call.id) == [
        ("start", "1", "answer", "ivr"),
        ("risks", "1", "answer", "ivr"),
        ("smuggling", "#", "answer", "ivr"),
        ("risks", "*", "answer", "ivr"),
    ]
    response = db.session.execute(select(Response)).scalars().first()
    assert (response.campaign_id, response.contact_id) == (voice_campaign.id, contact.id)


def test_a_key_press_reads_the_call_with_its_recordings_then_writes_the_press(
    voice_menus, voice_campaign, make_contact, make_call, answered
):
    call = make_call(make_contact(language="en"), voice_campaign)
    walker, heard = answered(call)
    with counted() as seen:
        heard = walker.press(heard, "1")
    assert heard.texts == ["[en] risks MRC Islamabad"]
    # The call with its contact, topic, MRC and recordings; the key press.
    assert seen["statements"] == ["SELECT", "INSERT"], seen
    assert seen["commits"] == 1


def test_the_next_prompt_plays_its_upload_in_the_callers_language_read_with_the_call(
    voice_menus, voice_campaign, make_contact, make_call, answered
):
    risks_ur = upload((voice_menus.TOPIC, "risks", "ur"))
    upload((voice_menus.TOPIC, "risks", "en"))  # another language: not this caller's
    upload((voice_menus.TOPIC, "smuggling", "ur"), seconds=2.0)
    goodbye_ur = upload(("common", "goodbye", "ur"))
    call = make_call(make_contact(language="ur"), voice_campaign)
    walker, heard = answered(call)
    with counted() as seen:
        heard = walker.press(heard, "1")
    assert heard.spoken == [("play", f"http://localhost/audio/{risks_ur.sha256}.wav")]
    assert seen["statements"] == ["SELECT", "INSERT"], seen
    for _ in range(3):  # silence, twice replayed, then the common goodbye
        heard = walker.press(heard, "")
    assert heard.spoken == [("play", f"http://localhost/audio/{goodbye_ur.sha256}.wav")]
    assert heard.hangup


def test_back_at_the_start_replays_the_start(
    voice_menus, voice_campaign, make_contact, make_call, answered
):
    call = make_call(make_contact(language="en"), voice_campaign)
    walker, heard = answered(call)
    assert walker.press(heard, "#").texts == ["[en] intro MRC Islamabad"]


def test_nine_asks_for_a_call_back_in_the_contacts_mrc(
    voice_menus, make_campaign, make_contact, make_call, answered
):
    campaign = as_voice(make_campaign(regions=("kg-osh",), topic=voice_menus.TOPIC))
    contact = make_contact(region_code="kg-osh", phone="+996555123456", language="ky")
    call = make_call(contact, campaign)
    walker, heard = answered(call)
    heard = walker.press(heard, "9")
    assert heard.texts[0].startswith("[ky] callback requested")
    assert heard.gather  # the menu goes on; the caller may listen further
    request = db.session.execute(select(CallbackRequest)).scalar_one()
    assert request.contact_id == contact.id
    assert request.region_id == contact.region_id
    assert request.channel == "ivr"
    assert request.campaign_id == campaign.id
    [(node, key, kind, _)] = _presses(call.id)
    assert (node, key, kind) == ("start", "9", "callback")
    assert request.response_id == db.session.execute(select(Response.id)).scalar_one()


def test_zero_then_one_opts_out_and_ends_the_call(
    voice_menus, voice_campaign, make_contact, make_call, answered
):
    contact = make_contact(language="ru", phone="+992900000001", region_code="tj-dyu")
    call = make_call(contact, voice_campaign)
    walker, heard = answered(call)
    heard = walker.press(heard, "0")
    assert heard.texts == ["[ru] opt out confirm MRC Dushanbe"]
    assert "confirm=1" in heard.gather
    heard = walker.press(heard, "1")
    assert heard.texts[0].startswith("[ru] opted out")
    assert heard.hangup and heard.gather is None
    db.session.expire_all()
    contact = db.session.get(Contact, contact.id)
    assert contact.consent == ConsentState.OPTED_OUT
    event = db.session.execute(select(ConsentEvent).order_by(ConsentEvent.id)).scalars().all()[-1]
    assert (event.action, event.channel) == ("opt_out", "ivr")
    assert [p[1:3] for p in _presses(call.id)] == [("0", "answer"), ("1", "opt_out")]


def test_zero_then_silence_or_another_key_does_not_opt_out(
    voice_menus, voice_campaign, make_contact, make_call, answered
):
    contact = make_contact(language="en")
    call = make_call(contact, voice_campaign)
    walker, heard = answered(call)
    heard = walker.press(walker.press(heard, "1"), "0")
    heard = walker.press(heard, "")  # silence
    assert heard.texts == ["[en] opt out cancelled MRC Islamabad", "[en] risks MRC Islamabad"]
    heard = walker.press(walker.press(heard, "0"), "5")
    assert heard.texts[0].startswith("[en] opt out cancelled")
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).consent == ConsentState.OPTED_IN
    kinds = [p[2] for p in _presses(call.id)]
    assert "opt_out" not in kinds


def test_a_wrong_key_and_silence_replay_then_goodbye(
    voice_menus, voice_campaign, make_contact, make_call, answered
):
    call = make_call(make_contact(language="en"), voice_campaign)
    walker, heard = answered(call)
    heard = walker.press(heard, "7")  # no such key at the start
    assert heard.texts == ["[en] not understood MRC Islamabad", "[en] intro MRC Islamabad"]
    assert heard.gather.endswith("tries=1")
    heard = walker.press(heard, "")
    assert heard.texts == ["[en] not understood MRC Islamabad", "[en] intro MRC Islamabad"]
    assert heard.gather.endswith("tries=2")
    heard = walker.press(heard, "")
    assert heard.texts == ["[en] goodbye MRC Islamabad"]
    assert heard.hangup and heard.gather is None
    # The wrong key is kept (as not understood); silence is no key press.
    assert [p[1:3] for p in _presses(call.id)] == [("7", "unrecognised")]


def test_a_call_where_nothing_is_pressed_has_no_key_presses(
    voice_menus, voice_campaign, make_contact, make_call, answered
):
    call = make_call(make_contact(), voice_campaign)
    walker, heard = answered(call)
    for _ in range(3):
        heard = walker.press(heard, "")
    assert heard.hangup
    assert db.session.execute(select(func.count(Response.id))).scalar_one() == 0


def test_an_opt_out_by_sms_during_the_call_ends_the_menu(
    voice_menus, voice_campaign, make_contact, make_call, answered, signed_post
):
    contact = make_contact(language="en")
    call = make_call(contact, voice_campaign)
    walker, heard = answered(call)
    # STOP arrives by SMS while the person listens: the slow case, between two key presses.
    stop = {"MessageSid": "SM" + "1" * 32, "From": contact.phone, "To": "+1", "Body": "STOP"}
    assert signed_post("/webhooks/twilio/sms", stop).status_code == 200
    heard = walker.press(heard, "1")
    assert heard.texts == ["[en] goodbye MRC Islamabad"] and heard.hangup
    assert _presses(call.id) == []  # nothing more is taken from an opted-out person


def test_the_guard_is_in_the_insert(voice_menus, voice_campaign, make_contact, make_call):
    """The consent read at the start of a request is no promise: the INSERT checks again."""
    from outreach.voice.keypress import read_call, record_key

    contact = make_contact()
    call = make_call(contact, voice_campaign)
    context = read_call(db.session, call.id)
    assert context.reachable
    db.session.execute(
        Contact.__table__.update()
        .where(Contact.id == contact.id)
        .values(consent=ConsentState.OPTED_OUT)
    )
    assert record_key(db.session, context, "start", "1", "answer", utcnow()) is None
    assert db.session.execute(select(func.count(Response.id))).scalar_one() == 0


def test_an_unsigned_key_press_is_refused_and_writes_nothing(
    voice_menus, voice_campaign, make_contact, make_call, client
):
    call = make_call(make_contact(), voice_campaign)
    path = f"/webhooks/twilio/voice/call/{call.id}/start?tries=0"
    form = {"CallSid": call.provider_sid, "Digits": "9"}
    assert client.post(path, data=form).status_code == 403
    bad = client.post(path, data=form, headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
    assert bad.status_code == 403
    assert db.session.execute(select(func.count(Response.id))).scalar_one() == 0
    assert db.session.execute(select(func.count(CallbackRequest.id))).scalar_one() == 0


def test_a_call_that_does_not_exist_hangs_up(app, phone):
    walker = phone()
    base = app.config["PUBLIC_BASE_URL"] + "/webhooks/twilio/voice/call/"
    heard = walker.post(base + "999999")
    assert heard.status == 200 and heard.hangup
    assert walker.post(base + str(10**20)).status == 404  # no id can be that large
