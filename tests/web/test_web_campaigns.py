"""Campaigns in the web UI: the form, the summary, test send, moves, isolation and prices."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from support import MORNING

from outreach.campaigns.scheduling import fire_campaign
from outreach.campaigns.stats import campaign_stats, preview
from outreach.content import get_topic
from outreach.extensions import db
from outreach.models import (
    Campaign,
    CampaignStatus,
    Message,
    MessageStatus,
    Response,
    ResponseKind,
    SegmentPrice,
)

RU_EDITED = "Здравствуйте, {name}! Бесплатная консультация о безопасной миграции: {mrc_phone}."


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _plain(response) -> str:
    """The page's text without tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", _text(response)).split())


def _campaigns() -> int:
    return db.session.execute(select(func.count()).select_from(Campaign)).scalar_one()


def _form(base="irregular-migration", **overrides) -> dict:
    """What a browser posts for a draft: the topic's texts as the form prefilled them."""
    data = {
        "name": "Safe migration, spring",
        "topic": base,
        "regions": ["pk-isb"],
        "when": "now",
        "recurrence": "weekly",
        "send_at": "",
        "window_start": "",
        "window_end": "",
        "rate": "10",
    }
    for lang, text in get_topic(base).texts.items():
        data["text_" + lang.replace("-", "_")] = text
    data.update(overrides)
    return data


@pytest.fixture
def coordinator(make_user, login):
    user = make_user("coordinator", ["pk-isb"])
    login(user)
    return user


def test_form_prefills_the_topics_texts_with_segment_counts_and_review_notes(client, coordinator):
    page = _text(client.get("/campaigns/new", query_string={"topic": "irregular-migration"}))
    topic = get_topic("irregular-migration")
    assert topic.texts["ru"] in page and topic.texts["ur"] in page
    assert re.search(r"GSM-7 · \d segments? · ", page)  # English
    assert re.search(r"UCS-2 · \d segments? · ", page)  # Russian, Urdu
    assert topic.review["ru"] in page
    assert "kg-osh" not in page  # only the coordinator's regions are offered
    assert "/assets/campaign-form.js" in page


def test_without_script_choosing_a_topic_fills_the_form_and_saves_nothing(client, coordinator):
    response = client.post(
        "/campaigns/new", data={"name": "Fair", "topic": "job-fair", "choose_topic": "1"}
    )
    assert response.status_code == 200
    page = _text(response)
    assert get_topic("job-fair").texts["ky"] in page
    assert 'data-topic-field="event_date" >' in page or 'data-topic-field="event_date">' in page
    assert 'value="Fair"' in page  # what was typed is kept
    assert _campaigns() == 0


def test_a_draft_is_saved_with_an_edited_russian_text_and_a_local_send_time(client, coordinator):
    data = _form(text_ru=RU_EDITED.replace("\n", "\r\n"), when="at", send_at="2030-05-30T10:00")
    data["regions"] = ["pk-isb"]
    response = client.post("/campaigns/new", data=data)
    assert response.status_code == 302, _text(response)
    campaign = db.session.execute(select(Campaign)).scalar_one()
    assert response.headers["Location"].endswith(f"/campaigns/{campaign.id}")
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.texts["ru"] == RU_EDITED
    assert campaign.texts["en"] == get_topic("irregular-migration").texts["en"]
    assert campaign.send_at == datetime(2030, 5, 30, 5, 0, tzinfo=UTC)  # 10:00 in Karachi
    assert (campaign.window_start, campaign.window_end, campaign.rate_per_second) == (
        None,
        None,
        10.0,
    )
    assert [r.code for r in campaign.regions] == ["pk-isb"]
    assert campaign.created_by_id == coordinator.id


