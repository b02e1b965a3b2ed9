"""Fixtures: an app on SQLite or PostgreSQL (TEST_DATABASE_URL), clients, and factories."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import databases
import flask_migrate
import pytest
from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import sessionmaker
from support import MORNING, PASSWORD, app_settings
from twilio.request_validator import RequestValidator

from outreach import create_app
from outreach.access import Scope
from outreach.accounts.service import create_token, create_user
from outreach.contacts.upsert import ConsentStamp, ContactRow, upsert_contacts
from outreach.content import get_topic
from outreach.extensions import db, limiter
from outreach.jobs.runner import JobRunner
from outreach.messaging.dispatcher import Dispatcher, DispatchSettings
from outreach.messaging.provider import webhook_auth_token
from outreach.messaging.simulator import SimulatorProvider, in_process_delivery
from outreach.models import Base, Campaign, CampaignStatus, ConsentChannel, Contact, Region

pytest_plugins = ["network_guard", "twilio_fixtures", "pytester"]


def pytest_collection_modifyitems(items) -> None:
    """The slow tests first: in a parallel run they then wait side by side, not at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """TEST_DATABASE_URL (PostgreSQL in CI), else a SQLite file for this run. Each xdist
    worker has a database of its own: its own temporary folder, or `<database>_gw<n>`."""
    url = os.environ.get("TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    elif not worker or not url.startswith("postgresql"):
        yield url
    else:
        url = databases.worker_url(url, worker)
        databases.create_fresh(url)
        yield url
        databases.drop(url)


@pytest.fixture(scope="session")
def shared_app(database_url, tmp_path_factory):
    """The run's one app: making an app (routes, templates, SQL) costs more than most tests."""
    app = create_app(app_settings(database_url, tmp_path_factory.mktemp("instance")))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def seeded_regions(shared_app) -> list[dict]:
    """Bring the test database to head with the real migrations; keep the seeded regions."""
    with shared_app.app_context():
        _drop_everything()
        flask_migrate.upgrade()
        rows = [dict(r._mapping) for r in db.session.execute(select(Region.__table__))]
        db.session.remove()
    return rows


def _drop_everything() -> None:
    Base.metadata.drop_all(db.engine)
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
def app(shared_app, seeded_regions, tmp_path):
    """The app on the test database, as if new: settings a test changes are put back, the
    rate limiter forgets every count, and the database is emptied back to the seeded regions."""
    config, extensions = dict(shared_app.config), dict(shared_app.extensions)
    shared_app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    limiter.reset()
    try:
        with shared_app.app_context():
            yield shared_app
            db.session.remove()
            _reset(seeded_regions)
    finally:
        shared_app.config.clear()
        shared_app.config.update(config)
        shared_app.extensions.clear()
        shared_app.extensions.update(extensions)


def _reset(seeded_regions: list[dict]) -> None:
    # A DELETE per table: on tables this small, ten times faster than TRUNCATE on PostgreSQL.
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))
        if conn.dialect.name == "postgresql":
            _restart_sequences(conn)
        conn.execute(insert(Region.__table__), seeded_regions)
        if conn.dialect.name == "postgresql":
            # The seeded rows carry their ids; move the sequence past them for new regions.
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('regions', 'id'), max(id)) FROM regions")
            )


