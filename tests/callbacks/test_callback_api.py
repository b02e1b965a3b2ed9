"""The call-back API: the contract's shapes, masking, claims, attempts, region isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from outreach.extensions import db
from outreach.models import AuditEvent, CallbackRequest, utcnow

BASE = "/api/v1/callbacks"
ITEM_FIELDS = {
    "id",
    "contact_id",
    "region",
    "language",
    "status",
    "phone",
    "sources",
    "attempts",
    "created_at",
    "due_at",
    "claimed_by",
    "claim_expires_at",
    "waiting_working_minutes",
    "overdue",
}


@pytest.fixture
def lahore_request(make_contact, ask):
    person = make_contact("pk-lhr", phone="+923001112233", language="ur")
    return ask(person, "ivr", at=utcnow())


def test_the_list_shows_the_contracts_item_with_a_masked_number(api, counsellor, osh_person, ask):
    person = osh_person()
    request = ask(person, "ivr", at=utcnow())
    body = api(counsellor()).get(BASE).get_json()
    assert (body["total"], body["page"]) == (1, 1)
    [item] = body["items"]
    assert set(item) == ITEM_FIELDS
    assert (item["id"], item["contact_id"], item["region"], item["language"]) == (
        request.id,
        person.id,
        "kg-osh",
        "ky",
    )
    assert item["status"] == "open" and item["claimed_by"] is None
    assert item["phone"] != person.phone and item["phone"].endswith(person.phone[-2:])
    assert "*" in item["phone"]
    assert [s["channel"] for s in item["sources"]] == ["ivr"]
    assert item["attempts"] == [] and item["overdue"] is False


def test_a_counsellor_sees_the_full_number_only_after_claiming(api, counsellor, osh_person, ask):
    person = osh_person()
    request = ask(person, "sms", at=utcnow())
    aida = api(counsellor())
    assert aida.get(f"{BASE}/{request.id}").get_json()["phone"] != person.phone
    claimed = aida.post(f"{BASE}/{request.id}/claim")
    assert claimed.status_code == 200
    assert claimed.get_json()["phone"] == person.phone
    assert aida.get(f"{BASE}/{request.id}").get_json()["phone"] == person.phone
    assert aida.get(BASE).get_json()["items"][0]["phone"] == person.phone
    other = api(counsellor())
    assert other.get(f"{BASE}/{request.id}").get_json()["phone"] != person.phone


def test_an_admin_sees_full_numbers(api, make_user, osh_person, ask):
    person = osh_person()
    ask(person, at=utcnow())
    [item] = api(make_user("admin", [])).get(BASE).get_json()["items"]
    assert item["phone"] == person.phone


def test_a_second_claim_is_409_naming_who_holds_it(api, counsellor, osh_person, ask):
    request = ask(osh_person(), at=utcnow())
    aida_user = counsellor()
    assert api(aida_user).post(f"{BASE}/{request.id}/claim").status_code == 200
    refused = api(counsellor()).post(f"{BASE}/{request.id}/claim")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "claimed"
    assert refused.get_json()["error"]["details"] == {"by": aida_user.email}


def test_attempts_201_only_by_the_holder_and_they_end_the_claim(api, counsellor, osh_person, ask):
    request = ask(osh_person(), at=utcnow())
    aida, bakyt = api(counsellor()), api(counsellor())
    path = f"{BASE}/{request.id}/attempts"
    assert aida.post(path, json={"outcome": "no_answer"}).status_code == 409
    aida.post(f"{BASE}/{request.id}/claim")
    assert bakyt.post(path, json={"outcome": "reached"}).status_code == 409
    made = aida.post(
        path, json={"outcome": "reached", "note": "HIV test booked", "topics": ["hiv_testing"]}
    )
    assert made.status_code == 201, made.get_json()
    item = made.get_json()
    assert (item["status"], item["claimed_by"]) == ("done", None)
    [attempt] = item["attempts"]
    assert (attempt["outcome"], attempt["note"], attempt["topics"]) == (
        "reached",
        "HIV test booked",
        ["hiv_testing"],
    )


def test_call_later_needs_a_time_with_an_offset(api, counsellor, osh_person, ask):
    request = ask(osh_person(), at=utcnow())
    aida = api(counsellor())
    aida.post(f"{BASE}/{request.id}/claim")
    path = f"{BASE}/{request.id}/attempts"
    missing = aida.post(path, json={"outcome": "call_later"})
    assert (missing.status_code, missing.get_json()["error"]["details"]) == (
        422,
        {"field": "call_at"},
    )
    naive = aida.post(path, json={"outcome": "call_later", "call_at": "2030-01-01T10:00:00"})
    assert naive.status_code == 422
    when = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    later = aida.post(path, json={"outcome": "call_later", "call_at": when.isoformat()})
    assert later.status_code == 201
    assert later.get_json()["due_at"] == when.isoformat()


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "shouted"},
        {"outcome": "reached", "topics": ["astrology"]},
        {"outcome": "reached", "note": "x" * 2001},
        {"outcome": "reached", "extra": 1},
        {"outcome": "no_answer", "topics": ["other"]},
    ],
)
def test_bad_attempts_are_4xx_with_the_error_shape(api, counsellor, osh_person, ask, body):
    request = ask(osh_person(), at=utcnow())
    aida = api(counsellor())
    aida.post(f"{BASE}/{request.id}/claim")
    refused = aida.post(f"{BASE}/{request.id}/attempts", json=body)
    assert refused.status_code == 422
    assert set(refused.get_json()["error"]) == {"code", "message", "details"}
    assert db.session.get(CallbackRequest, request.id).status == "claimed"


def test_notes_are_for_counsellors_and_admins_coordinators_see_that_one_exists(
    api, counsellor, make_user, osh_person, ask
):
    request = ask(osh_person(), at=utcnow())
    aida = api(counsellor())
    aida.post(f"{BASE}/{request.id}/claim")
    aida.post(f"{BASE}/{request.id}/attempts", json={"outcome": "no_answer", "note": "HIV+"})
    coordinator = api(make_user("coordinator", ["kg-osh"]))
    [attempt] = coordinator.get(f"{BASE}/{request.id}").get_json()["attempts"]
    assert (attempt["note"], attempt["has_note"]) == (None, True)
    [attempt] = api(counsellor()).get(f"{BASE}/{request.id}").get_json()["attempts"]
    assert attempt["note"] == "HIV+"


def test_coordinators_follow_the_queue_but_do_not_work_it(api, make_user, osh_person, ask):
    request = ask(osh_person(), at=utcnow())
    coordinator = api(make_user("coordinator", ["kg-osh"]))
    assert coordinator.get(BASE).status_code == 200
    refused = coordinator.post(f"{BASE}/{request.id}/claim")
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (403, "forbidden")


def test_an_osh_counsellor_cannot_list_open_claim_or_work_a_lahore_request(
    api, counsellor, lahore_request
):
    osh = api(counsellor("kg-osh"))
    assert osh.get(BASE).get_json()["items"] == []
    assert osh.get(BASE, query_string={"region": "pk-lhr"}).get_json()["total"] == 0
    rid = lahore_request.id
    assert osh.get(f"{BASE}/{rid}").status_code == 404
    assert osh.post(f"{BASE}/{rid}/claim").status_code == 404
    assert osh.post(f"{BASE}/{rid}/release").status_code == 404
    assert osh.post(f"{BASE}/{rid}/attempts", json={"outcome": "reached"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(CallbackRequest, rid).status == "open"


@pytest.mark.parametrize("page", ["100000000000000000000", "0", "-1", "abc"])
def test_a_page_out_of_range_is_4xx(api, counsellor, page):
    response = api(counsellor()).get(BASE, query_string={"page": page})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_failed"


def test_the_list_is_oldest_due_first_and_filters_by_status(api, counsellor, osh_person, ask):
    now = utcnow()
    late = ask(osh_person(), at=now - timedelta(minutes=5))
    early = ask(osh_person(), at=now - timedelta(hours=1))
    aida = api(counsellor())
    assert [i["id"] for i in aida.get(BASE).get_json()["items"]] == [early.id, late.id]
    aida.post(f"{BASE}/{early.id}/claim")
    claimed = aida.get(BASE, query_string={"status": "claimed"}).get_json()["items"]
    assert [i["id"] for i in claimed] == [early.id]
    assert aida.get(BASE, query_string={"status": "done"}).get_json()["total"] == 0


def test_staff_ask_for_a_call_back_for_a_contact(api, make_user, osh_person):
    person = osh_person()
    coordinator = api(make_user("coordinator", ["kg-osh"]))
    made = coordinator.post(f"/api/v1/contacts/{person.id}/callbacks", json={"note": "walk-in"})
    assert made.status_code == 201
    assert [s["channel"] for s in made.get_json()["sources"]] == ["staff"]
    again = coordinator.post(f"/api/v1/contacts/{person.id}/callbacks", json={})
    assert again.status_code == 201 and again.get_json()["id"] == made.get_json()["id"]
    assert len(again.get_json()["sources"]) == 2
    lahore = api(make_user("coordinator", ["pk-lhr"]))
    assert lahore.post(f"/api/v1/contacts/{person.id}/callbacks", json={}).status_code == 404


def test_viewing_a_request_is_audited(api, counsellor, osh_person, ask):
    request = ask(osh_person(), at=utcnow())
    user = counsellor()
    api(user).get(f"{BASE}/{request.id}")
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "callback.view")
    ).scalar_one()
    assert (event.user_id, event.object_id, event.details["channel"]) == (
        user.id,
        request.id,
        "api",
    )