def test_a_recurring_job_fair_keeps_its_fields_and_window(client, coordinator):
    data = _form(
        "job-fair",
        when="recurring",
        recurrence="monthly",
        field_event_date="30 May, 10:00",
        field_event_place="MRC Islamabad",
        window_start="08:00",
        window_end="24:00",
        rate="5",
    )
    assert client.post("/campaigns/new", data=data).status_code == 302
    campaign = db.session.execute(select(Campaign)).scalar_one()
    assert campaign.recurrence == "monthly" and campaign.send_at is None
    assert campaign.fields == {"event_date": "30 May, 10:00", "event_place": "MRC Islamabad"}
    assert (campaign.window_start, campaign.window_end, campaign.rate_per_second) == (
        480,
        1440,
        5.0,
    )


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"regions": []}, "choose at least one region or list"),
        ({"window_start": "20:00", "window_end": "09:00"}, "the window must end after it starts"),
        ({"window_start": "9h", "window_end": "20:00"}, "is not a time of day"),
        ({"when": "at", "send_at": "30/05/2030 10:00"}, "is not a date and time"),
        ({"when": "at", "send_at": "2020-01-01T10:00"}, "has already passed"),
        ({"when": "at", "send_at": ""}, "choose the date and time"),
        ({"text_ru": "Привет {name.__class__}"}, "no attribute or index access"),
        ({"text_en": "  "}, "the text is empty"),
        ({"rate": "fast"}, "a number of messages a second"),
        ({"rate": "500"}, "between 1 and 100"),
        ({"name": ""}, "a name of 1 to 200 characters"),
        ({"topic": "lottery"}, "unknown topic"),
    ],
)
def test_bad_input_is_shown_on_the_form_and_nothing_is_created(
    client, coordinator, overrides, problem
):
    response = client.post("/campaigns/new", data=_form(**overrides))
    assert response.status_code == 422
    assert problem in _text(response)
    assert _campaigns() == 0


def test_every_problem_is_shown_at_once(client, coordinator):
    data = _form(regions=[], when="at", send_at="tomorrow", text_ru="{name.__class__}")
    page = _text(client.post("/campaigns/new", data=data))
    for problem in ("choose at least one region", "is not a date and time", "no attribute"):
        assert problem in page


def test_a_coordinator_cannot_pick_another_mrc(client, coordinator, region):
    response = client.post("/campaigns/new", data=_form(regions=["kg-osh"]))
    assert response.status_code == 422
    assert _campaigns() == 0


def _draft(client, **overrides) -> Campaign:
    response = client.post("/campaigns/new", data=_form(**overrides))
    assert response.status_code == 302, _text(response)
    return db.session.execute(select(Campaign).order_by(Campaign.id.desc())).scalars().first()


def test_the_summary_shows_audience_segments_and_cost(client, coordinator, make_contact):
    for language in ("ur", "ur", "en", "ru"):
        make_contact("pk-isb", language=language)
    db.session.add(SegmentPrice(country="PK", price=Decimal("0.05"), currency="USD"))
    db.session.commit()
    campaign = _draft(client)
    page = _text(client.get(f"/campaigns/{campaign.id}"))
    audience = page[
        page.index('id="audience"') : page.index("</table>", page.index('id="audience"'))
    ]
    summary = preview(db.session, campaign)
    assert summary["audience"]["by_language"] == {"ur": 2, "en": 1, "ru": 1}
    rows = {
        cells[0].split()[0]: cells
        for cells in (
            [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
            for r in re.findall(r"<tr>(.*?)</tr>", audience, re.S)
        )
        if cells
    }
    for lang, count in (("ur", "2"), ("en", "1"), ("ru", "1")):
        segments = summary["segments"][lang]
        assert rows[lang][1:4] == [count, segments["encoding"], str(segments["segments"])]
    assert summary["segments"]["en"]["encoding"] == "GSM-7"
    assert summary["segments"]["ru"]["encoding"] == "UCS-2"
    assert summary["estimated_cost"] > 0
    assert f"{summary['estimated_cost']:.2f} USD" in page
    assert "No price per segment" not in page


def test_the_summary_names_countries_without_a_price(client, coordinator, make_contact):
    make_contact("pk-isb", language="en")
    campaign = _draft(client)
    page = _plain(client.get(f"/campaigns/{campaign.id}"))
    assert "No price per segment is set for PK :" in page


def _buttons(page: str) -> list[str]:
    return re.findall(r"/campaigns/\d+/(launch|pause|resume|cancel)", page)


def test_launch_pause_resume_cancel_move_the_status(client, coordinator, make_contact):
    make_contact("pk-isb", language="en")
    campaign = _draft(client)
    url = f"/campaigns/{campaign.id}"
    assert _buttons(_text(client.get(url))) == ["launch", "cancel"]
    for action, status, buttons in (
        ("launch", "running", ["pause", "cancel"]),
        ("pause", "paused", ["resume", "cancel"]),
        ("resume", "running", ["pause", "cancel"]),
        ("cancel", "cancelled", []),
    ):
        response = client.post(f"{url}/{action}")
        assert response.status_code == 302
        db.session.expire_all()
        assert db.session.get(Campaign, campaign.id).status == status
        assert _buttons(_text(client.get(url))) == buttons


def test_a_move_the_status_does_not_allow_changes_nothing(client, coordinator):
    campaign = _draft(client)
    response = client.post(f"/campaigns/{campaign.id}/resume", follow_redirects=True)
    assert "Not done: a draft campaign cannot resume" in _text(response)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.DRAFT


def test_a_launch_with_a_future_time_schedules(client, coordinator):
    campaign = _draft(client, when="at", send_at="2031-01-10T09:30")
    client.post(f"/campaigns/{campaign.id}/launch")
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign.id)
    assert campaign.status == CampaignStatus.SCHEDULED
    assert campaign.next_run_at == datetime(2031, 1, 10, 4, 30, tzinfo=UTC)


