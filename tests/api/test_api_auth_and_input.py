"""The API's door: bearer tokens, and malformed input always a 4xx in the error shape."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from outreach.accounts.service import create_token
from outreach.extensions import db
from outreach.models import ApiToken, utcnow


def assert_error_shape(response, status: int | None = None) -> dict:
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data())
    if status is not None:
        assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["code"], str) and body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Basic dXNlcjpwdw==", "mrc_x"])
def test_a_missing_or_bad_token_is_401(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/regions", headers=headers)
    error = assert_error_shape(response, 401)
    assert error["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_every_endpoint_but_the_document_needs_a_token(app, client):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        path = re.sub(r"<[^>]+>", "1", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(path, method=method, json={})
            assert response.status_code == 401, (method, path)


def test_a_revoked_token_is_401(app, make_user, client):
    user = make_user("coordinator", ["pk-isb"])
    token = create_token(db.session, user.email)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/regions", headers=headers).status_code == 200
    for row in db.session.scalars(select(ApiToken)).all():
        row.revoked_at = utcnow()
    db.session.commit()
    assert_error_shape(client.get("/api/v1/regions", headers=headers), 401)


def test_a_token_of_a_deactivated_user_is_401(app, make_user, client):
    user = make_user("coordinator", ["pk-isb"])
    token = create_token(db.session, user.email)
    user.is_active_user = False
    db.session.commit()
    response = client.get("/api/v1/regions", headers={"Authorization": f"Bearer {token}"})
    assert_error_shape(response, 401)


def test_the_bearer_scheme_is_case_insensitive(app, make_user, client):
    user = make_user("coordinator", ["pk-isb"])
    token = create_token(db.session, user.email)
    db.session.commit()
    response = client.get("/api/v1/regions", headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 200


def test_no_csrf_token_is_needed(app, make_user, api, make_contact):
    app.config["WTF_CSRF_ENABLED"] = True
    contact = make_contact()
    response = api(make_user("coordinator", ["pk-isb"])).post(
        f"/api/v1/contacts/{contact.id}/opt-out"
    )
    assert response.status_code == 200


CONTACT = {"phone": "0300 1234567", "region": "pk-isb", "consent": {"source": "fair"}}
HUGE = "9" * 1_000_000

# (path, raw body or json, content type)
BAD_BODIES = [
    ("/api/v1/contacts", b"not json", "application/json"),
    ("/api/v1/contacts", b"{", "application/json"),
    ("/api/v1/contacts", b'{"phone": NaN}', "application/json"),
    ("/api/v1/contacts", b'"a string"', "application/json"),
    ("/api/v1/contacts", b"42", "application/json"),
    ("/api/v1/contacts", b"null", "application/json"),
    ("/api/v1/contacts", b"true", "application/json"),
    ("/api/v1/contacts", b"{}", "application/json"),
    ("/api/v1/contacts", b'{"phone": "0300 1234567"}', "text/plain"),
    ("/api/v1/contacts", b"phone=0300", "application/x-www-form-urlencoded"),
    ("/api/v1/contacts", b"[" * 10_000 + b"]" * 10_000, "application/json"),
    ("/api/v1/contacts", b'{"phone": "\\ud800", "region": "pk-isb"}', "application/json"),
    ("/api/v1/contacts", b"\xff\xfe garbage", "application/json"),
    ("/api/v1/lists", b"[]", "application/json"),
    ("/api/v1/lists", b"null", "application/json"),
    ("/api/v1/lists/1/contacts", b'{"contact_ids": "1"}', "application/json"),
    ("/api/v1/contacts/1/opt-out", b"null", "application/json"),
    ("/api/v1/contacts/1/opt-out", b"not json", "application/json"),
    ("/api/v1/contacts/1/opt-out", b"source=x", "application/x-www-form-urlencoded"),
]

BAD_JSON = [
    ("/api/v1/contacts", {**CONTACT, "phone": None}),
    ("/api/v1/contacts", {**CONTACT, "phone": 923001234567}),
    ("/api/v1/contacts", {**CONTACT, "phone": ["0300"]}),
    ("/api/v1/contacts", {**CONTACT, "phone": HUGE}),
    ("/api/v1/contacts", {**CONTACT, "name": HUGE}),
    ("/api/v1/contacts", {**CONTACT, "name": "nul\x00byte"}),
    ("/api/v1/contacts", {**CONTACT, "region": None}),
    ("/api/v1/contacts", {**CONTACT, "region": "nul\x00"}),
    ("/api/v1/contacts", {**CONTACT, "region": {"code": "pk-isb"}}),
    ("/api/v1/contacts", {**CONTACT, "language": 7}),
    ("/api/v1/contacts", {**CONTACT, "language": "klingon"}),
    ("/api/v1/contacts", {**CONTACT, "consent": None}),
    ("/api/v1/contacts", {**CONTACT, "consent": "yes"}),
    ("/api/v1/contacts", {**CONTACT, "consent": {"source": ""}}),
    ("/api/v1/contacts", {**CONTACT, "consent": {"source": "x", "at": "yesterday"}}),
    ("/api/v1/contacts", {**CONTACT, "consent": {"source": "x", "at": "2024-01-01T10:00:00"}}),
    ("/api/v1/contacts", {**CONTACT, "consent": {"source": "x", "at": "2999-01-01T00:00:00Z"}}),
    ("/api/v1/contacts", {**CONTACT, "consent": {"source": HUGE}}),
    ("/api/v1/contacts", {**CONTACT, "unknown": 1}),
    ("/api/v1/contacts", {**CONTACT, "region": "zz-nowhere"}),
    ("/api/v1/contacts", {**CONTACT, "phone": "12"}),
    ("/api/v1/contacts", [CONTACT] * 1001),
    ("/api/v1/lists", {"region": "pk-isb"}),
    ("/api/v1/lists", {"region": "pk-isb", "name": "   "}),
    ("/api/v1/lists", {"region": "pk-isb", "name": None}),
    ("/api/v1/lists", {"region": "pk-isb", "name": HUGE}),
    ("/api/v1/lists", {"region": "pk-isb", "name": "ok", "description": 5}),
    ("/api/v1/lists", {"region": "nowhere", "name": "ok"}),
    ("/api/v1/lists", {"region": "pk-isb", "name": "ok", "extra": True}),
    ("/api/v1/lists/1/contacts", {"contact_ids": []}),
    ("/api/v1/lists/1/contacts", {"contact_ids": [True]}),
    ("/api/v1/lists/1/contacts", {"contact_ids": ["1"]}),
    ("/api/v1/lists/1/contacts", {"contact_ids": [10**30]}),
    ("/api/v1/lists/1/contacts", {"contact_ids": [None]}),
    ("/api/v1/lists/1/contacts", {}),
    ("/api/v1/contacts/1/opt-in", {}),
    ("/api/v1/contacts/1/opt-in", {"source": None}),
    ("/api/v1/contacts/1/opt-in", {"source": ""}),
    ("/api/v1/contacts/1/opt-out", {"source": 12}),
    ("/api/v1/contacts/1/opt-out", {"source": "x", "why": "no"}),
    ("/api/v1/contacts/1/opt-out", []),
    ("/api/v1/contacts/1/opt-out", "a string"),
]

BAD_QUERIES = [
    "/api/v1/contacts?page=abc",
    "/api/v1/contacts?page=0",
    "/api/v1/contacts?page=-1",
    "/api/v1/contacts?page=1.5",
    "/api/v1/contacts?page=99999999999999999999999",
    "/api/v1/contacts?per_page=10000",
    "/api/v1/contacts?per_page=0",
    "/api/v1/contacts?consent=maybe",
    "/api/v1/contacts?list=abc",
    "/api/v1/contacts?list=99999999999999",
    "/api/v1/contacts?regoin=pk-isb",
    "/api/v1/contacts?page=1&page=2",
    "/api/v1/contacts?region=%00",
    "/api/v1/contacts?phone=%00",
    f"/api/v1/contacts?phone={'1' * 5000}",
    "/api/v1/lists?region=nowhere",
    "/api/v1/lists?region=%00",
    "/api/v1/contacts/abc",
    "/api/v1/contacts/99999999999999999999",
    "/api/v1/contacts/0",
    "/api/v1/contacts/123456",
    "/api/v1/lists/123456",
    "/api/v1/lists/99999999999999999999",
    "/api/v1/nothing-here",
]


@pytest.fixture
def coordinator_api(api, make_user, make_contact):
    make_contact()  # contact 1, so the id paths above reach the body checks
    return api(make_user("coordinator", ["pk-isb"]))


@pytest.mark.parametrize(("path", "raw", "content_type"), BAD_BODIES)
def test_malformed_bodies_are_4xx(coordinator_api, path, raw, content_type):
    response = coordinator_api.client.post(
        path, data=raw, headers={**coordinator_api.headers, "Content-Type": content_type}
    )
    assert_error_shape(response)


@pytest.mark.parametrize(("path", "body"), BAD_JSON, ids=range(len(BAD_JSON)))
def test_invalid_json_values_are_4xx(coordinator_api, path, body):
    assert_error_shape(coordinator_api.post(path, json=body))


@pytest.mark.parametrize("path", BAD_QUERIES)
def test_bad_query_strings_and_ids_are_4xx(coordinator_api, path):
    assert_error_shape(coordinator_api.get(path))


def test_validation_errors_name_the_field(coordinator_api):
    response = coordinator_api.post(
        "/api/v1/contacts", json={"region": "pk-isb", "consent": {"at": "later"}}
    )
    error = assert_error_shape(response, 422)
    fields = {d["field"] for d in error["details"]}
    assert {"phone", "consent.source", "consent.at"} <= fields
    assert all(d["message"] for d in error["details"])


def test_per_page_over_the_limit_is_refused_not_clamped(coordinator_api):
    error = assert_error_shape(coordinator_api.get("/api/v1/contacts?per_page=501"), 422)
    assert error["details"][0]["field"] == "per_page"
    assert coordinator_api.get("/api/v1/contacts?per_page=500").status_code == 200


def test_a_body_too_large_is_413(coordinator_api):
    body = b'{"phone": "' + b"1" * (5 * 1024 * 1024) + b'"}'
    response = coordinator_api.client.post(
        "/api/v1/contacts",
        data=body,
        headers={**coordinator_api.headers, "Content-Type": "application/json"},
    )
    assert_error_shape(response, 413)


def test_a_wrong_method_is_405_in_the_error_shape(coordinator_api):
    assert_error_shape(coordinator_api.delete("/api/v1/regions"), 405)
