"""The `outreach` command: users, tokens, demo data, and serve (which never loads demo data)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

from sqlalchemy import func, select

from outreach.extensions import db
from outreach.models import Contact, Role, User


def _create(runner, *args, password="a long enough password\n"):
    return runner.invoke(args=["users", "create", *args, "--password-stdin"], input=password)


def test_users_create_with_several_regions(runner):
    result = _create(
        runner,
        "Coord@MRC.example",
        "--role",
        "coordinator",
        "--region",
        "pk-isb",
        "--region",
        "pk-lhr",
    )
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User)).scalar_one()
    assert user.email == "coord@mrc.example"
    assert (user.role, sorted(r.code for r in user.regions)) == (
        Role.COORDINATOR,
        ["pk-isb", "pk-lhr"],
    )


def test_an_admin_needs_no_region_but_others_do(runner):
    assert _create(runner, "admin@mrc.example", "--role", "admin").exit_code == 0
    result = _create(runner, "c@mrc.example", "--role", "counsellor")
    assert result.exit_code != 0 and "needs at least one region" in result.output


def test_users_create_refuses_bad_input_clearly(runner):
    cases = {
        ("x@mrc.example", "--role", "coordinator", "--region", "xx-nowhere"): "unknown region",
        ("not-an-email", "--role", "admin"): "not an email address",
    }
    for args, message in cases.items():
        result = _create(runner, *args)
        assert result.exit_code != 0 and message in result.output
    short = _create(runner, "y@mrc.example", "--role", "admin", password="short\n")
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0


def test_tokens_create_prints_the_token_alone_and_it_opens_the_api(app, runner, make_user):
    user = make_user("coordinator", ["kg-osh"])
    result = runner.invoke(args=["tokens", "create", user.email])
    assert result.exit_code == 0
    token = result.stdout.strip()
    assert "\n" not in token and token.startswith("mrc_")
    response = app.test_client().get(
        "/api/v1/regions", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert [r["code"] for r in response.get_json()["items"]] == ["kg-osh"]
    unknown = runner.invoke(args=["tokens", "create", "nobody@mrc.example"])
    assert unknown.exit_code != 0


def test_demo_loads_once_and_says_how_to_log_in(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "admin@mrc.example" in result.output and "password:" in result.output
    contacts = db.session.execute(select(func.count()).select_from(Contact)).scalar_one()
    assert contacts > 200
    again = runner.invoke(args=["demo"])
    assert again.exit_code != 0
    assert runner.invoke(args=["demo", "--if-empty"]).exit_code == 0
    assert db.session.execute(select(func.count()).select_from(Contact)).scalar_one() == contacts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_and_never_loads_demo_data(app, tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test-secret",
    }
    with open(tmp_path / "serve.log", "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "outreach.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as page:
                    assert page.status == 200
                    assert "Log in" in page.read().decode()
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "serve did not answer"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(20)
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0
    assert db.session.execute(select(func.count()).select_from(Contact)).scalar_one() == 0
