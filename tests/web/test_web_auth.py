"""Logging in and out, the failed-login rate limit and CSRF on forms."""

from __future__ import annotations

from support import PASSWORD


def test_login_with_the_right_password_opens_the_dashboard(client, make_user):
    user = make_user("coordinator", ["pk-isb"])
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert user.email in page.get_data(as_text=True)


def test_a_wrong_password_does_not_log_in(client, make_user):
    user = make_user("coordinator", ["pk-isb"])
    response = client.post("/login", data={"email": user.email, "password": "not the password"})
    assert response.status_code == 200
    assert "do not match" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still sent to the log-in page


def test_pages_need_a_login_and_come_back_after_it(client, make_user):
    user = make_user("coordinator", ["pk-isb"])
    response = client.get("/contacts")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    back = client.post("/login?next=/contacts", data={"email": user.email, "password": PASSWORD})
    assert back.headers["Location"] == "/contacts"


def test_next_pointing_elsewhere_is_ignored(client, make_user):
    user = make_user("coordinator", ["pk-isb"])
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        client.post("/logout")
        response = client.post(
            "/login",
            query_string={"next": target},
            data={"email": user.email, "password": PASSWORD},
        )
        assert response.headers["Location"] == "/", target


def test_logout_ends_the_session(client, make_user, login):
    login(make_user("coordinator", ["pk-isb"]))
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_failed_logins_are_limited_then_refused_with_429(client, make_user):
    user = make_user("coordinator", ["pk-isb"])
    wrong = {"email": user.email, "password": "wrong password"}
    for _ in range(10):
        assert client.post("/login", data=wrong).status_code == 200
    limited = client.post("/login", data=wrong)
    assert limited.status_code == 429
    assert "wait" in limited.get_data(as_text=True)
    # Even the right password waits until the minute is over.
    right = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert right.status_code == 429


def test_successful_logins_do_not_count_against_the_limit(client, make_user):
    user = make_user("coordinator", ["pk-isb"])
    for _ in range(12):
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302
        client.post("/logout")


def test_a_form_posted_without_csrf_token_is_refused(app, client, make_user, login, make_contact):
    user = make_user("coordinator", ["pk-isb"])
    contact = make_contact(region_code="pk-isb")
    login(user)
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/contacts/{contact.id}/opt-out", data={"source": "phone call"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert client.post("/logout").status_code == 400
    # The page itself carries the token its forms need.
    page = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert 'name="csrf_token"' in page


def test_the_login_form_carries_a_csrf_token_and_works_with_it(app, client, make_user):
    import re

    user = make_user("coordinator", ["pk-isb"])
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    refused = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert refused.status_code == 400
    accepted = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert accepted.status_code == 302