def _restart_sequences(conn) -> None:
    """Every id starts at 1 again, as in a new database."""
    query = "SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = current_schema()"
    for name in conn.execute(text(query)).scalars().all():
        conn.execute(text(f"ALTER SEQUENCE {name} RESTART"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def region(app):
    """A region by code: `region("pk-isb")`."""

    def get(code: str) -> Region:
        return db.session.execute(select(Region).where(Region.code == code)).scalar_one()

    return get


_emails = itertools.count(1)


@pytest.fixture
def make_user(app):
    """A committed user: `make_user("coordinator", ["pk-isb"])`."""

    def make(role: str = "coordinator", regions=("pk-isb",), email: str | None = None):
        email = email or f"{role}{next(_emails)}@mrc.test"
        method = app.config["PASSWORD_HASH_METHOD"]
        user = create_user(db.session, email, role, list(regions), PASSWORD, method)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(client):
    """Log a user in through the real login form."""

    def do(user) -> None:
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)

    return do


@pytest.fixture
def api(app, make_user):
    """A JSON API client for a user: `api(user).get("/api/v1/regions")`."""

    class Api:
        def __init__(self, user):
            token = create_token(db.session, user.email)
            db.session.commit()
            self.client = app.test_client()
            self.headers = {"Authorization": f"Bearer {token}"}

        def get(self, path, **kw):
            return self.client.get(path, headers=self.headers, **kw)

        def post(self, path, json=None, **kw):
            return self.client.post(path, json=json, headers=self.headers, **kw)

        def put(self, path, json=None, **kw):
            return self.client.put(path, json=json, headers=self.headers, **kw)

        def patch(self, path, json=None, **kw):
            return self.client.patch(path, json=json, headers=self.headers, **kw)

        def delete(self, path, **kw):
            return self.client.delete(path, headers=self.headers, **kw)

    return Api


_numbers = itertools.count(1000001)


@pytest.fixture
def make_contact(app, region):
    """A committed, opted-in contact: `make_contact(region_code="kg-osh", language="ky")`."""

    def make(
        region_code: str = "pk-isb",
        phone: str | None = None,
        language: str | None = None,
        name: str | None = None,
        lists: tuple[str, ...] = (),
    ) -> Contact:
        phone = phone or f"+92300{next(_numbers)}"
        row = ContactRow(key=0, phone=phone, language=language, name=name, list_names=lists)
        stamp = ConsentStamp(channel=ConsentChannel.WEB, source="test fixture")
        [outcome] = upsert_contacts(
            db.session, Scope.everything(), region(region_code), [row], stamp
        )
        db.session.commit()
        return db.session.get(Contact, outcome.contact_id)

    return make


# -- campaigns and messaging ----------------------------------------------------------------


@pytest.fixture
def make_campaign(app, region):
    """A committed campaign, running and due at MORNING, with the topic's texts."""

    def make(regions=("pk-isb",), topic="irregular-migration", **kw) -> Campaign:
        campaign = Campaign(
            name=kw.pop("name", "Safe migration"),
            topic=topic,
            channel="sms",
            status=kw.pop("status", CampaignStatus.RUNNING),
            texts=kw.pop("texts", None) or dict(get_topic(topic).texts),
            next_run_at=kw.pop("next_run_at", MORNING),
            rate_per_second=kw.pop("rate_per_second", 50),
            regions=[region(code) for code in regions],
            **kw,
        )
        db.session.add(campaign)
        db.session.commit()
        return campaign

    return make


@pytest.fixture
def dispatcher(app):
    """A dispatcher on the simulator whose clock the test sets: `dispatcher.clock_state["now"]`."""
    clock = {"now": MORNING}
    provider = SimulatorProvider(app.config, deliver=in_process_delivery(app))
    sessions = sessionmaker(bind=db.engine, expire_on_commit=False)
    settings = DispatchSettings(concurrency=4, batch_size=50)
    made = Dispatcher(sessions, provider, app.config, settings, clock=lambda: clock["now"])
    made.clock_state = clock
    yield made
    made.close()


@pytest.fixture
def run_jobs(app):
    """Run every due background job to its end, as a worker does: `run_jobs()` (how many ran)."""
    sessions = sessionmaker(bind=db.engine, expire_on_commit=False)
    runner = JobRunner(sessions, "test-worker", app.config)

    def run() -> int:
        db.session.commit()  # the test's own transaction must not hide the jobs or block them
        ran = 0
        while runner.run_once():
            ran += 1
        db.session.expire_all()
        return ran

    return run


@pytest.fixture
def signed_post(client, app):
    """POST a webhook signed exactly as Twilio signs it: `signed_post("/webhooks/...", form)`."""

    def post(path: str, data: dict, token: str | None = None):
        url = app.config["PUBLIC_BASE_URL"] + path
        validator = RequestValidator(token or webhook_auth_token(app.config))
        headers = {"X-Twilio-Signature": validator.compute_signature(url, data)}
        return client.post(path, data=data, headers=headers)

    return post
