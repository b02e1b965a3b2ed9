"""The queue in the browser's terms: pages, the rows it polls, forms, and claims over real HTTP."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from support import served_over_http

from outreach.accounts.service import create_token
from outreach.extensions import db
from outreach.models import AuditEvent, CallbackRequest, utcnow

BISHKEK = ZoneInfo("Asia/Bishkek")


@pytest.fixture
def live_url(app):
    """The test app served over real HTTP by werkzeug in a thread (a request per thread)."""
    with served_over_http(app, "callback-server") as url:
        yield url


def test_ten_claims_over_real_http_one_wins_the_others_are_told_who(
    live_url, counsellor, osh_person, ask
):
    request_id = ask(osh_person(), at=utcnow()).id
    users = [counsellor() for _ in range(10)]
    tokens = {user.email: create_token(db.session, user.email) for user in users}
    db.session.commit()
    start = threading.Barrier(len(tokens))
    answers: dict[str, tuple[int, dict]] = {}

    def claim(email: str, token: str) -> None:
        http = urllib.request.Request(
            f"{live_url}/api/v1/callbacks/{request_id}/claim",
            method="POST",
            headers={"Authorization": f"Bearer {token}"},
        )
        start.wait()
        try:
            with urllib.request.urlopen(http, timeout=30) as response:
                answers[email] = (response.status, json.load(response))
        except urllib.error.HTTPError as refused:
            answers[email] = (refused.code, json.load(refused))

    threads = [threading.Thread(target=claim, args=item) for item in tokens.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    won = [email for email, (status, _) in answers.items() if status == 200]
    assert len(answers) == 10 and len(won) == 1
    refusals = [body["error"] for status, body in answers.values() if status != 200]
    assert {(e["code"], e["details"]["by"]) for e in refusals} == {("claimed", won[0])}
    assert len(refusals) == 9
    db.session.expire_all()
    holder = db.session.get(CallbackRequest, request_id).claimed_by_id
    assert holder == next(u.id for u in users if u.email == won[0])


def test_the_queue_page_lists_masked_numbers_and_polls_its_rows(
    client, login, counsellor, osh_person, ask
):
    person = osh_person()
    request = ask(person, "missed_call", at=utcnow())
    login(counsellor())
    page = client.get("/callbacks").get_data(as_text=True)
    assert person.phone not in page and person.phone[-2:] in page
    assert 'data-rows-url="/callbacks/rows' in page and "callbacks.js" in page
    assert f"/callbacks/{request.id}" in page
    rows = client.get("/callbacks/rows")
    assert rows.status_code == 200 and "<html" not in rows.get_data(as_text=True)
    assert "missed_call" in rows.get_data(as_text=True)
    assert "Call-backs" in page.split("</nav>")[0]  # the counsellor's navigation leads here
    script = client.get("/assets/callbacks.js")
    assert script.status_code == 200 and b"setTimeout(refresh" in script.data
    script.close()


def test_the_queue_filters_by_source_and_language(client, login, counsellor, osh_person, ask):
    ask(osh_person(language="ru"), "hotline", at=utcnow())
    ask(osh_person(language="uz"), "ivr", at=utcnow())
    login(counsellor())
    rows = client.get("/callbacks/rows", query_string={"source": "hotline"}).get_data(as_text=True)
    assert "hotline" in rows and "ivr" not in rows
    rows = client.get("/callbacks/rows", query_string={"language": "uz"}).get_data(as_text=True)
    assert "uz (Uzbek)" in rows and "ru (Russian)" not in rows


def test_working_a_request_through_the_pages(client, login, counsellor, osh_person, ask):
    person = osh_person()
    request = ask(person, "ivr", at=utcnow())
    login(counsellor())
    before = client.get(f"/callbacks/{request.id}").get_data(as_text=True)
    assert person.phone not in before and "Claim" in before
    assert "Asked for a call-back (ivr)" in before and "SMS to the person" in before
    assert client.post(f"/callbacks/{request.id}/claim").status_code == 302
    after = client.get(f"/callbacks/{request.id}").get_data(as_text=True)
    assert person.phone in after and "Record the call" in after
    recorded = client.post(
        f"/callbacks/{request.id}/attempts",
        data={"outcome": "reached", "note": "booked a test", "topics": ["hiv_testing"]},
    )
    assert recorded.status_code == 302
    db.session.expire_all()
    assert db.session.get(CallbackRequest, request.id).status == "done"
    page = client.get(f"/callbacks/{request.id}").get_data(as_text=True)
    assert "Call attempt: reached" in page and "booked a test" in page
    views = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "callback.view")
    ).scalars()
    assert len(list(views)) == 3


def test_call_later_from_the_form_is_read_in_the_zone_the_counsellor_chose(
    client, login, counsellor, osh_person, ask
):
    request = ask(osh_person(), at=utcnow())
    login(counsellor())
    tomorrow = (utcnow().astimezone(BISHKEK) + timedelta(days=1)).strftime("%Y-%m-%d")
    client.post(f"/callbacks/{request.id}/claim")
    client.post(
        f"/callbacks/{request.id}/attempts",
        data={"outcome": "call_later", "call_at": f"{tomorrow}T15:00", "call_at_zone": "person"},
    )
    db.session.expire_all()
    saved = db.session.get(CallbackRequest, request.id)
    assert saved.status == "open"
    assert saved.due_at.astimezone(BISHKEK).strftime("%Y-%m-%d %H:%M") == f"{tomorrow} 15:00"
    page = client.get(f"/callbacks/{request.id}").get_data(as_text=True)
    assert f"Call at {tomorrow} 15:00 Asia/Bishkek the person&#39;s time" in page
    client.post(f"/callbacks/{request.id}/claim")
    far = client.post(
        f"/callbacks/{request.id}/attempts",
        data={"outcome": "call_later", "call_at": "2099-01-01T15:00", "call_at_zone": "mrc"},
    )
    assert far.status_code == 302  # refused with a message on the page, still claimed
    db.session.expire_all()
    assert db.session.get(CallbackRequest, request.id).status == "claimed"


def test_an_osh_counsellor_gets_404_for_a_lahore_request_on_the_web(
    client, login, counsellor, make_contact, ask
):
    lahore = ask(make_contact("pk-lhr", language="ur"), "ivr", at=utcnow())
    login(counsellor("kg-osh"))
    assert "/callbacks/" + str(lahore.id) not in client.get("/callbacks").get_data(as_text=True)
    assert client.get(f"/callbacks/{lahore.id}").status_code == 404
    assert client.post(f"/callbacks/{lahore.id}/claim").status_code == 404
    assert client.post(f"/callbacks/{lahore.id}/release").status_code == 404
    attempt = client.post(f"/callbacks/{lahore.id}/attempts", data={"outcome": "reached"})
    assert attempt.status_code == 404
    db.session.expire_all()
    assert db.session.get(CallbackRequest, lahore.id).status == "open"


def test_a_huge_page_number_is_a_400_not_a_500(client, login, counsellor):
    login(counsellor())
    assert client.get("/callbacks", query_string={"page": "1" + "0" * 20}).status_code == 400
    assert client.get("/callbacks/rows", query_string={"page": "1" + "0" * 20}).status_code == 400


def test_staff_ask_for_a_call_back_from_the_contact_page(client, login, make_user, osh_person):
    person = osh_person()
    login(make_user("coordinator", ["kg-osh"]))
    assert "Call me back" in client.get(f"/contacts/{person.id}").get_data(as_text=True)
    made = client.post(f"/contacts/{person.id}/callbacks", data={"note": "walk-in"})
    assert made.status_code == 302
    request = db.session.execute(select(CallbackRequest)).scalar_one()
    assert (request.contact_id, request.channel) == (person.id, "staff")
