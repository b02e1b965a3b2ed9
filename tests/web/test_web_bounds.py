"""Numbers no id can be (2^63, 10^20, 0, "abc") are a 4xx in every route, never a 500.

The routes come from the URL map: every rule with an `<int:…>` argument and every GET view
that declares integer query arguments, so a new route is covered without being named here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from route_table import fill, records_of, routes
from support import PASSWORD

from outreach.accounts.service import create_token
from outreach.extensions import db

HUGE = (2**63, 10**20)
MAX_ID = 2**31 - 1  # the largest id a PostgreSQL integer key holds


@pytest.fixture
def crash_as_500(app):
    """An unexpected exception becomes the 500 a user would get, so every route is reported."""
    app.config["PROPAGATE_EXCEPTIONS"] = False


def _client_for(app, make_user, role: str):
    """A test client logged in as `role` of pk-isb, and the headers that carry an API token."""
    user = make_user(role, ["pk-isb"])
    client = app.test_client()
    login = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert login.status_code == 302
    token = create_token(db.session, user.email)
    db.session.commit()
    return client, {"Authorization": f"Bearer {token}"}


def _refusals(app, make_user, make_contact, role: str) -> list[str]:
    """Every (route, argument, value) that does not answer 400 or 404, as readable lines."""
    values = records_of(make_contact)
    client, api_headers = _client_for(app, make_user, role)
    wrong = []
    for route in routes(app):
        headers = api_headers if route.is_api else {}
        for name in route.int_args:
            for huge in HUGE:
                path = fill(route.rule, values, **{name: huge})
                response = _call(client, route.method, path, headers)
                if response.status_code not in (400, 404):
                    wrong.append(f"{route.method} {path} -> {response.status_code}")
        if route.method != "GET":
            continue
        for name in route.int_query_args:
            for huge in HUGE:
                path = fill(route.rule, values)
                response = client.get(
                    path, query_string={name: str(huge)}, headers=headers, buffered=True
                )
                if response.status_code not in (400, 404):
                    wrong.append(f"GET {path}?{name}={huge} -> {response.status_code}")
    return wrong


def _call(client, method: str, path: str, headers: dict):
    return client.open(path, method=method, headers=headers, data={}, buffered=True)


@pytest.mark.parametrize("role", ["admin", "coordinator"])
def test_every_integer_in_a_path_or_query_is_a_4xx_when_no_id_can_be_that_big(
    app, make_user, make_contact, crash_as_500, role
):
    assert _refusals(app, make_user, make_contact, role) == []
    readers = {(r.endpoint, name) for r in routes(app) for name in r.int_query_args}
    # The enumeration is not empty: these read integers from the query string today.
    assert {
        ("contacts.index", "page"),
        ("contacts.index", "list"),
        ("contacts.export", "list"),
        ("lists.show", "page"),
        ("campaigns.index", "page"),
        ("simulator.index", "contact"),
    } <= readers
    with_int_path = {r.endpoint for r in routes(app) if r.int_args}
    assert {"contacts.show", "lists.show", "campaigns.move", "imports.show"} <= with_int_path


@pytest.mark.parametrize(
    "query",
    ["page=99999999999999999999", "page=0", "page=-1", "page=abc", "page=1.5", "list=2147483648"],
)
def test_a_page_or_list_that_cannot_be_is_a_400_with_the_reason(
    client, make_user, login, make_contact, query
):
    make_contact()
    login(make_user("coordinator", ["pk-isb"]))
    response = client.get(f"/contacts?{query}")
    assert response.status_code == 400
    assert f"from 1 to {MAX_ID}" in response.get_data(as_text=True)


def test_the_largest_page_and_id_are_answered_and_one_beyond_is_refused(
    client, make_user, login, make_contact
):
    make_contact()
    login(make_user("coordinator", ["pk-isb"]))
    assert client.get(f"/contacts?page={MAX_ID}").status_code == 200  # past the last: empty
    assert client.get(f"/contacts?page={MAX_ID + 1}").status_code == 400
    assert client.get(f"/contacts/{MAX_ID}").status_code == 404
    assert client.get(f"/contacts/{MAX_ID + 1}").status_code == 404


def test_a_form_field_holding_an_impossible_id_is_a_400(
    app, client, make_user, login, make_contact, crash_as_500
):
    make_contact()
    login(make_user("coordinator", ["pk-isb"]))
    for value in (str(2**63), str(10**20)):
        response = client.post("/simulator/reply", data={"contact": value, "body": "STOP"})
        assert response.status_code == 400, value


def test_no_view_reads_an_integer_from_the_query_string_but_through_int_arg():
    """`request.args.get(…, type=int)` would let any size through; `int_arg` bounds it."""
    web = Path(__file__).resolve().parents[2] / "outreach" / "web"
    offenders = [p.name for p in web.rglob("*.py") if "type=int" in p.read_text()]
    assert offenders == []
