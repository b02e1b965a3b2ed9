"""Who may do what: the web UI and the API apply one rule (`outreach.permissions`).

The route × role table is generated from the URL map: every route is requested as each role,
and what each role gets (403 or not) must match the action the route declares — and a web
route and an API route of the same action must let in the same roles.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from flask import g
from route_table import fill, is_public, records_of, routes
from sqlalchemy import func, select
from support import PASSWORD

from outreach.accounts.service import create_token
from outreach.extensions import db
from outreach.models import ConsentEvent, Contact, ContactList, list_members

ROLES = ("admin", "coordinator", "counsellor")


def _clients(app, make_user) -> dict[str, tuple]:
    """For each role, a logged-in web client and the headers of an API token."""
    clients = {}
    for role in ROLES:
        user = make_user(role, ["pk-isb"])
        client = app.test_client()
        login = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert login.status_code == 302
        token = create_token(db.session, user.email)
        db.session.commit()
        clients[role] = (client, {"Authorization": f"Bearer {token}"})
    return clients


def _who_gets_in(app, make_user, make_contact) -> dict:
    """For every route that is not public: the roles that are not refused with 403."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    values = records_of(make_contact)
    clients = _clients(app, make_user)
    table = {}
    for route in routes(app):
        if is_public(route):
            continue
        allowed = set()
        for role in ROLES:
            client, api_headers = clients[role]
            # The test's app context outlives requests, and Flask-Login keeps the user in `g`.
            g.pop("_login_user", None)
            response = client.open(
                fill(route.rule, values),
                method=route.method,
                headers=api_headers if route.is_api else {},
                data={},
                buffered=True,  # the CSV export streams: read it through
            )
            assert response.status_code < 500, (route, role, response.status_code)
            if response.status_code != 403:
                allowed.add(role)
        table[route] = frozenset(allowed)
    return table


def test_the_route_role_table_of_the_web_ui_and_the_api_agree(app, make_user, make_contact):
    from outreach.permissions import ALLOWED, Action  # here: the other tests run without it

    table = _who_gets_in(app, make_user, make_contact)
    undeclared = sorted(f"{r.method} {r.rule}" for r in table if r.action is None)
    assert undeclared == [], "every route declares the action it performs"
    by_side: dict[tuple[str, str], set[frozenset]] = defaultdict(set)
    for route, allowed in table.items():
        assert allowed == {str(role) for role in ALLOWED[Action(route.action)]}, (
            f"{route.method} {route.rule} ({route.action}) lets in {sorted(allowed)}"
        )
        by_side[("api" if route.is_api else "web", route.action)].add(allowed)
    shared = {a for side, a in by_side if side == "web"} & {
        a for side, a in by_side if side == "api"
    }
    assert {
        "contacts.read",
        "consent.opt_in",
        "consent.opt_out",
        "lists.read",
        "lists.write",
        "campaigns.read",
        "campaigns.manage",
        "regions.read",
    } <= shared
    for action in sorted(shared):
        web, api = by_side[("web", action)], by_side[("api", action)]
        assert len(web) == 1 and web == api, f"{action}: web {web}, api {api}"


@pytest.fixture
def counsellor(make_user):
    return make_user("counsellor", ["pk-isb"])


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _opted_out_by(contact: Contact, user) -> bool:
    """Whether the contact is opted out, last by `user` (a counsellor hearing "stop")."""
    db.session.expire_all()
    event = db.session.execute(
        select(ConsentEvent)
        .where(ConsentEvent.contact_id == contact.id)
        .order_by(ConsentEvent.id.desc())
        .limit(1)
    ).scalar_one()
    current = db.session.get(Contact, contact.id).consent
    return (current, event.action, event.user_id) == ("opted_out", "opt_out", user.id)


def test_a_counsellor_token_opts_out_but_creates_nothing_and_opts_no_one_in(
    api, counsellor, make_contact
):
    contact = make_contact(lists=("Returnees",))
    other = make_contact()
    contact_list = db.session.execute(select(ContactList)).scalar_one()
    before = (_count(Contact), _count(ContactList), _count(list_members), _count(ConsentEvent))
    as_counsellor = api(counsellor)
    body = {"phone": "0300 7654321", "region": "pk-isb", "consent": {"source": "a call"}}
    refused = [
        as_counsellor.post("/api/v1/contacts", json=body),
        as_counsellor.post("/api/v1/contacts", json=[body]),
        as_counsellor.post("/api/v1/lists", json={"region": "pk-isb", "name": "Mine"}),
        as_counsellor.post(
            f"/api/v1/lists/{contact_list.id}/contacts", json={"contact_ids": [other.id]}
        ),
        as_counsellor.post(f"/api/v1/contacts/{contact.id}/opt-in", json={"source": "a call"}),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert {r.get_json()["error"]["code"] for r in refused} == {"forbidden"}
    after = (_count(Contact), _count(ContactList), _count(list_members), _count(ConsentEvent))
    assert after == before
    # Reading the person's history is what a counsellor needs; "stop" is recorded at once.
    assert as_counsellor.get(f"/api/v1/contacts/{contact.id}").status_code == 200
    assert as_counsellor.post(f"/api/v1/contacts/{other.id}/opt-out").status_code == 200
    assert _opted_out_by(other, counsellor)


def test_on_the_web_a_counsellor_opts_out_but_makes_no_list_and_opts_no_one_in(
    client, login, counsellor, make_contact
):
    contact = make_contact()
    login(counsellor)
    assert client.get("/lists/new").status_code == 403
    made = client.post("/lists/new", data={"region": "pk-isb", "name": "Mine"})
    assert made.status_code == 403
    assert _count(ContactList) == 0
    opt_in = client.post(f"/contacts/{contact.id}/opt-in", data={"source": "a call"})
    assert opt_in.status_code == 403
    page = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert "Record opt-out" in page and "Record opt-in" not in page
    assert "New list" not in client.get("/lists").get_data(as_text=True)
    opt_out = client.post(f"/contacts/{contact.id}/opt-out", data={"source": "said stop"})
    assert opt_out.status_code == 302
    assert _opted_out_by(contact, counsellor)
