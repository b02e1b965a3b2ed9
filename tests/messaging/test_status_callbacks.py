"""Status callbacks only move a message forward; repeats and late arrivals change nothing."""

from __future__ import annotations

from outreach.extensions import db
from outreach.models import ConsentState, Direction, Message, MessageStatus, utcnow

STATUS = "/webhooks/twilio/sms/status"


def _sent_message(contact, sid: str) -> Message:
    now = utcnow()
    message = Message(
        direction=Direction.OUTBOUND,
        contact_id=contact.id,
        region_id=contact.region_id,
        to_phone=contact.phone,
        body="hello",
        status=MessageStatus.SENT,
        provider_sid=sid,
        sent_at=now,
    )
    db.session.add(message)
    db.session.commit()
    return message


def _callback(signed_post, message: Message, status: str, error: str | None = None):
    form = {"MessageSid": message.provider_sid, "MessageStatus": status, "To": "+1"}
    if error:
        form["ErrorCode"] = error
    response = signed_post(f"{STATUS}?m={message.id}", form)
    assert response.status_code == 204
    db.session.expire_all()
    return db.session.get(Message, message.id)


def test_out_of_order_and_repeated_statuses_end_right(app, make_contact, signed_post):
    message = _sent_message(make_contact(), "SM" + "1" * 32)
    assert _callback(signed_post, message, "delivered").status == MessageStatus.DELIVERED
    assert _callback(signed_post, message, "sent").status == MessageStatus.DELIVERED
    assert _callback(signed_post, message, "delivered").status == MessageStatus.DELIVERED
    assert _callback(signed_post, message, "queued").status == MessageStatus.DELIVERED


def test_failures_keep_the_providers_code(app, make_contact, signed_post):
    message = _sent_message(make_contact(), "SM" + "2" * 32)
    failed = _callback(signed_post, message, "undelivered", "30003")
    assert (failed.status, failed.error_code) == (MessageStatus.UNDELIVERED, "30003")


def test_21610_opts_the_contact_out(app, make_contact, signed_post):
    contact = make_contact()
    message = _sent_message(contact, "SM" + "3" * 32)
    assert _callback(signed_post, message, "failed", "21610").status == MessageStatus.FAILED
    db.session.refresh(contact)
    assert contact.consent == ConsentState.OPTED_OUT


def test_a_callback_naming_another_messages_sid_is_ignored(app, make_contact, signed_post):
    message = _sent_message(make_contact(), "SM" + "4" * 32)
    form = {"MessageSid": "SM" + "5" * 32, "MessageStatus": "failed"}
    assert signed_post(f"{STATUS}?m={message.id}", form).status_code == 204
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == MessageStatus.SENT
