"""In a real browser: the call-back queue updates itself when a colleague claims a request."""

from __future__ import annotations

from playwright.sync_api import expect

from outreach.access import Scope
from outreach.callbacks.claims import claim_request
from outreach.callbacks.service import CallbackSource, request_callback
from outreach.extensions import db
from outreach.models import utcnow

PASSWORD = "correct horse battery"  # what the `make_user` fixture gives every user


def test_the_queue_shows_a_new_request_and_a_colleagues_claim_without_a_reload(
    page, make_user, make_contact
):
    aida = make_user("counsellor", ["kg-osh"])
    bakyt = make_user("counsellor", ["kg-osh"])
    first = make_contact("kg-osh", phone="+996555000311", language="ky")
    request_callback(db.session, first, CallbackSource("ivr"), utcnow())
    db.session.commit()

    page.goto("/login")
    page.get_by_label("Email").fill(aida.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Call-backs").click()
    rows = page.locator("#queue tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("+99655*****11")  # masked before a claim
    page.evaluate("window.notReloaded = true")

    second = make_contact("kg-osh", phone="+996555000322", language="ru")
    made = request_callback(db.session, second, CallbackSource("hotline"), utcnow()).request
    db.session.commit()
    claim_request(db.session, Scope.for_user(bakyt), made.id, utcnow(), 30)
    db.session.commit()

    expect(rows).to_have_count(2, timeout=15_000)
    expect(page.locator(f'#queue tr[data-id="{made.id}"]')).to_contain_text(bakyt.email)
    assert page.evaluate("window.notReloaded") is True  # the rows changed, the page did not
