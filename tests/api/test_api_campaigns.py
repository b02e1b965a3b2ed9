"""Campaigns through the API: compose with a preview, the lifecycle, stats after a real send."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from support import run_until_idle

from outreach.access import Scope
from outreach.campaigns.scheduling import fire_due_campaigns
from outreach.contacts.consent import apply_consent
from outreach.contacts.lists import create_list
from outreach.extensions import db
from outreach.models import (
    Campaign,
    ConsentAction,
    ConsentChannel,
    Message,
    MessageStatus,
    SegmentPrice,
    utcnow,
)

CAMPAIGNS = "/api/v1/campaigns"
SMS = "/webhooks/twilio/sms"
EN_TWO_PARTS = (
    "{mrc_name}: Hello {name}. Planning to work abroad? Go only through licensed recruiters, "
    "keep copies of your passport and contract, and never pay an agent for a visa in cash. "
    "Reply 1 for more information, 2 for a call-back."
)
RU_ONE_PART = "Здравствуйте, {name}! Тест на ВИЧ бесплатно. Ответьте 1."
UR_ONE_PART = "سلام {name}، مفت ٹیسٹ۔ 1 لکھیں۔"


def campaign_body(**extra) -> dict:
    return {
        "name": "Safe migration, December",
        "topic": "irregular-migration",
        "channel": "sms",
        "regions": ["pk-isb"],
        **extra,
    }


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def fields_named(response) -> set[str]:
    return {item["field"] for item in error_of(response, 422)["details"]}


def next_morning() -> datetime:
    """The next 05:30 UTC (10:30 in Islamabad, inside the window) at least a minute ahead."""
    now = utcnow()
    at = now.replace(hour=5, minute=30, second=0, microsecond=0)
    while at <= now + timedelta(minutes=1):
        at += timedelta(days=1)
    return at


@pytest.fixture
def isb(api, make_user):
    return api(make_user("coordinator", ["pk-isb"]))


@pytest.fixture
def created(isb):
    """Create a campaign through the API and answer its id."""

    def create(**extra) -> int:
        response = isb.post(CAMPAIGNS, json=campaign_body(**extra))
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    return create


# --- compose ----------------------------------------------------------------------------------


def test_create_answers_audience_segments_and_cost(isb, make_contact):
    db.session.add(SegmentPrice(country="PK", price=Decimal("0.05"), currency="USD"))
    db.session.commit()
    for language in ("en", "en", "ru", "ur"):
        make_contact("pk-isb", language=language)
    make_contact("pk-isb", phone="+992931110000", language="ru")  # abroad, no price for TJ
    gone = make_contact("pk-isb", language="en")
    apply_consent(db.session, gone, ConsentAction.OPT_OUT, ConsentChannel.SMS, "STOP")
    make_contact("kg-osh", language="ky")  # another region
    db.session.commit()

    response = isb.post(
        CAMPAIGNS,
        json=campaign_body(texts={"en": EN_TWO_PARTS, "ru": RU_ONE_PART, "ur": UR_ONE_PART}),
    )

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "draft" and isinstance(body["id"], int)
    assert body["audience"] == {"total": 5, "by_language": {"en": 2, "ru": 2, "ur": 1}}
    assert body["segments"]["en"] == {"encoding": "GSM-7", "segments": 2}
    assert body["segments"]["ru"] == {"encoding": "UCS-2", "segments": 1}
    assert body["segments"]["ur"] == {"encoding": "UCS-2", "segments": 1}
    assert body["segments"]["ky"]["encoding"] == "UCS-2"  # the topic's text, not overridden
    # PK: 2 English contacts x 2 parts + 1 Russian + 1 Urdu = 6 parts at 0.05.
    assert body["cost"]["segments_by_country"] == {"PK": 6, "TJ": 1}
    assert body["cost"]["unpriced_countries"] == ["TJ"]
    assert body["estimated_cost"] == pytest.approx(0.30)
    campaign = db.session.get(Campaign, body["id"])
    assert campaign.texts["en"] == EN_TWO_PARTS and campaign.created_by_id is not None


def test_a_campaign_reads_back_as_composed(isb, created, region):
    contact_list = create_list(db.session, Scope.everything(), region("pk-isb"), "Returnees", None)
    db.session.commit()
    send_at = "2030-01-15T10:00:00+05:00"
    campaign_id = created(
        topic="job-fair",
        regions=[],
        lists=[contact_list.id],
        fields={"event_date": "15 January", "event_place": "Islamabad F-7"},
        send_at=send_at,
        recurrence="weekly",
        window={"start": "00:00", "end": "24:00"},
        rate_per_second=5,
    )
    body = isb.get(f"{CAMPAIGNS}/{campaign_id}").get_json()
    assert body["send_at"] == "2030-01-15T05:00:00+00:00"
    assert datetime.fromisoformat(body["created_at"]).utcoffset() == timedelta(0)
    assert (body["topic"], body["channel"], body["status"]) == ("job-fair", "sms", "draft")
    assert (body["recurrence"], body["rate_per_second"]) == ("weekly", 5)
    assert body["window"] == {"start": "00:00", "end": "24:00"}
    assert (body["regions"], body["lists"]) == ([], [contact_list.id])
    assert body["fields"] == {"event_date": "15 January", "event_place": "Islamabad F-7"}
    assert body["runs"] == [] and body["next_run_at"] is None


@pytest.mark.parametrize("missing", ["name", "topic", "channel"])
def test_each_required_field_missing_is_named(isb, missing):
    body = campaign_body()
    del body[missing]
    assert missing in fields_named(isb.post(CAMPAIGNS, json=body))


def test_no_regions_and_no_lists_is_named(isb):
    body = campaign_body(regions=[], lists=[])
    assert fields_named(isb.post(CAMPAIGNS, json=body)) == {"regions"}
    assert "regions" in fields_named(isb.post(CAMPAIGNS, json={**body, "regions": None}))


def test_an_empty_body_names_every_required_field(isb):
    assert fields_named(isb.post(CAMPAIGNS)) >= {"name", "topic", "channel"}


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"send_at": "2030-01-15T10:00:00"}, "send_at"),  # no offset
        ({"send_at": "tomorrow"}, "send_at"),
        ({"send_at": "9999-12-31T23:00:00-05:00"}, "send_at"),  # past year 9999 in UTC
        ({"window": {"start": "25:00", "end": "20:00"}}, "window"),
        ({"window": {"start": "09:00", "end": "24:01"}}, "window"),
        ({"window": {"start": "20:00", "end": "09:00"}}, "window"),
        ({"window": {"start": "09:00"}}, "window.end"),
        ({"topic": "lottery"}, "topic"),
        ({"texts": {"xx": "Hello"}}, "texts.xx"),
        ({"texts": {"en": "Hello {name.__class__}"}}, "texts.en"),
        ({"texts": {"en": "Hello {name!r}"}}, "texts.en"),
        ({"texts": {"en": "Hello {0}"}}, "texts.en"),
        ({"texts": {"en": "Hello {"}}, "texts.en"),
        ({"texts": {"en": ""}}, "texts.en"),
        ({"texts": {"ru": "Привет, {event_date}"}}, "texts.ru"),  # not this topic's field
        ({"channel": "fax"}, "channel"),
        ({"recurrence": "hourly"}, "recurrence"),
        ({"rate_per_second": 0}, "rate_per_second"),
        ({"rate_per_second": 1000}, "rate_per_second"),
        ({"regions": ["atlantis"]}, "regions"),
        ({"lists": [999999]}, "lists"),
        ({"lists": ["x"]}, "lists.0"),
        ({"name": "   "}, "name"),
        ({"colour": "red"}, "colour"),  # unknown fields are refused
        ({"topic": "job-fair"}, "fields.event_date"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(isb, extra, field):
    response = isb.post(CAMPAIGNS, json=campaign_body(**extra))
    assert field in fields_named(response)
    assert db.session.execute(select(Campaign)).first() is None


@pytest.mark.parametrize(
    "extra",
    [
        {"name": 5},
        {"name": "x\u0000y"},
        {"regions": "pk-isb"},
        {"regions": [None]},
        {"texts": ["en"]},
        {"texts": {"en": 5}},
        {"texts": {"en": "x" * 1601}},
        {"window": "09:00-20:00"},
        {"window": {"start": "nine", "end": "ten"}},
        {"window": {"start": "09:00", "end": "20:00", "tz": "UTC"}},
        {"send_at": "2030-02-30T10:00:00+05:00"},
        {"send_at": "2030-01-01T10:00:00+25:00"},
        {"rate_per_second": "fast"},
        {"rate_per_second": True},
        {"fields": {"event_date": {"day": 1}}},
        {"lists": [0]},
        {"lists": [2**31]},
        {"lists": [1.5]},
        {"recurrence": ""},
    ],
)
def test_odd_values_are_refused_never_a_500(isb, extra):
    error_of(isb.post(CAMPAIGNS, json=campaign_body(**extra)), 422)


def test_a_region_or_list_named_twice_counts_once(isb, region, make_contact):
    make_contact("pk-isb")
    contact_list = create_list(db.session, Scope.everything(), region("pk-isb"), "Fair", None)
    db.session.commit()
    response = isb.post(
        CAMPAIGNS,
        json=campaign_body(regions=["pk-isb", "PK-ISB"], lists=[contact_list.id, contact_list.id]),
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["audience"]["total"] == 1
    body = isb.get(f"{CAMPAIGNS}/{response.get_json()['id']}").get_json()
    assert (body["regions"], body["lists"]) == (["pk-isb"], [contact_list.id])


@pytest.mark.parametrize(
    "data, content_type, status",
    [
        ("[1, 2]", "application/json", 422),
        ('"campaign"', "application/json", 422),
        ("{", "application/json", 400),
        ("name=x", "application/x-www-form-urlencoded", 415),
    ],
)
def test_malformed_bodies_are_4xx_in_the_error_shape(isb, data, content_type, status):
    response = isb.client.post(
        CAMPAIGNS, data=data, headers={**isb.headers, "Content-Type": content_type}
    )
    error_of(response, status)


# --- lifecycle --------------------------------------------------------------------------------


def test_launch_with_send_at_ahead_schedules_it(isb, created):
    send_at = utcnow() + timedelta(days=2)
    campaign_id = created(send_at=send_at.isoformat())
    response = isb.post(f"{CAMPAIGNS}/{campaign_id}/launch")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "scheduled"
    assert datetime.fromisoformat(body["next_run_at"]) == send_at
    assert body["launched_at"] is not None


@pytest.mark.parametrize("send_at", [None, "2020-01-01T09:00:00+05:00"])
def test_launch_without_send_at_or_with_one_past_runs_now(isb, created, send_at):
    campaign_id = created(send_at=send_at)
    before = utcnow()
    body = isb.post(f"{CAMPAIGNS}/{campaign_id}/launch", json={}).get_json()
    assert body["status"] == "running"
    assert before <= datetime.fromisoformat(body["next_run_at"]) <= utcnow()


def test_pause_resume_cancel_and_illegal_moves(isb, created):
    campaign_id = created()
    url = f"{CAMPAIGNS}/{campaign_id}"
    assert error_of(isb.post(f"{url}/pause"), 409)["code"] == "conflict"  # still a draft
    assert isb.post(f"{url}/launch").get_json()["status"] == "running"
    assert error_of(isb.post(f"{url}/launch"), 409)["details"] == {"status": "running"}
    assert isb.post(f"{url}/pause").get_json()["status"] == "paused"
    error_of(isb.post(f"{url}/pause"), 409)
    assert isb.post(f"{url}/resume").get_json()["status"] == "running"
    error_of(isb.post(f"{url}/resume"), 409)
    cancelled = isb.post(f"{url}/cancel").get_json()
    assert cancelled["status"] == "cancelled" and cancelled["next_run_at"] is None
    assert cancelled["finished_at"] is not None
    for action in ("launch", "pause", "resume", "cancel"):
        error_of(isb.post(f"{url}/{action}"), 409)
    assert db.session.get(Campaign, campaign_id).status == "cancelled"


def test_actions_take_no_parameters(isb, created):
    campaign_id = created()
    assert "force" in fields_named(isb.post(f"{CAMPAIGNS}/{campaign_id}/launch", json={"force": 1}))
    response = isb.client.post(
        f"{CAMPAIGNS}/{campaign_id}/launch",
        data="now",
        headers={**isb.headers, "Content-Type": "text/plain"},
    )
    error_of(response, 415)
    assert db.session.get(Campaign, campaign_id).status == "draft"


def test_an_unknown_campaign_is_404(isb):
    for response in (
        isb.get(f"{CAMPAIGNS}/999999"),
        isb.post(f"{CAMPAIGNS}/999999/launch"),
        isb.post(f"{CAMPAIGNS}/999999/test-send", json={"phone": "+923001234567"}),
    ):
        error_of(response, 404)
    assert isb.get(f"{CAMPAIGNS}/99999999999").status_code == 404


# --- sending and stats ------------------------------------------------------------------------


def _reply(signed_post, phone: str, body: str, n: int) -> None:
    form = {"MessageSid": f"SM{n:032d}", "From": phone, "To": "+15005550006", "Body": body}
    assert signed_post(SMS, {**form, "NumMedia": "0"}).status_code == 200


def test_stats_count_each_message_once_after_a_real_send_and_replies(
    isb, make_contact, dispatcher, signed_post
):
    at = next_morning()  # 10:30 in Islamabad, 00:30 in Washington
    answers = make_contact("pk-isb", language="en")
    asks = make_contact("pk-isb", language="ur")
    stops = make_contact("pk-isb", language="ru")
    leaves = make_contact("pk-isb", language="en")
    abroad = make_contact("pk-isb", phone="+12024561111", language="en")  # night there
    response = isb.post(CAMPAIGNS, json=campaign_body(send_at=at.isoformat()))
    campaign_id = response.get_json()["id"]
    url = f"{CAMPAIGNS}/{campaign_id}"
    assert isb.post(f"{url}/launch").get_json()["status"] == "scheduled"
    test_send = isb.post(f"{url}/test-send", json={"phone": "0300 7654321", "language": "en"})
    assert test_send.status_code == 202, test_send.get_json()

    assert fire_due_campaigns(db.session, at)
    apply_consent(db.session, leaves, ConsentAction.OPT_OUT, ConsentChannel.SMS, "STOP")
    db.session.commit()
    dispatcher.clock_state["now"] = at
    run_until_idle(dispatcher)
    _reply(signed_post, answers.phone, " 1 ", 1)
    _reply(signed_post, answers.phone, "Is the job in Dubai real?", 2)
    _reply(signed_post, asks.phone, "2", 3)
    _reply(signed_post, stops.phone, "STOP", 4)

    body = isb.get(url).get_json()
    assert body["status"] == "running"
    assert body["stats"] == {
        "audience": 5,
        "queued": 0,
        "held": 1,
        "sending": 0,
        "sent": 0,
        "delivered": 3,
        "failed": 1,
        "undelivered": 0,
        "interrupted": 0,
        "replies": 3,
        "opt_outs": 1,
        "callbacks": 1,
    }
    [run] = body["runs"]
    assert run["status"] == "sending" and datetime.fromisoformat(run["scheduled_for"]) == at
    held = db.session.execute(select(Message).where(Message.contact_id == abroad.id)).scalar_one()
    assert held.status == MessageStatus.HELD
    test_message = db.session.get(Message, test_send.get_json()["message_id"])
    assert test_message.campaign_id is None and test_message.body.startswith("[TEST] ")
    assert test_message.status == MessageStatus.DELIVERED


def test_a_contact_shows_their_answers_and_call_backs(isb, make_contact, dispatcher, signed_post):
    at = next_morning()
    person = make_contact("pk-isb", language="ur")
    campaign_id = isb.post(CAMPAIGNS, json=campaign_body(send_at=at.isoformat())).get_json()["id"]
    isb.post(f"{CAMPAIGNS}/{campaign_id}/launch")
    fire_due_campaigns(db.session, at)
    db.session.commit()
    dispatcher.clock_state["now"] = at
    run_until_idle(dispatcher)
    _reply(signed_post, person.phone, "1", 11)
    _reply(signed_post, person.phone, "2", 12)

    found = isb.get("/api/v1/contacts", query_string={"phone": person.phone}).get_json()
    assert [c["id"] for c in found["items"]] == [person.id]
    detail = isb.get(f"/api/v1/contacts/{person.id}").get_json()
    assert [(r["kind"], r["option"], r["campaign_id"]) for r in detail["responses"]] == [
        ("callback", "2", campaign_id),
        ("answer", "1", campaign_id),
    ]
    assert {r["channel"] for r in detail["responses"]} == {"sms"}
    assert all(datetime.fromisoformat(r["at"]).utcoffset() is not None for r in detail["responses"])
    [callback] = detail["callbacks"]
    assert set(callback) == {
        "id",
        "status",
        "campaign_id",
        "created_at",
        "claimed_at",
        "completed_at",
        "outcome",
    }
    assert (callback["status"], callback["campaign_id"], callback["claimed_at"]) == (
        "open",
        campaign_id,
        None,
    )
    assert detail["consent_events"][0]["action"] == "opt_in"


def test_a_new_contact_has_empty_answers_and_call_backs(isb, make_contact):
    person = make_contact("pk-isb")
    detail = isb.get(f"/api/v1/contacts/{person.id}").get_json()
    assert (detail["responses"], detail["callbacks"]) == ([], [])


def test_test_send_refuses_a_bad_number_or_language(isb, created):
    campaign_id = created()
    url = f"{CAMPAIGNS}/{campaign_id}/test-send"
    error_of(isb.post(url, json={"phone": "12"}), 422)
    error_of(isb.post(url, json={"phone": "+923001234567", "language": "Klingon"}), 422)
    assert "phone" in fields_named(isb.post(url, json={}))
    assert db.session.execute(select(Message)).first() is None


# --- listing, isolation, roles ----------------------------------------------------------------


def test_the_list_shows_visible_campaigns_by_status_and_page(isb, created, make_campaign):
    first, second, third = created(), created(), created()
    isb.post(f"{CAMPAIGNS}/{second}/launch")
    make_campaign(regions=("kg-osh",), status="draft")
    make_campaign(regions=("pk-isb", "kg-osh"), status="draft")

    page = isb.get(CAMPAIGNS).get_json()
    assert [c["id"] for c in page["items"]] == [third, second, first]
    assert (page["total"], page["page"]) == (3, 1)
    running = isb.get(CAMPAIGNS, query_string={"status": "running"}).get_json()
    assert [c["id"] for c in running["items"]] == [second]
    paged = isb.get(CAMPAIGNS, query_string={"per_page": 2, "page": 2}).get_json()
    assert [c["id"] for c in paged["items"]] == [first] and paged["total"] == 3
    for bad in ({"status": "asleep"}, {"per_page": 501}, {"page": 0}, {"colour": "red"}):
        error_of(isb.get(CAMPAIGNS, query_string=bad), 422)


def test_a_campaign_outside_the_users_regions_is_404(isb, api, make_user, make_campaign, region):
    osh = make_campaign(regions=("kg-osh",), status="draft")
    both = make_campaign(regions=("pk-isb", "kg-osh"), status="draft")
    osh_list = create_list(db.session, Scope.everything(), region("kg-osh"), "Osh returnees", None)
    db.session.commit()
    for campaign in (osh, both):
        error_of(isb.get(f"{CAMPAIGNS}/{campaign.id}"), 404)
        for action in ("launch", "pause", "resume", "cancel"):
            error_of(isb.post(f"{CAMPAIGNS}/{campaign.id}/{action}"), 404)
        error_of(isb.post(f"{CAMPAIGNS}/{campaign.id}/test-send", json={"phone": "+1"}), 404)
    assert "regions" in fields_named(isb.post(CAMPAIGNS, json=campaign_body(regions=["kg-osh"])))
    assert "lists" in fields_named(isb.post(CAMPAIGNS, json=campaign_body(lists=[osh_list.id])))
    assert db.session.get(Campaign, osh.id).status == "draft"

    admin = api(make_user("admin", []))
    assert admin.get(f"{CAMPAIGNS}/{both.id}").get_json()["regions"] == ["kg-osh", "pk-isb"]
    assert admin.get(CAMPAIGNS).get_json()["total"] == 2


def test_a_counsellor_reads_campaigns_but_may_not_change_them(api, make_user, created):
    campaign_id = created()
    counsellor = api(make_user("counsellor", ["pk-isb"]))
    assert counsellor.get(f"{CAMPAIGNS}/{campaign_id}").status_code == 200
    assert counsellor.get(CAMPAIGNS).get_json()["total"] == 1
    assert error_of(counsellor.post(CAMPAIGNS, json=campaign_body()), 403)["code"] == "forbidden"
    for action in ("launch", "pause", "resume", "cancel"):
        error_of(counsellor.post(f"{CAMPAIGNS}/{campaign_id}/{action}"), 403)
    error_of(
        counsellor.post(f"{CAMPAIGNS}/{campaign_id}/test-send", json={"phone": "+923001234567"}),
        403,
    )
    assert db.session.get(Campaign, campaign_id).status == "draft"
    assert db.session.execute(select(Message)).first() is None


def test_the_openapi_document_describes_the_campaign_routes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert set(paths["/api/v1/campaigns"]) == {"get", "post"}
    assert "201" in paths["/api/v1/campaigns"]["post"]["responses"]
    for action in ("launch", "pause", "resume", "cancel"):
        responses = paths[f"/api/v1/campaigns/{{campaign_id}}/{action}"]["post"]["responses"]
        assert {"200", "401", "403", "404", "409", "422"} <= set(responses)
    assert "202" in paths["/api/v1/campaigns/{campaign_id}/test-send"]["post"]["responses"]
    schemas = spec["components"]["schemas"]
    assert set(schemas["CampaignIn"]["required"]) == {"name", "topic", "channel"}
    assert schemas["CampaignIn"]["additionalProperties"] is False
    assert set(schemas["CampaignStatsOut"]["required"]) >= {
        "audience",
        "queued",
        "held",
        "sent",
        "delivered",
        "failed",
        "undelivered",
        "interrupted",
        "replies",
        "opt_outs",
        "callbacks",
    }
    assert {"responses", "callbacks"} <= set(schemas["ContactDetail"]["required"])
