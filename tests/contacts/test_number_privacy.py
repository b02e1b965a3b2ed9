"""Counsellors read a person's number in full only while holding the claim on their call-back.

Everywhere a counsellor can read a contact — the contacts list and search, a contact's page, a
list's members, a campaign's messages and replies, the API — the number is masked, until they
claim that person's open request; releasing it (or the claim expiring) masks it again. Admins
and coordinators manage contacts and read every number.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from outreach.access import Scope
from outreach.callbacks.claims import claim_request, release_request
from outreach.callbacks.service import CallbackSource, request_callback
from outreach.contacts.phones import mask_phone
from outreach.extensions import db
from outreach.models import (
    ContactList,
    Direction,
    Message,
    MessageStatus,
    Response,
    ResponseKind,
    utcnow,
)

PHONE = "+996555700123"
MASKED = "+99655*****23"


@pytest.fixture
def person(make_contact):
    return make_contact("kg-osh", phone=PHONE, language="ky", name="Aizada", lists=("Bazaar",))


@pytest.fixture
def request_of(app):
    """An open call-back request for a person (committed)."""

    def make(contact):
        made = request_callback(db.session, contact, CallbackSource("ivr"), utcnow())
        db.session.commit()
        return made.request

    return make


def _claim(user, request_id, now=None, minutes=30):
    claim_request(db.session, Scope.for_user(user), request_id, now or utcnow(), minutes)
    db.session.commit()


def _release(user, request_id):
    release_request(db.session, Scope.for_user(user), request_id, utcnow())
    db.session.commit()


def _pages(client, contact) -> dict[str, str]:
    list_id = db.session.execute(select(ContactList.id).where(ContactList.name == "Bazaar"))
    return {
        "contact page": client.get(f"/contacts/{contact.id}").get_data(as_text=True),
        "contacts list": client.get("/contacts").get_data(as_text=True),
        "list page": client.get(f"/lists/{list_id.scalar_one()}").get_data(as_text=True),
    }


def _api_phones(client, contact) -> dict[str, str]:
    [item] = client.get("/api/v1/contacts").get_json()["items"]
    return {
        "api list": item["phone"],
        "api contact": client.get(f"/api/v1/contacts/{contact.id}").get_json()["phone"],
    }


def test_the_mask_keeps_the_network_and_the_last_two_digits():
    assert mask_phone(PHONE) == MASKED
    assert mask_phone("+923001234567") == "+92300*****67"
    assert mask_phone("+12345") == "******"


def test_a_counsellor_sees_the_number_only_while_holding_the_claim(
    client, login, api, make_user, person, request_of
):
    aida = make_user("counsellor", ["kg-osh"])
    login(aida)
    request = request_of(person)
    for where, page in _pages(client, person).items():
        assert PHONE not in page and MASKED in page, where
    assert _api_phones(api(aida), person) == {"api list": MASKED, "api contact": MASKED}

    _claim(aida, request.id)
    for where, page in _pages(client, person).items():
        assert PHONE in page, where
    assert _api_phones(api(aida), person) == {"api list": PHONE, "api contact": PHONE}

    _release(aida, request.id)
    for where, page in _pages(client, person).items():
        assert PHONE not in page and MASKED in page, where
    assert _api_phones(api(aida), person) == {"api list": MASKED, "api contact": MASKED}


def test_another_counsellors_claim_or_an_expired_one_reveals_nothing(
    client, login, api, make_user, person, request_of
):
    aida, bakyt = make_user("counsellor", ["kg-osh"]), make_user("counsellor", ["kg-osh"])
    request = request_of(person)
    _claim(bakyt, request.id)
    login(aida)
    assert PHONE not in client.get(f"/contacts/{person.id}").get_data(as_text=True)
    assert _api_phones(api(aida), person)["api contact"] == MASKED

    _release(bakyt, request.id)
    _claim(aida, request.id, now=utcnow() - timedelta(minutes=31), minutes=30)  # since expired
    assert PHONE not in client.get(f"/contacts/{person.id}").get_data(as_text=True)
    assert _api_phones(api(aida), person) == {"api list": MASKED, "api contact": MASKED}


def test_a_closed_request_no_longer_shows_the_number(api, make_user, person, request_of):
    aida = make_user("counsellor", ["kg-osh"])
    request = request_of(person)
    _claim(aida, request.id)
    made = api(aida).post(
        f"/api/v1/callbacks/{request.id}/attempts", json={"outcome": "reached", "note": "ok"}
    )
    assert made.status_code == 201
    assert _api_phones(api(aida), person) == {"api list": MASKED, "api contact": MASKED}


@pytest.mark.parametrize("role", ["admin", "coordinator"])
def test_admins_and_coordinators_read_every_number(client, login, api, make_user, person, role):
    manager = make_user(role, ["kg-osh"])
    login(manager)
    for where, page in _pages(client, person).items():
        assert PHONE in page, where
    assert _api_phones(api(manager), person) == {"api list": PHONE, "api contact": PHONE}


def test_an_opt_out_recorded_by_a_counsellor_answers_with_the_masked_number(api, make_user, person):
    aida = make_user("counsellor", ["kg-osh"])
    answer = api(aida).post(f"/api/v1/contacts/{person.id}/opt-out", json={"source": "by phone"})
    assert answer.status_code == 200
    assert answer.get_json()["phone"] == MASKED and answer.get_json()["consent"] == "opted_out"


def test_a_counsellor_finds_a_whole_number_but_not_parts_of_one(
    client, login, make_user, person, make_contact
):
    make_contact("kg-osh", phone="+996555700999", name="Other")
    login(make_user("counsellor", ["kg-osh"]))
    for typed in (PHONE, "+996 555 700 123", "0555 700 123"):
        page = client.get("/contacts", query_string={"q": typed}).get_data(as_text=True)
        rows = page.split("<tbody>")[1].split("</tbody>")[0]  # the search box echoes the number
        assert "Aizada" in rows and MASKED in rows and PHONE not in rows, typed
        assert "Other" not in rows, typed
    # Parts of a number would uncover a masked one digit by digit over repeated searches.
    for part in ("700123", "5557001", "0123"):
        page = client.get("/contacts", query_string={"q": part}).get_data(as_text=True)
        assert "Aizada" not in page and "No contacts match" in page, part
    page = client.get("/contacts", query_string={"q": "aiza"}).get_data(as_text=True)
    assert "Aizada" in page and PHONE not in page


def test_a_coordinator_still_finds_parts_of_a_number(client, login, make_user, person):
    login(make_user("coordinator", ["kg-osh"]))
    page = client.get("/contacts", query_string={"q": "700123"}).get_data(as_text=True)
    assert "Aizada" in page and PHONE in page


def test_the_api_phone_filter_finds_the_person_masked_for_a_counsellor(api, make_user, person):
    found = api(make_user("counsellor", ["kg-osh"])).get(
        "/api/v1/contacts", query_string={"phone": PHONE}
    )
    assert [item["phone"] for item in found.get_json()["items"]] == [MASKED]


def _campaign_activity(make_campaign, person):
    campaign = make_campaign(regions=("kg-osh",))
    message = Message(
        direction=Direction.OUTBOUND,
        campaign_id=campaign.id,
        contact_id=person.id,
        region_id=person.region_id,
        to_phone=PHONE,
        language="ky",
        status=MessageStatus.DELIVERED,
    )
    db.session.add(message)
    db.session.flush()
    db.session.add(
        Response(
            contact_id=person.id,
            campaign_id=campaign.id,
            message_id=message.id,
            channel="sms",
            kind=ResponseKind.CALLBACK,
            text="call me",
        )
    )
    db.session.commit()
    return campaign


def test_campaign_pages_mask_numbers_for_counsellors(
    client, login, make_user, make_campaign, person, request_of
):
    campaign = _campaign_activity(make_campaign, person)
    aida = make_user("counsellor", ["kg-osh"])
    login(aida)
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert PHONE not in page and page.count(MASKED) == 2  # the message and the reply
    _claim(aida, request_of(person).id)
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert page.count(PHONE) == 2 and MASKED not in page


def test_campaign_pages_show_numbers_to_coordinators(
    client, login, make_user, make_campaign, person
):
    campaign = _campaign_activity(make_campaign, person)
    login(make_user("coordinator", ["kg-osh"]))
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert page.count(PHONE) == 2 and MASKED not in page


def test_an_admin_reading_someone_elses_claim_is_not_offered_to_record_the_call(
    client, login, make_user, person, request_of
):
    request = request_of(person)
    _claim(make_user("counsellor", ["kg-osh"]), request.id)
    login(make_user("admin", []))
    page = client.get(f"/callbacks/{request.id}").get_data(as_text=True)
    assert PHONE in page  # admins read every number
    assert "Record the call" not in page and "Claim" in page


def test_the_queue_shows_numbers_only_to_the_claimer_and_admins(api, make_user, person, request_of):
    request = request_of(person)
    coordinator = api(make_user("coordinator", ["kg-osh"]))
    assert coordinator.get(f"/api/v1/callbacks/{request.id}").get_json()["phone"] == MASKED
    assert (
        api(make_user("admin", [])).get(f"/api/v1/callbacks/{request.id}").get_json()["phone"]
        == PHONE
    )
    aida = make_user("counsellor", ["kg-osh"])
    assert api(aida).get("/api/v1/callbacks").get_json()["items"][0]["phone"] == MASKED
    _claim(aida, request.id)
    assert api(aida).get("/api/v1/callbacks").get_json()["items"][0]["phone"] == PHONE
