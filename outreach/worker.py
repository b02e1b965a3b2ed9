"""The worker: APScheduler fires campaigns and closes runs; the dispatcher drains the outbox;
the job runner runs background jobs (imports).

`outreach worker` runs it alone (several may run against PostgreSQL); `outreach serve` runs one
inside the web process. All state lives in the database, so a worker may stop at any moment.

Every loop outlives its database: an error is logged and the step tried again after a backoff
(`outreach.resilience`). When a loop has not recovered for `WORKER_GIVE_UP_SECONDS`, the watchdog
ends the process with status 75 (EX_TEMPFAIL) so that its supervisor starts it again; in
`outreach serve` that is the whole web process, which can do nothing useful without its database
either. What the worker had in flight is recovered like after any crash.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from datetime import UTC, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy.orm import sessionmaker

from outreach.campaigns.scheduling import close_finished_runs, fire_due_campaigns
from outreach.extensions import db
from outreach.jobs.runner import JobRunner
from outreach.messaging.dispatcher import Dispatcher, DispatchSettings
from outreach.messaging.provider import Provider
from outreach.messaging.registry import DEFAULT_CONCURRENCY, app_provider
from outreach.models import utcnow
from outreach.resilience import Step
from outreach.voice.dialer import Dialer

log = logging.getLogger(__name__)

EXIT_GAVE_UP = 75  # EX_TEMPFAIL: a temporary failure, start me again


def exit_for_supervisor() -> None:
    """End the process at once with EXIT_GAVE_UP: threads stuck on a dead database could keep a
    normal exit waiting for ever, and nothing is lost (the database holds it all)."""
    logging.shutdown()
    sys.stderr.flush()
    os._exit(EXIT_GAVE_UP)


def settings_from(config: dict, concurrency: int = DEFAULT_CONCURRENCY) -> DispatchSettings:
    """Dispatch settings from the app's configuration."""
    return DispatchSettings(
        concurrency=concurrency,
        batch_size=max(50, concurrency * 4),
        heartbeat_seconds=config["WORKER_HEARTBEAT_SECONDS"],
        worker_timeout=timedelta(seconds=config["WORKER_TIMEOUT_SECONDS"]),
        claim_timeout=timedelta(seconds=config["CLAIM_TIMEOUT_SECONDS"]),
        give_up_seconds=config["WORKER_GIVE_UP_SECONDS"],
    )


class Worker:
    """One worker: a scheduler for campaign times, a dispatcher thread and a job thread."""

    def __init__(
        self,
        app: Flask,
        provider: Provider | None = None,
        settings: DispatchSettings | None = None,
        tick_seconds: float = 2.0,
        on_give_up: Callable[[], None] = exit_for_supervisor,
    ) -> None:
        self.app = app
        settings = settings or settings_from(app.config)
        # The app's one provider, its connection pool sized for the requests kept in flight.
        self.provider = provider or app_provider(app, concurrency=settings.concurrency)
        with app.app_context():
            self.sessions = sessionmaker(bind=db.engine, expire_on_commit=False)
        self.dispatcher = Dispatcher(self.sessions, self.provider, app.config, settings)
        self.health = self.dispatcher.health
        # The dialer places voice calls in the dispatcher's name: its heartbeat covers both.
        self.dialer = Dialer(
            self.sessions,
            self.provider,
            app.config,
            settings,
            worker_id=self.dispatcher.worker_id,
            beats=False,
            sweep_after=timedelta(seconds=app.config["CALL_SWEEP_SECONDS"]),
            health=self.health,
        )
        self._ticking = Step("campaign tick", self.health)
        # Jobs are claimed in the dispatcher's name: its heartbeat says this worker is alive.
        self.jobs = JobRunner(self.sessions, self.dispatcher.worker_id, app.config, self.health)
        self.on_give_up = on_give_up
        self.gave_up = threading.Event()
        self._stopped = threading.Event()
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
        self._jobs_thread: threading.Thread | None = None
        self._dialer_thread: threading.Thread | None = None

    def tick(self) -> None:
        """Fire due campaigns and close finished runs; a failure backs off (later ticks are
        skipped until it has passed), and nothing is lost: the tables hold it all."""
        self._ticking.run(self._tick)

    def _tick(self) -> None:
        with self.sessions() as session:
            fire_due_campaigns(session, utcnow())
            session.commit()
        with self.sessions() as session:
            close_finished_runs(session, utcnow())
            session.commit()

    def start(self) -> None:
        """Start the scheduler, the dispatcher and job threads, and the watchdog."""
        self.health.restart()
        self.scheduler.start()
        self._thread = threading.Thread(target=self.dispatcher.run, name="dispatcher", daemon=True)
        self._thread.start()
        self._jobs_thread = threading.Thread(target=self.jobs.run, name="jobs", daemon=True)
        self._jobs_thread.start()
        self._dialer_thread = threading.Thread(target=self.dialer.run, name="dialer", daemon=True)
        self._dialer_thread.start()
        threading.Thread(target=self._watch, name="watchdog", daemon=True).start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop taking work, let requests in flight finish, and stop."""
        self._stopped.set()
        self.dispatcher.stop_event.set()
        self.jobs.stop_event.set()  # a running job goes back to the queue at its next step
        self.dialer.stop_event.set()
        self.scheduler.shutdown(wait=True)
        if self._dialer_thread is not None:
            self._dialer_thread.join(timeout)
        if self._thread is not None:
            self._thread.join(timeout)
        if self._jobs_thread is not None:
            self._jobs_thread.join(timeout)

    def _watch(self) -> None:
        """Give up when a loop has not succeeded for `give_up_seconds` (failing, or stuck)."""
        limit = self.dispatcher.settings.give_up_seconds
        while not self._stopped.wait(min(1.0, limit / 4)):
            stalled = self.health.stalled(limit)
            if stalled:
                self._give_up(stalled)
                return

    def _give_up(self, stalled: dict[str, float]) -> None:
        names = ", ".join(f"{name} ({seconds:.0f} s)" for name, seconds in stalled.items())
        log.critical("giving up: no success for too long in %s; exiting", names)
        self.gave_up.set()
        # Senders still retrying a record stop now (recovery takes those messages over), and
        # requests in flight get a moment to finish.
        self.dispatcher.stop_event.set()
        self.jobs.stop_event.set()
        self.dialer.stop_event.set()
        if self._thread is not None:
            self._thread.join(5.0)
        self.on_give_up()
