"""Password hashes: scrypt unless PASSWORD_HASH_METHOD says otherwise, and old hashes still work.

Tests set a cheap method (support.PASSWORD_HASH_METHOD); production keeps scrypt.
"""

from __future__ import annotations

from sqlalchemy import select
from support import PASSWORD, PASSWORD_HASH_METHOD

from outreach.accounts.service import authenticate, create_user
from outreach.config import load_settings
from outreach.extensions import db
from outreach.models import User


def test_the_setting_is_scrypt_unless_set(tmp_path):
    assert load_settings(str(tmp_path))["PASSWORD_HASH_METHOD"] == "scrypt"
    cheap = load_settings(str(tmp_path), {"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1"})
    assert cheap["PASSWORD_HASH_METHOD"] == "pbkdf2:sha256:1"


def test_a_user_is_hashed_with_scrypt_unless_another_method_is_given(app):
    default = create_user(db.session, "a@mrc.example", "admin", [], PASSWORD)
    cheap = create_user(db.session, "b@mrc.example", "admin", [], PASSWORD, "pbkdf2:sha256:1")
    assert default.password_hash.startswith("scrypt:")
    assert cheap.password_hash.startswith("pbkdf2:sha256:1$")
    assert authenticate(db.session, "a@mrc.example", PASSWORD) is default
    assert authenticate(db.session, "b@mrc.example", PASSWORD) is cheap


def test_test_users_are_made_with_the_cheap_method(make_user):
    assert make_user("coordinator").password_hash.startswith(PASSWORD_HASH_METHOD + "$")


def test_a_scrypt_hash_made_before_still_logs_in_where_another_method_is_set(app, client):
    create_user(db.session, "old@mrc.example", "coordinator", ["pk-isb"], PASSWORD)
    db.session.commit()
    assert app.config["PASSWORD_HASH_METHOD"] != "scrypt"
    wrong = client.post("/login", data={"email": "old@mrc.example", "password": "not it at all"})
    assert wrong.status_code == 200
    unknown = client.post("/login", data={"email": "nobody@mrc.example", "password": PASSWORD})
    assert unknown.status_code == 200
    right = client.post("/login", data={"email": "old@mrc.example", "password": PASSWORD})
    assert right.status_code == 302


def test_the_command_line_hashes_with_the_apps_method(runner):
    result = runner.invoke(
        args=["users", "create", "c@mrc.example", "--role", "admin", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User)).scalar_one()
    assert user.password_hash.startswith(PASSWORD_HASH_METHOD + "$")
