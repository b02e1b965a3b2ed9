"""Voice campaigns in the web UI: the form's call settings, the missing-prompts summary, a launch
refused while a prompt lacks audio, and the call stats the API shows."""

from __future__ import annotations

import html
import re

import pytest
from audio_samples import wav_bytes
from sqlalchemy import func, select
from support import MORNING
from voice_dialing import MIGRATION_PROMPTS, voice_campaign

from outreach.campaigns.scheduling import fire_due_campaigns
from outreach.content import get_topic
from outreach.extensions import db
from outreach.models import Call, CallStatus, Campaign, CampaignStatus, utcnow
from outreach.voice.prompt_library import upload_prompt

TOPIC = "irregular-migration"


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _campaigns() -> int:
    return db.session.execute(select(func.count()).select_from(Campaign)).scalar_one()


def _voice_form(**overrides) -> dict:
    """What a browser posts for a voice draft (the SMS text areas come along, prefilled)."""
    data = {
        "name": "Safe migration by phone",
        "topic": TOPIC,
        "channel": "voice",
        "regions": ["pk-isb"],
        "when": "now",
        "recurrence": "weekly",
        "rate": "10",
        "calls_per_second": "2.5",
        "retry_max": "3",
        "retry_interval": "7,5",
        "machine": "message",
    }
    for lang, text in get_topic(TOPIC).texts.items():
        data["text_" + lang.replace("-", "_")] = text
    data["text_en"] = "A text a voice campaign does not send"
    data.update(overrides)
    return data


@pytest.fixture
def coordinator(make_user, login):
    user = make_user("coordinator", ["pk-isb"])
    login(user)
    return user


@pytest.fixture
def on_twilio(app, monkeypatch):
    """The Twilio provider: placeholders do not count, English and Russian have TTS voices."""
    monkeypatch.setitem(app.config, "OUTREACH_PROVIDER", "twilio")
    return app


def test_the_form_offers_voice_with_its_settings(client, coordinator):
    page = _text(client.get("/campaigns/new"))
    assert re.search(r'name="channel"[^>]*value="voice"', page)
    for name in ("calls_per_second", "retry_max", "retry_interval"):
        assert f'name="{name}"' in page
    assert re.search(r'name="machine"[^>]*value="hangup"', page)
    assert 'data-channel="voice"' in page and 'data-channel="sms"' in page


def test_a_voice_draft_keeps_its_call_settings_and_no_texts(client, coordinator):
    response = client.post("/campaigns/new", data=_voice_form())
    assert response.status_code == 302, _text(response)
    campaign = db.session.execute(select(Campaign)).scalar_one()
    assert (campaign.channel, campaign.status) == ("voice", CampaignStatus.DRAFT)
    assert campaign.texts == {}
    assert (campaign.calls_per_second, campaign.retry_max) == (2.5, 3)
    assert (campaign.retry_interval_minutes, campaign.machine) == (7.5, "message")


def test_no_machine_choice_means_no_detection_and_defaults_fill_the_rest(client, coordinator):
    data = _voice_form(machine="", calls_per_second="", retry_max="", retry_interval="")
    assert client.post("/campaigns/new", data=data).status_code == 302
    campaign = db.session.execute(select(Campaign)).scalar_one()
    assert campaign.machine is None
    assert (campaign.calls_per_second, campaign.retry_max) == (1.0, 2)
    assert campaign.retry_interval_minutes == 30.0


def test_an_sms_campaign_ignores_the_voice_settings(client, coordinator):
    data = _voice_form(channel="sms", calls_per_second="abc", machine="hangup")
    assert client.post("/campaigns/new", data=data).status_code == 302
    campaign = db.session.execute(select(Campaign)).scalar_one()
    assert campaign.channel == "sms" and campaign.machine is None
    assert campaign.texts["en"] == "A text a voice campaign does not send"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("calls_per_second", "0", "between 0.1 and 20 calls a second"),
        ("calls_per_second", "50", "between 0.1 and 20 calls a second"),
        ("calls_per_second", "abc", "a number of calls a second"),
        ("calls_per_second", "nan", "a number of calls a second"),
        ("calls_per_second", "1e400", "a number of calls a second"),
        ("retry_max", "6", "from 0 to 5 retries"),
        ("retry_max", "2.5", "a whole number of retries"),
        ("retry_max", "abc", "a whole number of retries"),
        ("retry_interval", "-1", "minutes from 0 to a week"),
        ("retry_interval", "abc", "a number of minutes"),
        ("machine", "voicemail", "message, hangup or null"),
        ("channel", "fax", "sms or voice"),
    ],
)
def test_bad_call_settings_are_form_errors_never_a_500(client, coordinator, field, value, message):
    response = client.post("/campaigns/new", data=_voice_form(**{field: value}))
    assert response.status_code == 422
    page = _text(response)
    assert re.search(rf'name="{field}".*?<p class="error">{re.escape(message)}', page, re.S), page
    assert _campaigns() == 0


def test_a_topic_without_a_voice_menu_cannot_be_a_voice_campaign(client, coordinator, monkeypatch):
    from outreach.campaigns import service

    real = service.get_topic

    def without_menu(topic_id, *args):
        topic = real(topic_id, *args)
        return topic.__class__(**{**topic.__dict__, "voice": None})

    monkeypatch.setattr(service, "get_topic", without_menu)
    response = client.post("/campaigns/new", data=_voice_form())
    assert response.status_code == 422
    assert "has no voice menu" in _text(response) and _campaigns() == 0


