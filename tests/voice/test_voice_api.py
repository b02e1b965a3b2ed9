"""Voice campaigns and calls through the JSON API: compose, stats, a contact's calls."""

from __future__ import annotations

import importlib.util

import pytest
from sqlalchemy import select
from support import MORNING, count_rows
from voice_dialing import voice_campaign

from outreach.campaigns.scheduling import fire_due_campaigns
from outreach.extensions import db
from outreach.models import Call, CallStatus, Campaign, Response, ResponseKind

CAMPAIGNS = "/api/v1/campaigns"
PROMPTS_READY = all(
    importlib.util.find_spec(name) for name in ("outreach.voice.prompts", "outreach.content.menus")
)


def _voice(**extra) -> dict:
    return {
        "name": "Call about safe migration",
        "topic": "irregular-migration",
        "channel": "voice",
        "regions": ["pk-isb"],
        **extra,
    }


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"texts": {"en": "Hello"}}, "texts"),
        ({"rate_per_second": 5.0}, "rate_per_second"),
        ({"calls_per_second": 25}, "calls_per_second"),
        ({"calls_per_second": 0.05}, "calls_per_second"),
        ({"retries": {"max": 6}}, "retries.max"),
        ({"retries": {"interval_minutes": -1}}, "retries.interval_minutes"),
        ({"retries": {"interval_minutes": 1e30}}, "retries.interval_minutes"),
        ({"machine": "voicemail"}, "machine"),
    ],
)
def test_bad_voice_settings_are_a_422_naming_the_field(api, make_user, extra, field):
    response = api(make_user("coordinator")).post(CAMPAIGNS, json=_voice(**extra))
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    named = {d.get("field") or ".".join(map(str, d.get("loc", ()))) for d in error["details"]}
    assert any(field in name for name in named), error
    assert count_rows(Campaign) == 0


def test_voice_settings_are_refused_on_an_sms_campaign(api, make_user):
    body = {**_voice(calls_per_second=2), "channel": "sms"}
    response = api(make_user("coordinator")).post(CAMPAIGNS, json=body)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["field"] == "calls_per_second"


@pytest.mark.skipif(not PROMPTS_READY, reason="needs the voice menus and prompts (voice-content)")
def test_a_voice_campaign_is_composed_with_its_missing_prompts(api, make_user, make_contact):
    make_contact("pk-isb", language="ur")
    body = _voice(
        calls_per_second=2.5, retries={"max": 3, "interval_minutes": 7.5}, machine="message"
    )
    response = api(make_user("coordinator")).post(CAMPAIGNS, json=body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert set(created) == {"id", "status", "audience", "prompts"}
    assert created["audience"]["by_language"] == {"ur": 1}
    assert isinstance(created["prompts"]["missing"], list)
    campaign = db.session.get(Campaign, created["id"])
    assert (campaign.calls_per_second, campaign.retry_max) == (2.5, 3)
    assert (campaign.retry_interval_minutes, campaign.machine) == (7.5, "message")


def test_a_voice_campaign_shows_call_stats_each_call_once(api, make_user, make_contact, region):
    people = [make_contact("pk-isb", language="ur") for _ in range(9)]
    campaign = voice_campaign(region, machine="message")
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    states = [
        ("completed", None),
        ("completed", "machine_end_beep"),
        ("no-answer", None),
        ("busy", None),
        ("failed", None),
        ("retry-pending", None),
        ("ringing", None),
        ("interrupted", None),
        ("held", None),
    ]
    calls = {c.contact_id: c for c in db.session.scalars(select(Call))}
    for person, (status, answered_by) in zip(people, states, strict=True):
        calls[person.id].status = CallStatus(status)
        calls[person.id].answered_by = answered_by
    db.session.add(
        Response(
            contact_id=people[0].id,
            campaign_id=campaign.id,
            call_id=calls[people[0].id].id,
            channel="ivr",
            menu_node="start",
            kind=ResponseKind.OPT_OUT,
            text="0",
        )
    )
    db.session.commit()
    coordinator = api(make_user("coordinator"))
    detail = coordinator.get(f"{CAMPAIGNS}/{campaign.id}").get_json()
    assert detail["stats"] == {
        "audience": 9,
        "queued": 0,
        "held": 1,
        "calling": 1,
        "completed": 1,
        "no_answer": 1,
        "busy": 1,
        "failed": 1,
        "machine": 1,
        "retry_pending": 1,
        "interrupted": 1,
        "key_presses": 1,
        "callbacks": 0,
        "opt_outs": 1,
    }
    assert detail["calls_per_second"] == 20
    assert detail["retries"] == {"max": 2, "interval_minutes": 30.0}
    assert detail["machine"] == "message"

    contact = coordinator.get(f"/api/v1/contacts/{people[0].id}").get_json()
    [call] = contact["calls"]
    assert call == {
        "id": calls[people[0].id].id,
        "campaign_id": campaign.id,
        "direction": "outbound",
        "status": "completed",
        "attempts": 0,
        "answered_by": None,
        "duration_seconds": None,
        "created_at": call["created_at"],
    }
    [press] = contact["responses"]
    assert (press["channel"], press["text"], press["node"]) == ("ivr", "0", "start")


def test_another_regions_voice_campaign_is_not_found(api, make_user, region):
    campaign = voice_campaign(region, regions=("kg-osh",))
    response = api(make_user("coordinator", ["pk-isb"])).get(f"{CAMPAIGNS}/{campaign.id}")
    assert response.status_code == 404