def test_test_send_queues_one_message_outside_the_campaigns_stats(
    client, coordinator, make_contact
):
    make_contact("pk-isb", language="en")
    campaign = _draft(client)
    before = campaign_stats(db.session, campaign)
    response = client.post(
        f"/campaigns/{campaign.id}/test", data={"phone": "0300 7654321", "language": "ur"}
    )
    assert response.status_code == 302
    message = db.session.execute(select(Message)).scalar_one()
    assert (message.to_phone, message.language, message.status, message.campaign_id) == (
        "+923007654321",
        "ur",
        MessageStatus.QUEUED,
        None,
    )
    assert message.body.startswith("[TEST] ")
    assert campaign_stats(db.session, campaign) == before
    page = _text(client.get(response.headers["Location"]))
    assert "Test message queued to +923007654321" in page
    assert "/simulator?phone=%2B923007654321" in page


def test_test_send_to_a_bad_number_shows_the_problem(client, coordinator):
    campaign = _draft(client)
    response = client.post(f"/campaigns/{campaign.id}/test", data={"phone": "12", "language": "en"})
    assert response.status_code == 422
    assert db.session.execute(select(func.count()).select_from(Message)).scalar_one() == 0


def test_results_show_a_missed_run_interrupted_messages_and_replies_to_read(
    client, coordinator, make_contact, make_campaign
):
    person = make_contact("pk-isb", language="en", name="Imran")
    campaign = make_campaign(regions=("pk-isb",), status=CampaignStatus.SCHEDULED)
    fire_campaign(db.session, campaign, MORNING + timedelta(hours=3))  # long past the grace
    db.session.add_all(
        [
            Message(
                direction="outbound",
                campaign_id=campaign.id,
                contact_id=person.id,
                region_id=person.region_id,
                to_phone=person.phone,
                status=MessageStatus.INTERRUPTED,
            ),
            Response(
                contact_id=person.id,
                campaign_id=campaign.id,
                channel="sms",
                kind=ResponseKind.UNRECOGNISED,
                text="where is the office?",
            ),
        ]
    )
    db.session.commit()
    page = _text(client.get(f"/campaigns/{campaign.id}"))
    assert "This campaign was missed" in _plain(client.get(f"/campaigns/{campaign.id}"))
    assert "Not sent: no worker was running" in page
    assert "May or may not have been sent; not sent again." in page
    assert "where is the office?" in page and "unrecognised — to read" in page
    assert 'data-stat="interrupted">1<' in page


def test_the_list_shows_the_users_campaigns_with_counts(
    client, coordinator, make_campaign, make_contact
):
    mine = make_campaign(regions=("pk-isb",), name="Isb fair")
    make_campaign(regions=("kg-osh",), name="Osh fair")
    person = make_contact("pk-isb")
    db.session.add(
        Message(
            direction="outbound",
            campaign_id=mine.id,
            contact_id=person.id,
            to_phone=person.phone,
            status=MessageStatus.DELIVERED,
        )
    )
    db.session.commit()
    page = _text(client.get("/campaigns"))
    assert "Isb fair" in page and "Osh fair" not in page
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", page, re.S) if "Isb fair" in r)
    cells = [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]
    assert cells[1] == get_topic("irregular-migration").title
    assert cells[2] == "running" and cells[5:] == ["1", "1"]


