"""The dialer: claims due calls, checks the window and consent again, places them at each
campaign's calls-per-second, shared by every live worker (`outreach.voice.pacing`).

Like the SMS dispatcher: each call is committed `dialing` (consent checked in that UPDATE)
before its request goes out, so after a crash only requests in flight are in doubt
(`interrupted`, never placed twice); what was merely claimed goes back to the queue. The
heartbeat, claims and records run as `resilience.Step`s or with `keep_trying`: no error from the
database or the provider ends the loop. The heartbeat also runs the sweeper.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from outreach.messaging import outbox
from outreach.messaging.compose import app_base_url, campaign_window, region_zone, sender_for
from outreach.messaging.dispatcher import DispatchSettings
from outreach.messaging.provider import OutboundCall, Provider, ProviderError
from outreach.messaging.window import is_open, next_opening, recipient_zones
from outreach.messaging.work_pool import WorkPool
from outreach.models import Call, CallStatus, Campaign, ConsentState, Contact, Region, utcnow
from outreach.resilience import Health, Step, keep_trying
from outreach.voice import calls, pacing
from outreach.voice.sweeper import DEFAULT_SWEEP_AFTER, sweep_silent_calls

log = logging.getLogger(__name__)

RING_TIMEOUT = 30  # seconds a call rings before it is no-answer
OPEN_SECONDS = 10.0  # the longest the dialing threads are waited for to open connections
GIVE_UP = 0.25  # seconds after its slot a call no longer starts (it takes a fresh slot)
NO_CALLER = "no caller number: set the region's sender number or TWILIO_FROM_NUMBER"


@dataclass(frozen=True)
class PreparedCall:
    """A claimed call ready to place: its attempt number and the provider request."""

    call_id: int
    campaign_id: int
    calls_per_second: float
    number: int
    request: OutboundCall


def call_urls(config: dict, call_id: int, number: int, machine: str | None):
    """(TwiML URL, status callback URL, machine-detection callback URL or None) of a call."""
    base = app_base_url(config) + "/webhooks/twilio/voice"
    amd = f"{base}/amd" if machine else None
    return f"{base}/call/{call_id}", f"{base}/status?c={call_id}&a={number}", amd


class Dialer:
    """Places due calls through a provider; several may run against one PostgreSQL database.

    Inside a worker it shares the dispatcher's id and heartbeat (`beats=False`); alone (a
    benchmark, a test) it beats itself.
    """

    def __init__(
        self,
        session_factory: sessionmaker,
        provider: Provider,
        config: dict,
        settings: DispatchSettings | None = None,
        clock: Callable[[], datetime] = utcnow,
        wall: Callable[[], float] = time.time,
        worker_id: str | None = None,
        beats: bool = True,
        sweep_after: timedelta = DEFAULT_SWEEP_AFTER,
        health: Health | None = None,
    ) -> None:
        self.sessions = session_factory
        self.provider = provider
        self.config = config
        self.settings = settings or DispatchSettings()
        self.clock = clock
        self.wall = wall
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.beats = beats
        self.sweep_after = sweep_after
        self.stop_event = threading.Event()
        self.health = health or Health()
        self._beating = Step("call heartbeat, recovery and sweep", self.health)
        self._dialing = Step("claiming calls", self.health)
        self._callers = WorkPool(self.settings.concurrency, "dial", initializer=self._warm_up)
        self._lock = threading.Lock()  # of the slot locks
        self._slot_locks: dict[int, threading.Lock] = {}
        self._last_beat: datetime | None = None
        self._opened = False

    # -- the loop -----------------------------------------------------------------------------

    def run(self) -> None:
        """Dial until `stop_event` is set; an error backs off and retries, never ends it."""
        while not self.stop_event.is_set():
            if self._last_beat is None or self._since_beat() >= self.settings.heartbeat_seconds:
                self._beating.run(self.heartbeat)
            claimed = self._dialing.run(self.dial_once)
            if claimed is None:
                wait = min(self._dialing.retry_in(), self.settings.heartbeat_seconds)
                self.stop_event.wait(max(wait, self.settings.poll_seconds))
            elif claimed == 0:
                self._callers.wait_for_room(self.settings.poll_seconds)
        self._callers.shutdown()

    def _since_beat(self) -> float:
        return (self.clock() - self._last_beat).total_seconds()

    def heartbeat(self) -> None:
        """Say this worker is alive (when it beats itself), renew its claims, give back what is
        stuck, and end calls the provider has been silent about for too long."""
        with self.sessions() as session:
            now = self.clock()
            if self.beats:
                outbox.beat(session, self.worker_id, socket.gethostname(), os.getpid(), now)
            held = self._callers.held()
            calls.keep_claims(session, self.worker_id, held, now)
            released, interrupted = calls.recover_claims(
                session,
                self.worker_id,
                held,
                now,
                self.settings.worker_timeout,
                self.settings.claim_timeout,
            )
            swept = sweep_silent_calls(session, now, self.sweep_after)
            pacing.forget_old(session, self.wall())
            session.commit()
        self._last_beat = now
        if released or interrupted or swept:
            log.warning(
                "calls: %d claims given back, %d interrupted, %d silent ended",
                released,
                interrupted,
                swept,
            )

    def dial_once(self) -> int:
        """Claim what the pool has room for, prepare it, and hand it to the dialing threads."""
        room = self._callers.room(self.settings.batch_size)
        if room < max(1, self.settings.concurrency // 2):
            return 0
        with self.sessions() as session:
            now = self.clock()
            ids = calls.claim_due(session, self.worker_id, now, room)
            session.commit()
            if not ids:
                return 0
            ready = self._prepare(session, ids, now)
            session.commit()
        if ready and not self._opened:
            self._open_connections()
        work = [(p.call_id, functools.partial(self.dial, p)) for p in ready]
        self._callers.hand_over(work, "placing call")
        return len(ids)

    def _open_connections(self) -> None:
        """Start every dialing thread (each opens its connection as it starts) before the
        first call is handed over; they meet at a barrier, so each task runs on a thread of
        its own."""
        self._opened = True
        meeting = threading.Barrier(self.settings.concurrency)

        def meet() -> None:
            with contextlib.suppress(threading.BrokenBarrierError):
                meeting.wait(OPEN_SECONDS)

        started = [self._callers.submit(meet) for _ in range(self.settings.concurrency)]
        futures.wait(started, OPEN_SECONDS + 1)

    def _warm_up(self) -> None:
        """Open this dialing thread's connection to the provider before its first call: a new
        connection's first request arrives late and would crowd the next start."""
        warm_up = getattr(self.provider, "warm_up", None)
        if warm_up is None:
            return
        try:
            warm_up()
        except Exception as exc:  # the call itself will say what is wrong, in its own record
            log.warning("opening a connection to the provider failed: %s", exc)

    def drain(self, timeout: float = 60.0) -> None:
        """Wait until every submitted call has been placed or given back (tests, shutdown)."""
        self._callers.drain(timeout)

    def close(self) -> None:
        """Stop and wait for the dialing threads."""
        self.stop_event.set()
        self._callers.shutdown()

    # -- preparing: window and consent, checked again now -------------------------------------

    def _prepare(self, session: Session, ids: list[int], now: datetime) -> list[PreparedCall]:
        rows = session.execute(
            select(Call, Contact, Region, Campaign)
            .outerjoin(Contact, Contact.id == Call.contact_id)
            .join(Region, Region.id == Call.region_id)
            .join(Campaign, Campaign.id == Call.campaign_id)
            .where(Call.id.in_(ids))
        ).all()
        return [p for row in rows if (p := self._prepare_one(*row, now)) is not None]

    def _prepare_one(self, call, contact, region, campaign, now) -> PreparedCall | None:
        if contact is not None and contact.consent != ConsentState.OPTED_IN:
            # Checked early too, to spare a start slot; `mark_dialing` checks again.
            call.status, call.claimed_by = CallStatus.FAILED, None
            call.error_code, call.error_message = outbox.OPTED_OUT, outbox.OPTED_OUT_MESSAGE
            return None
        window = campaign_window(campaign, region)
        zones = recipient_zones(call.to_phone, region.timezone)
        if not is_open(window, now, zones):
            calls.hold(call, next_opening(window, now, zones, region_zone(region)), now)
            return None
        sender, _service = sender_for(region, self.config)
        if not sender:  # a messaging service sends SMS only; a call needs a number
            call.status, call.claimed_by, call.error_message = CallStatus.FAILED, None, NO_CALLER
            return None
        call.from_phone = sender
        number = call.attempts + 1
        url, status_url, amd_url = call_urls(self.config, call.id, number, campaign.machine)
        request = OutboundCall(
            to=call.to_phone,
            sender=sender,
            url=url,
            status_callback=status_url,
            timeout=RING_TIMEOUT,
            amd_callback=amd_url,
        )
        return PreparedCall(call.id, campaign.id, campaign.calls_per_second, number, request)

    # -- dialing ------------------------------------------------------------------------------

    def dial(self, prepared: PreparedCall) -> None:
        """Take the call's start slot and commit it `dialing` (consent checked there) in one
        transaction just before its start, start on time, record what the provider said."""
        call_id = prepared.call_id
        slot = self._gate(prepared, dialing=False)
        while slot is not None:
            wait = slot.at - self.wall()
            if wait > 0:
                time.sleep(wait)  # at most LEAD seconds
            started = self.wall()
            if started <= slot.at + GIVE_UP:
                break
            # This thread was not scheduled for far too long: the slot passed unused (it still
            # counts, which only slows the pace); the call, `dialing`, takes a fresh one.
            slot = self._gate(prepared, dialing=True)
        if slot is None:
            return
        try:
            receipt = self.provider.start_call(prepared.request)
        except ProviderError as error:
            self._note_start(prepared, slot, started)
            self._record_error(prepared, error)
        except Exception as exc:  # whether it went out is unknown: never place it again
            log.exception("provider call for call %s failed", call_id)
            self._note_start(prepared, slot, started)
            self._record_end(prepared, CallStatus.INTERRUPTED, None, repr(exc))
        else:
            self._note_start(prepared, slot, started)
            self._record(
                f"recording call {call_id} placed as {receipt.sid}",
                lambda s: calls.record_accepted(
                    s, call_id, prepared.number, receipt.sid, self.clock()
                ),
            )

    def _note_start(self, prepared: PreparedCall, slot: pacing.Slot, started: float) -> None:
        """A call that left late is counted in the window from when it left: when its request
        was handed to the connection, if the provider says (its time is `time.time()`, this
        dialer's wall clock), else when the dialer called it."""
        sent_at = getattr(self.provider, "last_sent_at", None)
        sent = sent_at() if sent_at is not None else None
        if sent is not None and sent >= started:
            started = sent
        if started <= slot.at + pacing.LATE:
            return
        try:
            self._run(lambda s: pacing.note_start(s, prepared.campaign_id, slot.seq, started))
        except Exception:
            log.exception("noting the late start of call %s failed", prepared.call_id)

    def _gate(self, prepared: PreparedCall, dialing: bool) -> pacing.Slot | None:
        """The call's start slot, at most `LEAD` ahead, taken in the transaction that commits
        the call `dialing` (consent, claim and campaign checked in that UPDATE); None when the
        call was refused or the dialer is stopping (then it goes back to the queue).

        One thread per campaign and process waits at the gate, so waiting threads neither
        hammer the database nor hold a consent check long before their call starts.
        """
        with self._lock:
            lock = self._slot_locks.setdefault(prepared.campaign_id, threading.Lock())
        margin = self.config.get("CALL_PACE_MARGIN_SECONDS", pacing.MARGIN)
        rule = pacing.pace(prepared.calls_per_second, margin)
        with lock:
            while not self.stop_event.is_set():
                with self.sessions() as session:
                    slot = pacing.next_start(session, prepared.campaign_id, rule, self.wall())
                    ahead = slot.at - pacing.LEAD - self.wall()
                    if ahead > 0:
                        session.rollback()
                        self.stop_event.wait(ahead)
                        continue
                    if not pacing.take(session, prepared.campaign_id, rule, slot):
                        session.rollback()  # another worker took it: ask again
                        continue
                    if dialing or self._mark_dialing(session, prepared.call_id):
                        session.commit()
                        return slot
                    session.rollback()  # the slot was not used: it is not taken
                self._refuse(prepared.call_id)
                return None
        self._run(lambda s: self._give_back(s, prepared.call_id, dialing))
        return None

    def _give_back(self, session: Session, call_id: int, dialing: bool) -> None:
        now = self.clock()
        if dialing:  # its request never left: back to the queue, the attempt not counted
            calls.back_from_dialing(session, call_id, now, None, now)
        else:
            calls.release(session, call_id, self.worker_id, now)

    def _mark_dialing(self, session: Session, call_id: int) -> bool:
        return calls.mark_dialing(session, call_id, self.worker_id, self.clock())

    def _refuse(self, call_id: int) -> None:
        """The call may not be placed now: failed if its recipient opted out, else given back."""
        with self.sessions() as session:
            now = self.clock()
            if not calls.fail_opted_out(session, call_id, self.worker_id, now):
                calls.release(session, call_id, self.worker_id, now)
            session.commit()

    def _run(self, work: Callable[[Session], object]) -> None:
        with self.sessions() as session:
            work(session)
            session.commit()

    def _record(self, what: str, work: Callable[[Session], object]) -> None:
        """Record an outcome, retrying while the database is away: the request went out. If it
        cannot be recorded, the call stays `dialing` and recovery marks it interrupted."""
        if not keep_trying(
            what, lambda: self._run(work), self.stop_event, self.settings.give_up_seconds
        ):
            raise RuntimeError(f"{what}: not recorded; left for recovery")

    def _record_error(self, prepared: PreparedCall, error: ProviderError) -> None:
        if error.maybe_sent:
            # It may be ringing: never placed again. Its own callback (the URL names the call
            # and the attempt) still moves it on if it went.
            why = f"{error.message}; the provider could not say whether the call was placed"
            self._record_end(prepared, CallStatus.INTERRUPTED, error.code, why)
        elif error.transient:
            retry_at = self.clock() + outbox.backoff(1, error.retry_after)
            self._record(
                f"giving call {prepared.call_id} back",
                lambda s: calls.back_from_dialing(
                    s, prepared.call_id, retry_at, error.message, self.clock()
                ),
            )
        else:
            self._record_end(prepared, CallStatus.FAILED, error.code, error.message)

    def _record_end(self, prepared: PreparedCall, status, code, why: str) -> None:
        self._record(
            f"recording call {prepared.call_id} {status}",
            lambda s: calls.end_from_dialing(s, prepared.call_id, status, code, why, self.clock()),
        )