def _draft(client, make_contact, languages=("ur", "ur", "en", "ru")) -> Campaign:
    for language in languages:
        make_contact("pk-isb", language=language)
    assert client.post("/campaigns/new", data=_voice_form()).status_code == 302
    return db.session.execute(select(Campaign)).scalar_one()


def _missing_on_page(page: str) -> list[str]:
    return re.findall(r'data-missing="([^"]+)"', page)


def test_the_summary_lists_the_audience_by_language_and_exactly_the_missing_prompts(
    client, coordinator, make_contact, on_twilio
):
    campaign = _draft(client, make_contact)
    page = _text(client.get(f"/campaigns/{campaign.id}"))
    audience = page[
        page.index('id="audience"') : page.index("</table>", page.index('id="audience"'))
    ]
    rows = re.findall(r"<td>([^<]+)</td><td class=\"num\">(\d+)</td>", audience)
    assert [n for _lang, n in rows] == ["1", "1", "2"]  # en, ru, ur
    assert "Urdu" in rows[2][0]
    # English and Russian speak through text-to-speech; Urdu needs a recording of every prompt.
    assert _missing_on_page(page) == sorted(
        f"ur/{topic}/{name}" for topic, name in MIGRATION_PROMPTS
    )
    assert "10 prompts without audio" in page
    link = f"/voice/prompts?topic={TOPIC}&amp;language=ur#start"
    assert link in response_html(client, campaign)
    assert client.get(f"/voice/prompts?topic={TOPIC}&language=ur").status_code == 200


def response_html(client, campaign) -> str:
    return client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)


def test_launch_is_refused_while_a_prompt_lacks_audio_then_allowed(
    app, client, coordinator, make_contact, on_twilio
):
    campaign = _draft(client, make_contact)
    refused = client.post(f"/campaigns/{campaign.id}/launch", follow_redirects=True)
    assert refused.status_code == 200
    assert "Not done: 10 prompts have no recording in a language of the audience" in _text(refused)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.DRAFT

    for topic, name in MIGRATION_PROMPTS[:-1]:
        upload_prompt(
            db.session,
            (topic, name, "ur"),
            wav_bytes(0.3),
            user_id=None,
            now=utcnow(),
            config=app.config,
        )
    db.session.commit()
    page = _text(client.get(f"/campaigns/{campaign.id}"))
    assert _missing_on_page(page) == ["ur/common/goodbye"]
    client.post(f"/campaigns/{campaign.id}/launch")
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.DRAFT

    upload_prompt(
        db.session,
        ("common", "goodbye", "ur"),
        wav_bytes(0.3),
        user_id=None,
        now=utcnow(),
        config=app.config,
    )
    db.session.commit()
    assert _missing_on_page(_text(client.get(f"/campaigns/{campaign.id}"))) == []
    launched = client.post(f"/campaigns/{campaign.id}/launch", follow_redirects=True)
    assert "Launched: calls start within the calling window" in _text(launched)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.RUNNING


def test_with_the_simulator_placeholders_are_enough(client, coordinator, make_contact):
    campaign = _draft(client, make_contact)
    page = _text(client.get(f"/campaigns/{campaign.id}"))
    assert _missing_on_page(page) == [] and 'id="missing-prompts-none"' in page
    client.post(f"/campaigns/{campaign.id}/launch")
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.RUNNING


def test_the_page_shows_the_same_call_stats_as_the_api(
    client, coordinator, api, make_contact, region
):
    people = [make_contact("pk-isb", language="ur") for _ in range(5)]
    campaign = voice_campaign(region)
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    calls = {c.contact_id: c for c in db.session.scalars(select(Call))}
    for person, status in zip(
        people, ("completed", "busy", "retry-pending", "ringing", "queued"), strict=True
    ):
        calls[person.id].status = CallStatus(status)
    db.session.commit()
    page = _text(client.get(f"/campaigns/{campaign.id}"))
    shown = {k: int(v) for k, v in re.findall(r'data-stat="(\w+)">(\d+)<', page)}
    stats = api(coordinator).get(f"/api/v1/campaigns/{campaign.id}").get_json()["stats"]
    assert shown == stats
    assert (shown["completed"], shown["busy"], shown["calling"], shown["audience"]) == (1, 1, 1, 5)
    assert "Test send" not in page and "Latest messages" not in page


def test_a_counsellor_sees_the_list_without_upload_links_and_cannot_launch(
    client, make_user, login, make_contact, on_twilio
):
    login(make_user("coordinator", ["pk-isb"]))
    campaign = _draft(client, make_contact)
    login(make_user("counsellor", ["pk-isb"], email="counsellor@example.org"))
    page = _text(client.get(f"/campaigns/{campaign.id}"))
    assert len(_missing_on_page(page)) == 10 and "/voice/prompts" not in page
    assert client.post(f"/campaigns/{campaign.id}/launch").status_code == 403


def test_another_regions_voice_campaign_is_not_found(client, make_user, login, region):
    campaign = voice_campaign(region, regions=("kg-osh",))
    login(make_user("coordinator", ["pk-isb"]))
    assert client.get(f"/campaigns/{campaign.id}").status_code == 404
    assert client.post(f"/campaigns/{campaign.id}/launch").status_code == 404
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.RUNNING
