"""Fan-out and dispatch through the simulator: eligible contacts only, once each, in the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from support import MORNING, run_until_idle

from outreach.campaigns.scheduling import close_finished_runs, fire_due_campaigns
from outreach.contacts.consent import apply_consent
from outreach.extensions import db
from outreach.models import (
    Campaign,
    CampaignStatus,
    ConsentAction,
    ConsentChannel,
    Message,
    MessageStatus,
)

_run_until_idle = run_until_idle
TEXTS = {
    "en": "Hello {name}, {mrc_name} here. Reply 1 for info.",
    "ur": "السلام علیکم {name}، {mrc_name}۔ معلومات کے لیے 1 لکھیں۔",
    "ru": "Здравствуйте, {name}! {mrc_name}. Ответьте 1.",
}


def _statuses(campaign_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(Message.status, func.count())
        .where(Message.campaign_id == campaign_id)
        .group_by(Message.status)
    )
    return {status: count for status, count in rows}


def test_reaches_exactly_the_opted_in_contacts_once_each_in_their_language(
    app, make_contact, make_campaign, dispatcher
):
    ali = make_contact("pk-isb", name="Ali", language="ur")
    olga = make_contact("pk-isb", phone="+992931110000", name="Ольга", language="ru")
    gone = make_contact("pk-isb", language="en")
    make_contact("kg-osh", language="ky")  # another region: not in the audience
    apply_consent(db.session, gone, ConsentAction.OPT_OUT, ConsentChannel.SMS, "STOP")
    db.session.commit()
    campaign = make_campaign(texts=TEXTS)

    assert fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    _run_until_idle(dispatcher)

    messages = {m.contact_id: m for m in db.session.execute(select(Message)).scalars()}
    assert set(messages) == {ali.id, olga.id}
    assert messages[ali.id].body == "السلام علیکم Ali، MRC Islamabad۔ معلومات کے لیے 1 لکھیں۔"
    assert messages[olga.id].body.startswith("Здравствуйте, Ольга!")
    assert _statuses(campaign.id) == {MessageStatus.DELIVERED: 2}
    assert all(m.provider_sid.startswith("SM") for m in messages.values())

    # A second tick neither fires again nor sends again.
    assert fire_due_campaigns(db.session, MORNING + timedelta(minutes=1)) == []
    assert close_finished_runs(db.session, MORNING) == 1
    db.session.commit()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.DONE


def test_an_opt_out_after_fan_out_stops_the_message(app, make_contact, make_campaign, dispatcher):
    stays = make_contact("pk-isb")
    leaves = make_contact("pk-isb")
    campaign = make_campaign()
    fire_due_campaigns(db.session, MORNING)
    apply_consent(db.session, leaves, ConsentAction.OPT_OUT, ConsentChannel.SMS, "STOP")
    db.session.commit()
    _run_until_idle(dispatcher)

    by_contact = {
        m.contact_id: m
        for m in db.session.execute(
            select(Message).where(Message.campaign_id == campaign.id)
        ).scalars()
    }
    assert by_contact[stays.id].status == MessageStatus.DELIVERED
    assert by_contact[leaves.id].status == MessageStatus.FAILED
    assert by_contact[leaves.id].error_code == "opted_out"
    assert by_contact[leaves.id].provider_sid is None


def test_nothing_is_sent_outside_the_recipients_local_window(
    app, make_contact, make_campaign, dispatcher
):
    night = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)  # 01:00 in Karachi
    contact = make_contact("pk-isb")
    campaign = make_campaign(next_run_at=night)
    dispatcher.clock_state["now"] = night
    fire_due_campaigns(db.session, night)
    db.session.commit()
    _run_until_idle(dispatcher)

    message = db.session.execute(
        select(Message).where(Message.contact_id == contact.id)
    ).scalar_one()
    assert message.status == MessageStatus.HELD
    assert message.next_attempt_at == datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # 09:00 local

    dispatcher.clock_state["now"] = datetime(2026, 12, 2, 3, 59, tzinfo=UTC)
    _run_until_idle(dispatcher)
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == MessageStatus.HELD

    dispatcher.clock_state["now"] = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
    _run_until_idle(dispatcher)
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == MessageStatus.DELIVERED
    assert _statuses(campaign.id) == {MessageStatus.DELIVERED: 1}


def test_a_paused_campaign_sends_nothing_until_resumed(
    app, make_contact, make_campaign, dispatcher
):
    make_contact("pk-isb")
    campaign = make_campaign()
    fire_due_campaigns(db.session, MORNING)
    campaign.status = CampaignStatus.PAUSED
    db.session.commit()
    _run_until_idle(dispatcher)
    assert _statuses(campaign.id) == {MessageStatus.QUEUED: 1}


def test_an_unexpected_provider_failure_is_interrupted_never_resent(
    app, make_contact, make_campaign, dispatcher, monkeypatch
):
    make_contact("pk-isb")
    campaign = make_campaign(texts=TEXTS)
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()

    def broken(sms):
        raise KeyError("a bug in the provider")

    monkeypatch.setattr(dispatcher.provider, "send_sms", broken)
    _run_until_idle(dispatcher)
    assert _statuses(campaign.id) == {MessageStatus.INTERRUPTED: 1}
