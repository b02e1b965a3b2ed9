"""Helpers for the voice campaign tests: a voice campaign, a dialer on the real twilio SDK
against the local server, and a loop that places every call that is due."""

from __future__ import annotations

import itertools

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from support import MORNING

from outreach.campaigns.scheduling import fire_due_campaigns
from outreach.extensions import db
from outreach.messaging.dispatcher import DispatchSettings
from outreach.messaging.simulator import SimulatorProvider, in_process_delivery
from outreach.messaging.twilio_provider import TwilioProvider
from outreach.models import Call, CallAttempt, Campaign, CampaignStatus
from outreach.voice.dialer import Dialer

# Every prompt a call of the shipped irregular-migration menu may play, written out: the launch
# check's list of what is missing is compared with it, not with the code's own reckoning.
MIGRATION_PROMPTS = [
    ("irregular-migration", "start"),
    ("irregular-migration", "safe_ways"),
    ("irregular-migration", "fake_agents"),
    ("irregular-migration", "voicemail"),
    ("common", "not_understood"),
    ("common", "callback_requested"),
    ("common", "opt_out_confirm"),
    ("common", "opted_out"),
    ("common", "opt_out_cancelled"),
    ("common", "goodbye"),
]

_workers = itertools.count(1)


def voice_campaign(region, regions=("pk-isb",), topic="irregular-migration", **kw) -> Campaign:
    """A committed voice campaign, running and due at MORNING."""
    campaign = Campaign(
        name=kw.pop("name", "Safe migration by phone"),
        topic=topic,
        channel="voice",
        status=kw.pop("status", CampaignStatus.RUNNING),
        texts={},
        next_run_at=kw.pop("next_run_at", MORNING),
        calls_per_second=kw.pop("calls_per_second", 20),
        retry_max=kw.pop("retry_max", 2),
        retry_interval_minutes=kw.pop("retry_interval_minutes", 30),
        regions=[region(code) for code in regions],
        **kw,
    )
    db.session.add(campaign)
    db.session.commit()
    return campaign


class Clock:
    """The dialer's clock, moved by the test."""

    def __init__(self, now=MORNING) -> None:
        self.now = now

    def __call__(self):
        return self.now


def twilio_dialer(app, clock, concurrency: int = 8, timeout: float = 5.0, server=None) -> Dialer:
    """A dialer beating as a worker of its own, through the real SDK to the local server; the
    server then stamps its call callbacks with the test's clock, as Twilio stamps them with the
    time of the event."""
    if server is not None:
        server.clock = clock
    provider = TwilioProvider.from_config(app.config)
    provider.client.http_client.timeout = timeout
    sessions = sessionmaker(bind=db.engine, expire_on_commit=False)
    settings = DispatchSettings(concurrency=concurrency, batch_size=concurrency * 2)
    dialer = Dialer(
        sessions, provider, app.config, settings, clock=clock, worker_id=f"dialer-{next(_workers)}"
    )
    dialer.heartbeat()
    return dialer


def place_due(dialer: Dialer) -> None:
    """Place every call that is due now, and wait for the requests to finish."""
    db.session.commit()
    while dialer.dial_once():
        dialer.drain()
    dialer.drain()
    db.session.expire_all()


def calls_by_phone() -> dict[str, Call]:
    db.session.expire_all()
    return {c.to_phone: c for c in db.session.execute(select(Call)).scalars()}


def attempts_of(call: Call) -> list[CallAttempt]:
    return list(
        db.session.execute(
            select(CallAttempt).where(CallAttempt.call_id == call.id).order_by(CallAttempt.number)
        ).scalars()
    )


def ring_through_the_simulator(app, region, worker_id: str, **campaign) -> None:
    """Fire a voice campaign of Osh due at MORNING and place its calls with the simulator
    provider: each rings on the phone simulator until someone answers it."""
    voice_campaign(region, regions=("kg-osh",), **campaign)
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    provider = SimulatorProvider(app.config, deliver=in_process_delivery(app))
    sessions = sessionmaker(bind=db.engine, expire_on_commit=False)
    dialer = Dialer(sessions, provider, app.config, clock=Clock(), worker_id=worker_id)
    dialer.heartbeat()
    place_due(dialer)
    provider.flush()
    db.session.expire_all()
