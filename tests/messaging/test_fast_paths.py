"""The webhooks' fast paths: taken for the common request, few statements, same rows as the
general path, and the general path for everything rare."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support import MORNING, counted
from twilio.request_validator import RequestValidator

from outreach.extensions import db
from outreach.messaging.campaign_reply import answer_sms, read_campaign_reply
from outreach.messaging.inbound import InboundSms, receive_sms
from outreach.messaging.provider import webhook_auth_token
from outreach.messaging.simulator import SIMULATOR_STAFF_KEY
from outreach.messaging.status import apply_sms_status
from outreach.models import (
    CallbackRequest,
    ConsentEvent,
    ConsentState,
    Contact,
    Direction,
    Message,
    MessageStatus,
    Response,
)

OUR_NUMBER = "+15005550006"
SMS, STATUS = "/webhooks/twilio/sms", "/webhooks/twilio/sms/status"
_sids = iter(range(1, 100_000))
REGION_OF = {"ur": "pk-isb", "ps": "pk-pew", "fa-AF": "af-virtual", "en": "pk-lhr"}
REGION_OF |= {"tg": "tj-dyu", "ru": "tj-dyu", "ky": "kg-osh", "uz": "uz-tas"}


def _sid() -> str:
    return f"SM{next(_sids):032d}"


@pytest.fixture
def reached(make_contact, make_campaign, region):
    """`reached(language, ...)`: a contact who received a campaign message an hour ago."""

    def make(language="ur", name="Amina", consent=ConsentState.OPTED_IN, mrc_phone="+92 51 1"):
        code = REGION_OF[language]
        mrc = region(code)
        mrc.sender_number, mrc.phone = OUR_NUMBER, mrc_phone
        person = make_contact(code, language=language, name=name)
        person.consent = consent
        campaign = make_campaign(regions=(code,))
        db.session.add(_outbound(person, campaign.id, MessageStatus.DELIVERED))
        db.session.commit()
        return person

    return make


def _outbound(person, campaign_id, status, hours_ago=1):
    return Message(
        direction=Direction.OUTBOUND,
        campaign_id=campaign_id,
        contact_id=person.id,
        region_id=person.region_id,
        to_phone=person.phone,
        body="…",
        status=status,
        provider_sid=_sid(),
        sent_at=MORNING - timedelta(hours=hours_ago),
    )


def _reply(person, body="1", sid=None, typed_by=None) -> InboundSms:
    return InboundSms(
        sid=sid or _sid(), sender=person.phone, to=OUR_NUMBER, body=body, typed_by=typed_by
    )


# -- taken, and cheap -----------------------------------------------------------------------


def test_a_campaign_reply_takes_at_most_four_statements_with_the_commit(app, reached, signed_post):
    person = reached()
    form = {"MessageSid": _sid(), "From": person.phone, "To": OUR_NUMBER, "Body": "1"}
    with counted() as seen:
        answer = signed_post(SMS, form)
    assert answer.status_code == 200 and "<Message>" in answer.text
    # PostgreSQL: one SELECT and one INSERT of the three rows. SQLite cannot insert into two
    # tables in one statement: there, one INSERT per row.
    most = 2 if db.engine.dialect.name == "postgresql" else 4
    assert seen["statements"][0] == "SELECT" and len(seen["statements"]) <= most, seen
    assert seen["commits"] == 1
    assert len(seen["statements"]) + seen["commits"] <= (4 if most == 2 else 5)


def test_a_status_callback_naming_our_message_takes_one_read_and_one_update(
    app, reached, signed_post
):
    person = reached()
    message = db.session.execute(
        select(Message).where(Message.contact_id == person.id)
    ).scalar_one()
    form = {"MessageSid": message.provider_sid, "MessageStatus": "delivered", "To": person.phone}
    message.status, url = MessageStatus.SENT, f"{STATUS}?m={message.id}"
    db.session.commit()
    with counted() as seen:
        assert signed_post(url, form).status_code == 204
    assert seen["statements"] == ["SELECT", "UPDATE"] and seen["commits"] == 1, seen
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == MessageStatus.DELIVERED


def test_the_simulators_staff_marker_is_recorded_on_the_fast_path(app, reached, make_user, client):
    person, staff_id = reached(), make_user().id
    form = {"MessageSid": _sid(), "From": person.phone, "To": OUR_NUMBER, "Body": "1"}
    url = app.config["PUBLIC_BASE_URL"] + SMS
    signature = RequestValidator(webhook_auth_token(app.config)).compute_signature(url, form)
    with counted() as seen:
        answer = client.post(
            SMS,
            data=form,
            headers={"X-Twilio-Signature": signature},
            environ_overrides={SIMULATOR_STAFF_KEY: staff_id},
        )
    assert answer.status_code == 200 and "<Message>" in answer.text
    assert seen["statements"][0] == "SELECT" and len(seen["statements"]) <= 4  # the fast path
    inbound = db.session.execute(
        select(Message).where(Message.provider_sid == form["MessageSid"])
    ).scalar_one()
    assert inbound.sent_by_id == staff_id


# -- the same rows and answer as the general path ---------------------------------------------


def _rows_after(marks) -> dict[str, list[tuple]]:
    """Every row written since `marks` (per table, without ids), to compare two paths."""
    tables = {
        "messages": Message.__table__,
        "responses": Response.__table__,
        "callbacks": CallbackRequest.__table__,
        "consent_events": ConsentEvent.__table__,
    }
    found = {}
    for name, table in tables.items():
        # Ids come from sequences (PostgreSQL's do not roll back: a call-back's response_id
        # differs between the two runs); `recorded_at` is the wall clock of the recording.
        columns = [c for c in table.c if c.name not in ("id", "response_id", "recorded_at")]
        rows = db.session.execute(
            select(*columns).where(table.c.id > marks[name]).order_by(table.c.id)
        ).all()
        found[name] = [tuple(row) for row in rows]
    found["contacts"] = db.session.execute(
        select(Contact.phone, Contact.consent, Contact.language).order_by(Contact.phone)
    ).all()
    return found


def _marks() -> dict[str, int]:
    tables = {
        "messages": Message,
        "responses": Response,
        "callbacks": CallbackRequest,
        "consent_events": ConsentEvent,
    }
    return {
        name: db.session.execute(select(func.coalesce(func.max(model.id), 0))).scalar_one()
        for name, model in tables.items()
    }


def _both_paths(sms: InboundSms):
    """(answer, rows) from the general path and from `answer_sms`, each rolled back after."""
    results = []
    for receive in (receive_sms, answer_sms):
        marks = _marks()
        answer = receive(db.session, sms, MORNING)
        db.session.flush()
        results.append((answer, _rows_after(marks)))
        db.session.rollback()
    return results


LANGUAGES = ["ur", "ps", "fa-AF", "tg", "ru", "ky", "uz", "en"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("body", ["1", " 1 ", "MORE"])
def test_a_campaign_reply_gives_the_general_paths_rows_and_answer(app, reached, language, body):
    person = reached(language)
    sms = _reply(person, body)
    assert read_campaign_reply(db.session, sms) is not None  # the fast path is taken
    (general, general_rows), (fast, fast_rows) = _both_paths(sms)
    assert fast == general and general
    assert fast_rows == general_rows
    assert [len(general_rows[t]) for t in ("messages", "responses")] == [2, 1]


@pytest.mark.parametrize(
    "case",
    ["opted out", "no name", "no MRC phone", "typed by staff", "repeated SID", "not yet decided"],
)
def test_either_path_gives_the_same_for(app, reached, make_user, case):
    person = reached(
        "ru",
        name=None if case == "no name" else "Нигина",
        consent={"opted out": ConsentState.OPTED_OUT, "not yet decided": ConsentState.NONE}.get(
            case, ConsentState.OPTED_IN
        ),
        mrc_phone=None if case == "no MRC phone" else "+992 37 555 0105",
    )
    sms = _reply(person, typed_by=make_user().id if case == "typed by staff" else None)
    if case == "repeated SID":
        assert answer_sms(db.session, sms, MORNING - timedelta(minutes=1))
        db.session.commit()
    (general, general_rows), (fast, fast_rows) = _both_paths(sms)
    assert (fast, fast_rows) == (general, general_rows)
    if case in ("opted out", "not yet decided", "repeated SID"):
        assert general is None  # no text back to them, or none a second time


# -- the rare requests keep the general path -----------------------------------------------


@pytest.mark.parametrize(
    "body",
    ["STOP", "СТОП", "بند", "stop ", "START", "HELP", "INFO", "2", "ПОЗВОНИТЕ", "what?", ""],
)
def test_keywords_callbacks_and_the_not_understood_take_the_general_path(app, reached, body):
    person = reached("ru")
    sms = _reply(person, body)
    assert read_campaign_reply(db.session, sms) is None
    (general, general_rows), (fast, fast_rows) = _both_paths(sms)
    assert (fast, fast_rows) == (general, general_rows)


def test_unknown_numbers_no_sid_and_no_campaign_take_the_general_path(app, reached, make_contact):
    person = reached("ur")
    stranger = InboundSms(sid=_sid(), sender="+923009999999", to=OUR_NUMBER, body="1")
    no_sid = InboundSms(sid=None, sender=person.phone, to=OUR_NUMBER, body="1")
    never_reached = _reply(make_contact("pk-isb", language="ur"))
    assert read_campaign_reply(db.session, stranger) is None
    assert read_campaign_reply(db.session, never_reached) is None
    for sms in (stranger, no_sid, never_reached):
        (general, general_rows), (fast, fast_rows) = _both_paths(sms)
        assert (fast, fast_rows) == (general, general_rows)


def test_the_latest_campaign_is_the_one_answered_not_our_own_reply(app, reached, make_campaign):
    person = reached("ur")
    older = make_campaign(regions=("pk-isb",), name="Older")
    db.session.add(_outbound(person, older.id, MessageStatus.SENT, hours_ago=5))
    db.session.add(_outbound(person, older.id, MessageStatus.FAILED, hours_ago=0))
    db.session.commit()
    first = _reply(person)
    answer_sms(db.session, first, MORNING)  # leaves a reply row sent after the campaign's
    db.session.commit()
    (general, general_rows), (fast, fast_rows) = _both_paths(_reply(person))
    assert (fast, fast_rows) == (general, general_rows)
    assert general_rows["responses"][0][1] != older.id  # campaign_id: the latest sent


# -- status callbacks: by our id (fast) and by SID only (general) agree ----------------------


@pytest.mark.parametrize(
    "before", [MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.DELIVERED]
)
@pytest.mark.parametrize("status", ["sent", "delivered", "failed", "queued"])
@pytest.mark.parametrize("sid_known", [True, False])
def test_a_status_callback_by_id_moves_the_message_as_the_general_path(
    app, reached, before, status, sid_known
):
    person = reached()
    message = db.session.execute(
        select(Message).where(Message.contact_id == person.id)
    ).scalar_one()
    sid = message.provider_sid
    message.status = before
    if not sid_known:
        message.provider_sid = None
    db.session.commit()
    results = []
    for message_id in (None, str(message.id)):  # by SID only: the general path; by id: fast
        if message_id is None and not sid_known:
            message_id = "0"  # no id of ours and no SID kept: the general path finds nothing
        changed = apply_sms_status(db.session, message_id, sid, status, "30003", MORNING)
        db.session.flush()
        row = db.session.execute(
            select(*[c for c in Message.__table__.c]).where(Message.id == message.id)
        ).one()
        results.append((changed, tuple(row)))
        db.session.rollback()
    if sid_known:
        assert results[0] == results[1]
    forward = {
        MessageStatus.SENDING: {"sent", "delivered", "failed"},
        MessageStatus.SENT: {"delivered", "failed"},
        MessageStatus.DELIVERED: set(),
    }
    assert results[1][0] == (status in forward[before])  # only forward, on the fast path too


def test_a_status_callback_for_another_messages_sid_changes_nothing_on_the_fast_path(app, reached):
    person = reached()
    message = db.session.execute(
        select(Message).where(Message.contact_id == person.id)
    ).scalar_one()
    assert not apply_sms_status(db.session, str(message.id), _sid(), "failed", None, MORNING)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == MessageStatus.DELIVERED
