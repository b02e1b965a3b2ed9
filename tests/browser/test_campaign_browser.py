"""In a real browser: compose a campaign and see its summary; reply from the phone simulator."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from outreach.content import get_topic
from outreach.extensions import db
from outreach.models import Campaign, CampaignStatus

PASSWORD = "correct horse battery"  # what the `make_user` fixture gives every user


def test_compose_a_draft_and_see_its_summary(page, make_user, make_contact):
    user = make_user("coordinator", ["pk-isb", "kg-osh"])
    for language in ("ur", "ur", "en"):
        make_contact("pk-isb", language=language)
    make_contact("kg-osh", phone="+996555000222", language="ru")
    topic = get_topic("job-fair")

    page.goto("/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Campaigns").click()
    page.get_by_role("link", name="New campaign").first.click()

    expect(page.get_by_role("button", name="Use this topic's texts")).to_be_hidden()  # scripted
    page.get_by_label("Name").fill("Job fair, May")
    page.get_by_label("Topic").select_option("job-fair")
    russian = page.locator('textarea[data-lang="ru"]')
    expect(russian).to_have_value(topic.texts["ru"])
    expect(page.locator('textarea[data-lang="en"]')).to_have_value(topic.texts["en"])
    counter = re.compile(r"^(UCS-2|GSM-7) · \d segments? · ")
    expect(page.locator('[data-counter="ru"]')).to_have_text(counter)
    expect(page.locator('[data-counter="ru"]')).to_contain_text("UCS-2")
    expect(page.locator('[data-counter="en"]')).to_have_text(counter)
    expect(page.locator('[data-counter="en"]')).to_contain_text("GSM-7")
    expect(page.locator('[data-review="ru"]')).to_contain_text("native Russian speaker")
    expect(page.get_by_label("Event date")).to_be_visible()
    expect(page.get_by_label("Date and time", exact=True)).to_be_hidden()

    page.get_by_label("Event date").fill("30 May, 10:00")
    page.get_by_label("Event place").fill("MRC Islamabad")
    page.get_by_label("pk-isb · MRC Islamabad").check()
    page.get_by_label("kg-osh · MRC Osh").check()
    russian.fill("Ярмарка вакансий {mrc_name}: {event_date}, {event_place}. " * 3)
    expect(page.locator('[data-counter="ru"]')).to_have_text(re.compile(r"^UCS-2 · [3-9] segments"))
    page.get_by_label("Once, at a date and time").check()
    page.get_by_label("Date and time", exact=True).fill("2031-05-20T09:30")
    expect(page.locator("[data-zone]")).to_have_text("Asia/Bishkek (kg-osh)")
    page.screenshot(path="/tmp/campaign-form.png", full_page=True)
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_text("saved. Check the summary")).to_be_visible()
    audience = page.locator("#audience")
    expect(audience.locator("tfoot")).to_contain_text("4")
    expect(audience).to_contain_text("UCS-2")
    expect(audience).to_contain_text("GSM-7")
    expect(page.get_by_role("button", name="Launch")).to_be_visible()
    expect(page.get_by_role("button", name="Send test")).to_be_visible()
    page.screenshot(path="/tmp/campaign-summary.png", full_page=True)

    campaign = db.session.execute(select(Campaign)).scalar_one()
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.texts["ru"].startswith("Ярмарка вакансий {mrc_name}")
    assert campaign.fields == {"event_date": "30 May, 10:00", "event_place": "MRC Islamabad"}
    # The first region ticked in the list's order is kg-osh: 09:30 in Bishkek.
    assert campaign.send_at.isoformat() == "2031-05-20T03:30:00+00:00"


def test_reply_stop_in_the_phone_simulator(page, make_user, make_contact):
    user = make_user("coordinator", ["kg-osh"])
    person = make_contact("kg-osh", phone="+996555000333", name="Олег", language="ru")

    page.goto("/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Simulator").click()
    page.get_by_label("Find a contact").fill("Олег")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=person.phone).click()
    expect(page.get_by_text("This phone has received nothing yet.")).to_be_visible()
    page.get_by_label("Reply").fill("СТОП")
    page.get_by_role("button", name="Send", exact=True).click()

    expect(page.locator('[data-direction="sent"]')).to_contain_text("СТОП")
    expect(page.locator('[data-direction="received"]').last).to_contain_text("Вы отписаны")
    expect(page.locator(".phone-head")).to_contain_text("opted out")
    expect(page.locator("#answer-as")).to_contain_text("any contact of your own MRCs")
    page.screenshot(path="/tmp/simulator.png", full_page=True)
    page.get_by_role("link", name="Contact's page and consent history").click()
    stop = page.get_by_role("row").filter(has_text="Opt-out").filter(has_text="СТОП")
    expect(stop).to_contain_text("typed by staff in the phone simulator")
    expect(stop).to_contain_text(user.email)


def test_with_real_phones_an_admin_adds_a_test_phone_and_the_simulator_answers_only_as_it(
    app, page, make_user, make_contact
):
    app.config["OUTREACH_PROVIDER"] = "twilio"
    admin = make_user("admin", [])
    coordinator = make_user("coordinator", ["kg-osh"])
    person = make_contact("kg-osh", phone="+996555000444", name="Айдай", language="ky")

    _log_in(page, admin)
    page.get_by_role("link", name="Test phones").click()
    page.get_by_label("Phone number").fill("+996 700 111 222")
    page.get_by_label("Label").fill("Osh coordinator's work phone")
    page.get_by_label("Region").select_option("kg-osh")
    page.get_by_role("button", name="Add test phone").click()
    expect(page.get_by_text("Test phone +996700111222")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    _log_in(page, coordinator)
    page.goto(f"/simulator?contact={person.id}")
    expect(page.locator("#answer-as")).to_contain_text("never as a contact")
    expect(page.locator("#no-reply")).to_be_visible()
    expect(page.get_by_label("Reply")).to_have_count(0)
    page.get_by_role("link", name="+996700111222").click()
    expect(page.locator(".phone-head")).to_contain_text("Osh coordinator's work phone")
    page.get_by_label("Reply").fill("HELP")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator('[data-direction="sent"]')).to_contain_text("HELP")
    page.screenshot(path="/tmp/simulator-test-phone.png", full_page=True)


def _log_in(page, user) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
