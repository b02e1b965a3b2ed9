"""The dispatcher: claims due messages, checks consent and the window again, sends concurrently.

Provider calls take 100–500 ms, so messages are sent from a pool of threads; the per-sender
limiter lets at most `rate` sends start in any one second. Each message is marked `sending` and
committed before its request goes out, so after a crash only those requests in flight can be in
doubt (`interrupted`); everything merely claimed goes back to the queue.

No error ends the loop: the heartbeat and each claim run as `resilience.Step`s, which log, back
off and try again (see `outreach.resilience`), and what the provider answered is recorded with
retries, so a message that went out keeps its SID when the database comes back. Claims this
worker lost track of while the database was away go back to the queue at its next heartbeat.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from outreach.messaging import outbox
from outreach.messaging.compose import (
    Prepared,
    campaign_window,
    region_zone,
    render_for,
    sender_for,
    status_callback_url,
)
from outreach.messaging.provider import OutboundSms, Provider, ProviderError
from outreach.messaging.ratelimit import SlidingWindowLimiter
from outreach.messaging.status import UNSUBSCRIBED, opt_out_unsubscribed
from outreach.messaging.window import is_open, next_opening, recipient_zones
from outreach.messaging.work_pool import WorkPool
from outreach.models import (
    Campaign,
    ConsentState,
    Contact,
    Message,
    MessageStatus,
    Region,
    utcnow,
)
from outreach.resilience import Health, Step, keep_trying

log = logging.getLogger(__name__)


CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class DispatchSettings:
    concurrency: int = 32
    batch_size: int = 200
    poll_seconds: float = 0.5
    heartbeat_seconds: float = 5.0
    worker_timeout: timedelta = timedelta(seconds=30)
    # A claim no worker renewed for this long goes back to the queue (live workers renew the
    # claims they still work on at every heartbeat).
    claim_timeout: timedelta = timedelta(minutes=5)
    # How long a step may keep failing before the worker gives up (and how long the outcome of
    # a request that went out is retried before it is left for recovery).
    give_up_seconds: float = 300.0
    # The limiter counts 1 s + this, so thread scheduling between noting a start and the
    # request leaving cannot put more than `rate` requests in a rolling second.
    rate_slack_seconds: float = 0.05


class Dispatcher:
    """Drains the outbox through a provider; several may run against one PostgreSQL database."""

    def __init__(
        self,
        session_factory: sessionmaker,
        provider: Provider,
        config: dict,
        settings: DispatchSettings | None = None,
        clock: Callable[[], datetime] = utcnow,
        limiter: SlidingWindowLimiter | None = None,
    ) -> None:
        self.sessions = session_factory
        self.provider = provider
        self.config = config
        self.settings = settings or DispatchSettings()
        self.clock = clock
        self.limiter = limiter or SlidingWindowLimiter(slack=self.settings.rate_slack_seconds)
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stop_event = threading.Event()
        self._senders = WorkPool(self.settings.concurrency, "send")
        self._live_workers = 1
        self._last_beat: datetime | None = None
        self.health = Health()
        self._beating = Step("heartbeat and recovery", self.health)
        self._dispatching = Step("claiming messages", self.health)

    # -- the loop -----------------------------------------------------------------------------

    def run(self) -> None:
        """Dispatch until `stop_event` is set; an error backs off and retries, never ends it."""
        while not self.stop_event.is_set():
            if self._beat_due():
                self._beating.run(self.heartbeat)
            claimed = self._dispatching.run(self.dispatch_once)
            if claimed is None:
                # Failing: wait out the backoff, but wake for the heartbeat meanwhile.
                wait = min(self._dispatching.retry_in(), self.settings.heartbeat_seconds)
                self.stop_event.wait(max(wait, self.settings.poll_seconds))
            elif claimed == 0:
                # Busy: claim again as soon as senders free room. Idle: poll for due rows.
                self._senders.wait_for_room(self.settings.poll_seconds)
        self._senders.shutdown()

    def _beat_due(self) -> bool:
        if self._last_beat is None:
            return True
        since = (self.clock() - self._last_beat).total_seconds()
        return since >= self.settings.heartbeat_seconds

    def heartbeat(self) -> None:
        """Say this worker is alive, renew its claims, and give back what is stuck: claims it
        lost track of, those of gone workers, and any claim not renewed in time."""
        with self.sessions() as session:
            now = self.clock()
            outbox.beat(session, self.worker_id, socket.gethostname(), os.getpid(), now)
            held = self._senders.held()  # claims are made in this thread: none is missed
            outbox.keep_claims(session, self.worker_id, held, now)
            released, interrupted = outbox.recover_claims(
                session,
                self.worker_id,
                held,
                now,
                self.settings.worker_timeout,
                self.settings.claim_timeout,
            )
            self._live_workers = outbox.count_live_workers(
                session, now, self.settings.worker_timeout
            )
            session.commit()
        self._last_beat = now
        if released or interrupted:
            log.warning("recovered %d claimed and %d interrupted messages", released, interrupted)

    def dispatch_once(self) -> int:
        """Claim what the pool has room for, prepare it, and hand it to the senders."""
        room = self._senders.room(self.settings.batch_size)
        if room < max(1, self.settings.concurrency // 2):  # keep claims batched
            return 0
        with self.sessions() as session:
            now = self.clock()
            ids = outbox.claim_batch(session, self.worker_id, now, room)
            session.commit()
            if not ids:
                return 0
            ready = self._prepare(session, ids, now)
            session.commit()
        work = [(p.message_id, functools.partial(self.send, p)) for p in ready]
        self._senders.hand_over(work, "sending message")
        return len(ids)

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until every submitted send has finished (for tests and shutdown)."""
        self._senders.drain(timeout)

    def close(self) -> None:
        self.stop_event.set()
        self._senders.shutdown()

    # -- preparing: consent and window, checked again at send time ----------------------------

    def _prepare(self, session: Session, ids: list[int], now: datetime) -> list[Prepared]:
        rows = session.execute(
            select(Message, Contact, Region, Campaign)
            .outerjoin(Contact, Contact.id == Message.contact_id)
            .join(Region, Region.id == Message.region_id)
            .outerjoin(Campaign, Campaign.id == Message.campaign_id)
            .where(Message.id.in_(ids))
        ).all()
        ready = []
        for message, contact, region, campaign in rows:
            prepared = self._prepare_one(message, contact, region, campaign, now)
            if prepared is not None:
                ready.append(prepared)
        return ready

    def _prepare_one(self, message, contact, region, campaign, now) -> Prepared | None:
        if contact is not None and contact.consent != ConsentState.OPTED_IN:
            # Checked early too, to save its place under the rate; `mark_sending` checks again.
            outbox.fail(message, outbox.OPTED_OUT, outbox.OPTED_OUT_MESSAGE, now)
            return None
        if campaign is not None:
            window = campaign_window(campaign, region)
            zones = recipient_zones(message.to_phone, region.timezone)
            if not is_open(window, now, zones):
                outbox.hold(message, next_opening(window, now, zones, region_zone(region)), now)
                return None
            message.language, body = render_for(message, contact, region, campaign)
        else:
            body = message.body or ""
        sender, service_sid = sender_for(region, self.config)
        message.from_phone = sender or service_sid
        return Prepared(
            message_id=message.id,
            to=message.to_phone,
            body=body,
            sender=sender,
            messaging_service_sid=service_sid,
            rate=campaign.rate_per_second if campaign is not None else 1.0,
            status_callback=status_callback_url(self.config, message.id),
        )

    # -- sending ------------------------------------------------------------------------------

    def send(self, prepared: Prepared) -> None:
        """Reserve a rate slot, mark the message sending (committed), call the provider, record."""
        # Live workers share each sender's rate, so together they keep to it. A message waits
        # for its place in the limit before it is marked sending, and the limiter notes its
        # start right before the request leaves: the limit counts the requests as they go out.
        rate = prepared.rate / max(1, self._live_workers)
        key = prepared.sender_key
        sms = _outbound(prepared)
        if not self.limiter.reserve(key, rate, self.stop_event):
            self._release(prepared.message_id)
            return
        started = self.clock()
        try:
            marked = self._mark_sending(prepared, started)
        except BaseException:
            self.limiter.cancel(key)
            raise
        if not marked:
            self.limiter.cancel(key)
            return
        # Consent was checked in the UPDATE just committed: nothing but the rate log stands
        # between it and the request, so an opt-out can only miss a request already leaving.
        self.limiter.start(key)
        try:
            receipt = self.provider.send_sms(sms)
        except ProviderError as error:
            self._record_error(prepared, error, started)
        except Exception as exc:  # unexpected: whether it went out is unknown, so never resend
            log.exception("provider call for message %s failed", prepared.message_id)
            self._record_interrupted(prepared.message_id, ProviderError(repr(exc)))
        else:
            self._record_sent(prepared.message_id, receipt.sid)

    def _mark_sending(self, prepared: Prepared, now: datetime) -> bool:
        """Commit `sending` if the claim, the campaign and the recipient's consent all still hold.

        A message refused because its recipient opted out while it waited ends `failed`; one
        refused for another reason (its campaign paused, its claim lost) goes back to the queue.
        """
        message_id = prepared.message_id
        with self.sessions() as session:
            if outbox.mark_sending(session, message_id, self.worker_id, prepared.body, now):
                session.commit()
                return True
            if not outbox.fail_opted_out(session, message_id, self.worker_id, now):
                outbox.release(session, message_id, self.worker_id, now)
            session.commit()
        return False

    def _release(self, message_id: int) -> None:
        with self.sessions() as session:
            outbox.release(session, message_id, self.worker_id, self.clock())
            session.commit()

    def _record_sent(self, message_id: int, sid: str) -> None:
        def record() -> None:
            with self.sessions() as session:
                outbox.set_provider_sid(session, message_id, sid)
                outbox.advance_status(session, message_id, MessageStatus.SENT, self.clock())
                session.commit()

        self._record(f"recording message {message_id} sent as {sid}", record)

    def _record(self, what: str, record: Callable[[], None]) -> None:
        """Record a request's outcome, retrying while the database is away: the request went
        out, so the outcome must not be lost. If it cannot be recorded before the worker stops
        or gives up, the message stays `sending` and recovery marks it interrupted."""
        stop, limit = self.stop_event, self.settings.give_up_seconds
        if not keep_trying(what, record, stop, limit):
            raise RuntimeError(f"{what}: not recorded; left for recovery")

    def _record_error(self, prepared: Prepared, error: ProviderError, started: datetime) -> None:
        if error.maybe_sent:
            known, sid = self._find_sent(prepared, started)
            if sid is not None:
                self._record_sent(prepared.message_id, sid)
                return
            if not known:
                self._record_interrupted(prepared.message_id, error)
                return
        with self.sessions() as session:
            message = session.get(Message, prepared.message_id, with_for_update=True)
            now = self.clock()
            if error.transient and message.attempts < outbox.MAX_ATTEMPTS:
                retry_at = now + outbox.backoff(message.attempts, error.retry_after)
                outbox.requeue(message, retry_at, error.code, error.message, now)
            else:
                outbox.fail(message, error.code, error.message, now)
                if error.code == UNSUBSCRIBED:
                    opt_out_unsubscribed(session, message)
            session.commit()

    def _find_sent(self, prepared: Prepared, started: datetime) -> tuple[bool, str | None]:
        """Ask the provider whether an ambiguous request went out: (answer known, its SID).

        Its clock may differ from ours, so it looks a little further back, and a message the
        outbox already knows by its SID is another one, never this.
        """
        try:
            found = self.provider.find_sms(prepared.to, prepared.body, started - CLOCK_SKEW)
        except ProviderError:
            return False, None
        with self.sessions() as session:
            known = set(
                session.execute(
                    select(Message.provider_sid).where(
                        Message.to_phone == prepared.to, Message.provider_sid.is_not(None)
                    )
                ).scalars()
            )
        return True, next((r.sid for r in found if r.sid not in known), None)

    def _record_interrupted(self, message_id: int, error: ProviderError) -> None:
        def record() -> None:
            with self.sessions() as session:
                outbox.advance_status(
                    session,
                    message_id,
                    MessageStatus.INTERRUPTED,
                    self.clock(),
                    error_message=f"{error.message}; the provider could not say whether it went",
                )
                session.commit()

        self._record(f"recording message {message_id} interrupted", record)


def _outbound(prepared: Prepared) -> OutboundSms:
    return OutboundSms(
        to=prepared.to,
        body=prepared.body,
        sender=prepared.sender,
        messaging_service_sid=prepared.messaging_service_sid,
        status_callback=prepared.status_callback,
    )
