"""The provider registry on the app: one provider per process, chosen by name, sized right."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from support import MORNING, run_until_idle

from outreach import create_app
from outreach.campaigns.scheduling import fire_due_campaigns
from outreach.extensions import db
from outreach.messaging.registry import app_provider, provider_registry
from outreach.messaging.simulator import SimulatorProvider
from outreach.messaging.twilio_provider import TwilioProvider
from outreach.models import Message, MessageStatus
from outreach.worker import Worker, settings_from


def _bare_app(tmp_path, **settings):
    """An app of its own (nothing is sent and its database is never touched)."""
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'registry.db'}",
            "SECRET_KEY": "test-secret",
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": "test-auth-token",
            "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
            **settings,
        }
    )


def _pool_size(provider: TwilioProvider) -> int:
    return provider.client.http_client.session.get_adapter("https://api.twilio.com")._pool_maxsize


def test_the_app_keeps_one_provider_that_the_in_process_worker_sends_with(
    app, make_contact, make_campaign
):
    registry = provider_registry(app)
    assert set(registry.kinds) == {"simulator", "twilio"}
    provider = app_provider(app)
    assert isinstance(provider, SimulatorProvider) and app_provider(app) is provider
    worker = Worker(app)
    try:
        assert worker.provider is provider and worker.dispatcher.provider is provider
        make_contact("pk-isb")
        make_campaign()
        fire_due_campaigns(db.session, MORNING)
        db.session.commit()
        worker.dispatcher.clock = lambda: MORNING
        run_until_idle(worker.dispatcher)  # the simulator's callbacks reach this app in-process
    finally:
        worker.dispatcher.close()
    db.session.expire_all()
    statuses = db.session.execute(select(Message.status)).scalars().all()
    assert statuses == [MessageStatus.DELIVERED]


def test_the_twilio_provider_is_built_once_for_the_workers_concurrency(tmp_path):
    app = _bare_app(tmp_path, OUTREACH_PROVIDER="twilio")
    worker = Worker(app, settings=settings_from(app.config, 48))
    try:
        assert isinstance(worker.provider, TwilioProvider)
        assert _pool_size(worker.provider) == 48
        assert app_provider(app, concurrency=48) is worker.provider
        assert app_provider(app, concurrency=8) is worker.provider
        with pytest.raises(RuntimeError, match="built for 48 requests in flight, not 64"):
            app_provider(app, concurrency=64)
        fresh = provider_registry(app).build(concurrency=4)
        assert fresh is not worker.provider and _pool_size(fresh) == 4
    finally:
        worker.dispatcher.close()


def test_an_unknown_provider_is_refused_when_the_app_is_made(tmp_path):
    with pytest.raises(RuntimeError, match="must be one of simulator, twilio, not 'pigeon'"):
        _bare_app(tmp_path, OUTREACH_PROVIDER="pigeon")
