"""Calls to an MRC's number: the hotline menu, missed calls, and a closed hotline."""

from __future__ import annotations

from audio_samples import upload
from sqlalchemy import func, select

from outreach.campaigns.fanout import audience_filter
from outreach.extensions import db
from outreach.models import Call, CallbackRequest, ConsentState, Contact, Response

HOTLINE = "/webhooks/twilio/voice"


def _ring(app, phone, caller, to, sid=None):
    walker = phone(caller, to, sid)
    return walker, walker.post(app.config["PUBLIC_BASE_URL"] + HOTLINE)


def test_an_unknown_caller_chooses_a_language_and_becomes_a_contact_with_no_consent(
    app, phone, voice_menus, hotline_region, make_campaign
):
    region = hotline_region("kg-osh", "menu", "+996312000000")
    walker, heard = _ring(app, phone, "+996555000111", region.sender_number)
    # Each choice in its own language, with the key that language has on every hotline
    # (English 1 … Russian 6, Kyrgyz 7, Uzbek 8), so a recorded choice is right everywhere.
    assert heard.texts == ["[ky] for ky press 7", "[ru] for ru press 6", "[uz] for uz press 8"]
    contact = db.session.execute(select(Contact)).scalar_one()
    assert (contact.phone, contact.region_id) == ("+996555000111", region.id)
    assert contact.consent == ConsentState.NONE
    call = db.session.execute(select(Call)).scalar_one()
    assert (call.direction, call.status, call.contact_id) == ("inbound", "in-progress", contact.id)
    heard = walker.press(heard, "6")
    assert heard.texts == ["[ru] hotline welcome MRC Osh", "[ru] hotline topics MRC Osh"]
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).language == "ru"
    heard = walker.press(heard, "1")  # the first topic with a voice menu
    assert heard.texts == ["[ru] intro MRC Osh"]
    heard = walker.press(heard, "9")
    assert heard.texts[0] == "[ru] callback requested MRC Osh"
    request = db.session.execute(select(CallbackRequest)).scalar_one()
    assert (request.channel, request.region_id, request.contact_id) == (
        "hotline",
        region.id,
        contact.id,
    )
    # Someone who only called is never in a campaign's audience until they opt in.
    campaign = make_campaign(regions=("kg-osh",))
    audience = select(func.count(Contact.id)).where(audience_filter(campaign))
    assert db.session.execute(audience).scalar_one() == 0


def test_uploads_play_at_every_step_of_a_new_callers_hotline_call(
    app, phone, voice_menus, hotline_region
):
    # The choice of language, the welcome in the language just chosen and the first prompt of
    # a topic just chosen are read one by one; the menu after that with the call.
    region = hotline_region("kg-osh", "menu", "+996312000000")
    uploads = {
        key: upload(key)
        for key in (
            ("common", "language_choice", "uz"),
            ("common", "hotline_welcome", "ru"),
            (voice_menus.TOPIC, "intro", "ru"),
            ("common", "callback_requested", "ru"),
            ("common", "callback_requested", "ky"),  # not the language chosen
        )
    }

    def played(topic, prompt, language):
        return ("play", f"http://localhost/audio/{uploads[topic, prompt, language].sha256}.wav")

    walker, heard = _ring(app, phone, "+996555000111", region.sender_number)
    assert heard.spoken[2] == played("common", "language_choice", "uz")
    heard = walker.press(heard, "6")
    assert heard.spoken[0] == played("common", "hotline_welcome", "ru")
    heard = walker.press(heard, "1")
    assert heard.spoken == [played(voice_menus.TOPIC, "intro", "ru")]
    heard = walker.press(heard, "9")
    assert heard.spoken[0] == played("common", "callback_requested", "ru")


def test_a_known_caller_hears_their_language_at_once(
    app, phone, voice_menus, hotline_region, make_contact
):
    region = hotline_region("pk-isb", "menu", "+925111110000")
    contact = make_contact(language="ps")
    walker, heard = _ring(app, phone, contact.phone, region.sender_number)
    assert heard.texts == [
        "[ps] hotline welcome MRC Islamabad",
        "[ps] hotline topics MRC Islamabad",
    ]
    heard = walker.press(heard, "1")
    heard = walker.press(heard, "1")
    assert heard.texts == ["[ps] risks MRC Islamabad"]
    rows = db.session.execute(select(Response.menu_node, Response.text)).all()
    assert [tuple(r) for r in rows] == [("hotline", "1"), ("start", "1")]


