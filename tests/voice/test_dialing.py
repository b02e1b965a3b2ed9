"""Voice campaigns end to end: the real twilio SDK against the local Twilio-compatible server.

Each call is placed once, with the URLs, events and ring timeout Twilio needs; the pace holds
across two workers; consent is checked in the step that commits `dialing`.
"""

from __future__ import annotations

from collections import Counter

from support import MORNING
from twilio_server import ACCOUNT_SID
from voice_dialing import Clock, calls_by_phone, place_due, twilio_dialer, voice_campaign

from outreach.campaigns.scheduling import fire_due_campaigns
from outreach.contacts.consent import apply_consent
from outreach.extensions import db
from outreach.models import (
    Call,
    CallStatus,
    ConsentAction,
    ConsentChannel,
    ConsentState,
    Contact,
)
from outreach.voice.dialer import Dialer

LANGUAGES = {"pk-isb": ("ur", "en"), "kg-osh": ("ky", "ru"), "tj-dyu": ("tg", "ru")}
PREFIX = {"pk-isb": "+92300", "kg-osh": "+996700", "tj-dyu": "+99293"}


def twenty_people(make_contact) -> list[Contact]:
    """Twenty opted-in contacts in three regions and five languages."""
    people = []
    for i in range(20):
        code = list(LANGUAGES)[i % 3]
        language = LANGUAGES[code][i % 2]
        phone = f"{PREFIX[code]}{3000000 + i:07d}"
        people.append(make_contact(code, phone=phone, language=language))
    return people


def test_a_voice_campaign_to_twenty_contacts_places_each_call_once(
    twilio_app, twilio_server, make_contact, region
):
    people = twenty_people(make_contact)
    opted_out = make_contact("kg-osh", phone="+996700999999", language="ky")
    apply_consent(db.session, opted_out, ConsentAction.OPT_OUT, ConsentChannel.SMS, "STOP")
    db.session.commit()
    campaign = voice_campaign(region, regions=("pk-isb", "kg-osh", "tj-dyu"))
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    rows = calls_by_phone()
    assert set(rows) == {p.phone for p in people}  # written before anything is placed
    assert {rows[p.phone].language for p in people} == {p.language for p in people}
    assert all(c.status == CallStatus.QUEUED for c in rows.values())

    dialer = twilio_dialer(twilio_app, Clock())
    try:
        place_due(dialer)
        place_due(dialer)  # nothing is placed twice
    finally:
        dialer.close()
    placed = twilio_server.calls
    assert Counter(c["to"] for c in placed) == Counter(p.phone for p in people)
    creates = [r for r in twilio_server.requests if r.is_create]
    base = "http://localhost/webhooks/twilio/voice"
    for request in creates:
        call = rows[request.form["To"]]
        assert request.form["Url"] == f"{base}/call/{call.id}"
        assert request.form["StatusCallback"] == f"{base}/status?c={call.id}&a=1"
        assert request.form_lists["StatusCallbackEvent"] == [
            "initiated",
            "ringing",
            "answered",
            "completed",
        ]
        assert request.form["Timeout"] == "30"
        assert "MachineDetection" not in request.form
    rows = calls_by_phone()
    assert all(c.status == CallStatus.INITIATED and c.attempts == 1 for c in rows.values())

    twilio_server.flush_callbacks()
    rows = calls_by_phone()
    assert {c.status for c in rows.values()} == {CallStatus.COMPLETED}
    assert {c.duration_seconds for c in rows.values()} == {30}
    assert campaign.id == rows[people[0].phone].campaign_id
    assert all(c.answered_at is not None for c in rows.values())


def test_at_most_calls_per_second_start_in_any_second_shared_by_two_workers(
    twilio_app, twilio_server, make_contact, region
):
    people = twenty_people(make_contact)
    voice_campaign(region, regions=("pk-isb", "kg-osh", "tj-dyu"), calls_per_second=5)
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    twilio_server.latency = 0.05
    first, second = twilio_dialer(twilio_app, Clock()), twilio_dialer(twilio_app, Clock())
    placed_by = Counter()
    for name, dialer in (("first", first), ("second", second)):
        dialer.provider.start_call = _counting(dialer.provider.start_call, placed_by, name)
    first.run_thread = _run_in_thread(first)
    second.run_thread = _run_in_thread(second)
    try:
        twilio_server.wait_for(lambda s: len(s.calls) == len(people), timeout=30)
    finally:
        for dialer in (first, second):
            dialer.stop_event.set()
            dialer.run_thread.join(10)
            dialer.close()
    placed = [r for r in twilio_server.requests if r.is_create]
    assert len(placed) == 20
    assert Counter(r.form["To"] for r in placed) == Counter(p.phone for p in people)
    assert twilio_server.max_starts_in_window(1.0, kind="Calls") <= 5
    # Both workers placed calls: the pace is shared, not each worker's own.
    assert placed_by["first"] > 0 and placed_by["second"] > 0
    assert sum(placed_by.values()) == 20
    assert twilio_server.max_starts_in_window(1.0, kind="Calls") >= 4  # paced, not trickled


def _counting(start_call, counter: Counter, name: str):
    def counted(request):
        counter[name] += 1
        return start_call(request)

    return counted


def _run_in_thread(dialer: Dialer):
    import threading

    thread = threading.Thread(target=dialer.run, daemon=True)
    thread.start()
    return thread


class OptOutBeforeDialing(Dialer):
    """A dialer that lets the person opt out after the call was claimed and prepared, while it
    waited for its start: the slow case the guard in `mark_dialing` is for."""

    def _mark_dialing(self, call_id):
        with self.sessions() as session:
            call = session.get(Call, call_id)
            contact = session.get(Contact, call.contact_id)
            apply_consent(session, contact, ConsentAction.OPT_OUT, ConsentChannel.SMS, "STOP")
            session.commit()
        return super()._mark_dialing(call_id)


def test_consent_revoked_between_claim_and_dial_means_no_call(
    twilio_app, twilio_server, make_contact, region
):
    person = make_contact("pk-isb", language="ur")
    voice_campaign(region)
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    dialer = twilio_dialer(twilio_app, Clock())
    dialer.__class__ = OptOutBeforeDialing
    try:
        place_due(dialer)
    finally:
        dialer.close()
    assert twilio_server.calls == []
    call = calls_by_phone()[person.phone]
    assert (call.status, call.error_code, call.attempts) == (CallStatus.FAILED, "opted_out", 0)
    assert db.session.get(Contact, person.id).consent == ConsentState.OPTED_OUT


def test_the_server_saw_the_test_account(twilio_app, twilio_server, make_contact, region):
    make_contact("pk-isb", language="en")
    voice_campaign(region)
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    dialer = twilio_dialer(twilio_app, Clock())
    try:
        place_due(dialer)
    finally:
        dialer.close()
    [request] = [r for r in twilio_server.requests if r.is_create]
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
