"""In a real browser: a voice campaign's call rings in the phone simulator; staff answer it,
read and play its prompts, press 9 for a call-back and hang up."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select
from voice_dialing import ring_through_the_simulator

from outreach.content import message_values
from outreach.content.render import render_text
from outreach.extensions import db
from outreach.models import Call, CallbackRequest, CallStatus
from outreach.voice.catalog import find_prompt

PASSWORD = "correct horse battery"  # what the `make_user` fixture gives every user


def _place_the_call(app, region, person) -> Call:
    ring_through_the_simulator(app, region, "browser", name="Safe migration by phone")
    return db.session.execute(select(Call)).scalar_one()


def _said(prompt: str, topic: str, region) -> str:
    return render_text(find_prompt(topic, prompt).text("ru"), message_values(region))


def test_answer_a_call_and_press_9_for_a_call_back(app, page, region, make_user, make_contact):
    osh = region("kg-osh")
    osh.sender_number = "+996312000000"
    db.session.commit()
    user = make_user("coordinator", ["kg-osh"])
    person = make_contact("kg-osh", phone="+996555000555", name="Олег", language="ru")
    call = _place_the_call(app, region, person)
    assert call.status == CallStatus.RINGING

    page.goto("/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/simulator?contact={person.id}")
    expect(page.get_by_text("Incoming call")).to_be_visible()
    page.get_by_role("button", name="Answer").click()

    said = page.locator("#said")
    expect(said).to_contain_text(_said("start", "irregular-migration", osh))
    player = said.locator("audio").first
    source = player.get_attribute("src")
    assert source.startswith("/audio/")
    played = page.request.get(source)
    assert played.status == 200 and played.headers["content-type"].startswith("audio/")
    page.screenshot(path="/tmp/simulator-call.png", full_page=True)

    page.locator("#keypad").get_by_role("button", name="9", exact=True).click()
    expect(said).to_contain_text(_said("callback_requested", "common", osh))
    expect(page.locator("#call-status")).to_contain_text("keys so far: 9")
    request = db.session.execute(select(CallbackRequest)).scalar_one()
    assert (request.contact_id, request.channel) == (person.id, "ivr")

    page.get_by_role("button", name="Hang up").click()
    expect(page.locator("#call-status")).to_contain_text("The call is over: completed")
    db.session.expire_all()
    assert db.session.get(Call, call.id).status == CallStatus.COMPLETED