def test_the_same_call_delivered_twice_is_one_call(app, phone, voice_menus, hotline_region):
    region = hotline_region()
    _ring(app, phone, "+923009999999", region.sender_number, sid="CA" + "7" * 32)
    _ring(app, phone, "+923009999999", region.sender_number, sid="CA" + "7" * 32)
    assert db.session.execute(select(func.count(Call.id))).scalar_one() == 1
    assert db.session.execute(select(func.count(Contact.id))).scalar_one() == 1


def test_missed_call_mode_rejects_first_and_ten_rings_make_one_request(
    app, phone, voice_menus, hotline_region
):
    region = hotline_region("tj-dyu", "missed_call", "+992372000000")
    for _ in range(10):
        walker, heard = _ring(app, phone, "+992900123456", region.sender_number)
        assert heard.first_verb == "Reject" and heard.reject == "busy"
        assert heard.spoken == [] and heard.gather is None  # never answered: nothing to pay
    requests = db.session.execute(select(CallbackRequest)).scalars().all()
    assert len(requests) == 1
    assert (requests[0].channel, requests[0].region_id) == ("missed_call", region.id)
    contact = db.session.execute(select(Contact)).scalar_one()
    assert contact.consent == ConsentState.NONE
    assert db.session.execute(select(func.count(Call.id))).scalar_one() == 0


def test_a_closed_hotline_says_so_and_hangs_up(app, phone, voice_menus, hotline_region):
    region = hotline_region("pk-lhr", "off", "+924200000000")
    walker, heard = _ring(app, phone, "+923001112223", region.sender_number)
    assert heard.texts == ["[ur] hotline closed MRC Lahore"] and heard.hangup
    assert db.session.execute(select(func.count(Contact.id))).scalar_one() == 0


def test_a_wrong_language_key_asks_again_then_says_goodbye(app, phone, voice_menus, hotline_region):
    region = hotline_region("pk-isb", "menu", "+925111110000")
    walker, heard = _ring(app, phone, "+923001230000", region.sender_number)
    heard = walker.press(heard, "8")
    assert heard.texts[0] == "[ur] not understood MRC Islamabad"
    heard = walker.press(walker.press(heard, ""), "")
    assert heard.texts == ["[ur] goodbye MRC Islamabad"] and heard.hangup


def test_an_unsigned_call_is_refused_and_writes_nothing(client, voice_menus, hotline_region):
    region = hotline_region("pk-isb", "missed_call", "+925111110000")
    form = {"CallSid": "CA" + "1" * 32, "From": "+923001112223", "To": region.sender_number}
    assert client.post(HOTLINE, data=form).status_code == 403
    assert db.session.execute(select(func.count(Contact.id))).scalar_one() == 0
    assert db.session.execute(select(func.count(CallbackRequest.id))).scalar_one() == 0


def test_a_hotline_calls_status_moves_only_forward_to_completed_by_its_sid(
    app, phone, voice_menus, hotline_region, signed_post
):
    region = hotline_region("kg-osh", "menu", "+996312000000")
    walker, _ = _ring(app, phone, "+996555000111", region.sender_number)

    def status(value: str, **more) -> None:
        form = {
            "AccountSid": "AC" + "0" * 32,
            "CallSid": walker.sid,
            "CallStatus": value,
            "From": walker.caller,
            "To": walker.to,
            "Direction": "inbound",
            **more,
        }
        # Twilio posts an inbound call's status to the number's callback: no query string.
        assert signed_post("/webhooks/twilio/voice/status", form).status_code == 204
        db.session.expire_all()

    status("ringing")  # late: the call was answered already
    assert db.session.execute(select(Call.status)).scalar_one() == "in-progress"
    status("completed", CallDuration="37")
    row = db.session.execute(select(Call)).scalar_one()
    assert (row.status, row.duration_seconds) == ("completed", 37)
    assert row.ended_at is not None
    status("in-progress")
    status("ringing")
    assert db.session.execute(select(Call.status)).scalar_one() == "completed"
