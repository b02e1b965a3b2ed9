"""The worker: APScheduler fires campaigns and closes runs; the dispatcher drains the outbox.

`outreach worker` runs it alone (several may run against PostgreSQL); `outreach serve` runs one
inside the web process. All state lives in the database, so a worker may stop at any moment.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, timedelta
from urllib.parse import urlsplit

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy.orm import sessionmaker

from outreach.campaigns.scheduling import close_finished_runs, fire_due_campaigns
from outreach.extensions import db
from outreach.messaging.dispatcher import Dispatcher, DispatchSettings
from outreach.messaging.provider import Provider, build_provider
from outreach.models import utcnow

log = logging.getLogger(__name__)


def in_process_delivery(app: Flask):
    """Deliver the simulator's signed webhooks to this app without a network hop."""
    client = app.test_client()

    def deliver(url: str, params: dict, headers: dict):
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return client.post(
            path, data=params, headers=headers, base_url=f"{parts.scheme}://{parts.netloc}"
        )

    return deliver


def settings_from(config: dict, concurrency: int = 32) -> DispatchSettings:
    """Dispatch settings from the app's configuration."""
    return DispatchSettings(
        concurrency=concurrency,
        batch_size=max(50, concurrency * 4),
        heartbeat_seconds=config["WORKER_HEARTBEAT_SECONDS"],
        worker_timeout=timedelta(seconds=config["WORKER_TIMEOUT_SECONDS"]),
    )


class Worker:
    """One worker: a scheduler for campaign times, and a dispatcher thread."""

    def __init__(
        self,
        app: Flask,
        provider: Provider | None = None,
        settings: DispatchSettings | None = None,
        tick_seconds: float = 2.0,
    ) -> None:
        self.app = app
        settings = settings or settings_from(app.config)
        self.provider = provider or build_provider(
            app.config, deliver=in_process_delivery(app), concurrency=settings.concurrency
        )
        with app.app_context():
            self.sessions = sessionmaker(bind=db.engine, expire_on_commit=False)
        self.dispatcher = Dispatcher(self.sessions, self.provider, app.config, settings)
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self.scheduler.add_job(
            self.tick,
            "interval",
            seconds=tick_seconds,
            max_instances=1,
            coalesce=True,
            id="campaigns",
            next_run_time=utcnow(),
        )
        self._thread: threading.Thread | None = None

    def tick(self) -> None:
        """Fire due campaigns and close finished runs, each in its own transaction."""
        try:
            with self.sessions() as session:
                fire_due_campaigns(session, utcnow())
                session.commit()
            with self.sessions() as session:
                close_finished_runs(session, utcnow())
                session.commit()
        except Exception:  # the next tick tries again; nothing is lost, the table holds it all
            log.exception("campaign tick failed")

    def start(self) -> None:
        """Start the scheduler and the dispatcher thread."""
        self.scheduler.start()
        self._thread = threading.Thread(target=self.dispatcher.run, name="dispatcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop taking work, let requests in flight finish, and stop."""
        self.dispatcher.stop_event.set()
        self.scheduler.shutdown(wait=True)
        if self._thread is not None:
            self._thread.join(timeout)