def test_another_regions_campaign_is_404(client, coordinator, make_campaign):
    theirs = make_campaign(regions=("kg-osh",), status=CampaignStatus.DRAFT)
    assert client.get(f"/campaigns/{theirs.id}").status_code == 404
    for action in ("launch", "cancel"):
        assert client.post(f"/campaigns/{theirs.id}/{action}").status_code == 404
    test = client.post(f"/campaigns/{theirs.id}/test", data={"phone": "+996555000111"})
    assert test.status_code == 404
    db.session.expire_all()
    assert db.session.get(Campaign, theirs.id).status == CampaignStatus.DRAFT


def test_a_counsellor_reads_campaigns_but_cannot_create_or_launch(
    client, make_user, login, make_campaign
):
    campaign = make_campaign(regions=("pk-isb",), status=CampaignStatus.DRAFT)
    login(make_user("counsellor", ["pk-isb"]))
    assert client.get("/campaigns").status_code == 200
    page = _text(client.get(f"/campaigns/{campaign.id}"))
    assert campaign.name in page and _buttons(page) == [] and "Send test" not in page
    assert client.get("/campaigns/new").status_code == 403
    assert client.post("/campaigns/new", data=_form()).status_code == 403
    assert client.post(f"/campaigns/{campaign.id}/launch").status_code == 403
    assert (
        client.post(f"/campaigns/{campaign.id}/test", data={"phone": "+923001"}).status_code == 403
    )
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.DRAFT


# -- prices -----------------------------------------------------------------------------------


def test_an_admin_sets_and_changes_prices(client, make_user, login):
    login(make_user("admin", []))
    page = _text(client.get("/settings/prices"))
    assert "No prices yet" in page and "PK" in page  # a region's country with no price
    assert (
        client.post(
            "/settings/prices", data={"country": "pk", "price": "0.0425", "currency": "usd"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            "/settings/prices", data={"country": "PK", "price": "0,05", "currency": "USD"}
        ).status_code
        == 302
    )
    price = db.session.execute(select(SegmentPrice)).scalar_one()
    assert (price.country, price.price, price.currency) == ("PK", Decimal("0.05"), "USD")
    assert "0.05" in _text(client.get("/settings/prices"))


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"country": "XX", "price": "0.05", "currency": "USD"}, "two-letter ISO country code"),
        ({"country": "PK", "price": "-1", "currency": "USD"}, "a number from 0"),
        ({"country": "PK", "price": "0.000001", "currency": "USD"}, "at most 5 decimal places"),
        ({"country": "PK", "price": "cheap", "currency": "USD"}, "a number from 0"),
        ({"country": "TJ", "price": "0.05", "currency": "EUR"}, "the other prices are in USD"),
    ],
)
def test_bad_prices_are_refused(client, make_user, login, data, problem):
    db.session.add(SegmentPrice(country="KG", price=Decimal("0.07"), currency="USD"))
    db.session.commit()
    login(make_user("admin", []))
    response = client.post("/settings/prices", data=data)
    assert response.status_code == 422
    assert problem in _text(response)
    assert db.session.execute(select(func.count()).select_from(SegmentPrice)).scalar_one() == 1


def test_only_admins_see_prices(client, coordinator):
    assert client.get("/settings/prices").status_code == 403
    data = {"country": "PK", "price": "0.05", "currency": "USD"}
    assert client.post("/settings/prices", data=data).status_code == 403
    assert "/settings/prices" not in _text(client.get("/campaigns"))


def test_the_summary_warns_when_a_region_has_no_mrc_phone(client, make_user, login, region):
    from outreach.access import Scope
    from outreach.campaigns.service import CampaignInput, create_campaign
    from outreach.extensions import db

    user = make_user("coordinator", ["pk-isb", "kg-osh"])
    login(user)
    osh = region("kg-osh")
    osh.phone = "+996 3222 50106"
    data = CampaignInput(
        name="Safe routes", topic="irregular-migration", regions=["pk-isb", "kg-osh"]
    )
    campaign = create_campaign(db.session, Scope.for_user(user), data, user.id)
    db.session.commit()
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "has none set" in page and "<strong>pk-isb</strong>" in page
