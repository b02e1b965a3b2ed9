"""Benchmark: the dispatcher's achieved send rate against the campaign's limit, over real HTTP.

    .venv/bin/python bench/dispatch.py                     # 2,000 messages, SQLite file
    .venv/bin/python bench/dispatch.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/x
    .venv/bin/python bench/dispatch.py --messages 5000 --concurrency 64 --latency 0.2

The provider is the real `TwilioProvider` (the official SDK) pointed by `TWILIO_API_BASE_URL` at
the local Twilio-compatible server of the tests (`tests/twilio_server.py`, on 127.0.0.1), which
answers every create after `--latency` seconds (200 ms by default) and records when each request
arrived. The server runs in a child process of its own (spawned, not forked), so it does not
share the dispatcher's GIL: its clock sees requests when they arrive, not when the dispatcher's
threads let it run. It sends its record back through a pipe at the end and is always stopped
(terminated, then killed, if it does not stop when asked). Status callbacks are planned but
never delivered, so the app is not in the measurement.

Setup (not timed): a fresh database at head by the real migrations (a SQLite file in a temporary
folder, or a throwaway PostgreSQL database next to the one named, dropped afterwards);
`--messages` opted-in contacts in one region; a running campaign for that region with
`rate_per_second = --rate` (100) and the window 00:00–24:00 (always open), fired by
`fire_campaign`.

Measured: a real `Dispatcher` (its own thread, a pool of `--concurrency` sender threads) runs
until every message is `sent`, or until a deadline (3× the ideal time + 30 s), then stops. The
provider's `send_sms` is wrapped to note `time.monotonic()` just before each request (the client's
send start); the server notes `time.monotonic()` when each request arrives (both processes read
the same system-wide monotonic clock). From each record: achieved rate = messages / (last start −
first start), the most starts in any one second (must not exceed the limit), and achieved /
limit. That rate counts one window fewer than the messages fill, so a perfect limiter shows a
little over the limit (2,000 messages at 100/s: 2,000 / 19 s = 105.3/s); the bench prints that
figure too. The client's count is what the dispatcher's limiter promises; the server's is the one
the provider would enforce (arrivals, with the transport's jitter on top).

Target (issue 3): achieved ≥ 90% of the limit, never more than the limit in any one second.
This is not a test; it prints figures.
"""

from __future__ import annotations

import argparse
import collections
import math
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

from tests.twilio_process import twilio_server_process  # noqa: E402

TARGET = 0.90


def timed_send_sms(provider, starts: list[tuple[float, str]]):
    """Wrap `provider.send_sms` to note `time.monotonic()` (and To) just before each request."""
    send_sms = provider.send_sms

    def send(sms):
        starts.append((time.monotonic(), sms.to))  # list.append is atomic: safe from any thread
        return send_sms(sms)

    provider.send_sms = send


class Phases:
    """Where each send's time goes (`--phases`): durations noted by wrapping the dispatcher."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = collections.defaultdict(list)

    def note(self, phase: str, seconds: float) -> None:
        self.times[phase].append(seconds)  # list.append is atomic

    def timed(self, phase: str, fn):
        def wrapper(*args, **kwargs):
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.note(phase, time.perf_counter() - began)

        return wrapper

    def instrument(self, dispatcher) -> None:
        submit, limiter = dispatcher._pool.submit, dispatcher.limiter
        send_and_release, reserve, start = (
            dispatcher._send_and_release,
            limiter.reserve,
            limiter.start,
        )
        reserved_at = threading.local()

        def timed_submit(fn, prepared):
            queued = time.perf_counter()

            def run():
                self.note("waiting for a sender thread", time.perf_counter() - queued)
                return send_and_release(prepared)

            return submit(run)

        def timed_reserve(*args, **kwargs):
            began = time.perf_counter()
            try:
                return reserve(*args, **kwargs)
            finally:
                reserved_at.t = time.perf_counter()
                self.note("limiter: wait for a place", reserved_at.t - began)

        def timed_start(key):
            self.note("reserved → start (mark sending)", time.perf_counter() - reserved_at.t)
            return start(key)

        dispatcher._pool.submit = timed_submit
        limiter.reserve, limiter.start = timed_reserve, timed_start
        dispatcher.send = self.timed("send() in all", dispatcher.send)
        dispatcher._record_sent = self.timed("record sent (commit)", dispatcher._record_sent)
        dispatcher.dispatch_once = self.timed(
            "dispatch_once (claim + prepare)", dispatcher.dispatch_once
        )
        dispatcher.provider.send_sms = self.timed("provider request", dispatcher.provider.send_sms)

    def report(self) -> None:
        print("phases (ms): count, mean, p50, p95, max")
        for phase, values in self.times.items():
            values = sorted(values)
            n = len(values)
            mean = sum(values) / n
            p50, p95 = values[n // 2], values[min(n - 1, int(n * 0.95))]
            print(
                f"  {phase:34} {n:6,} {mean * 1e3:8.1f} {p50 * 1e3:8.1f} {p95 * 1e3:8.1f}"
                f" {values[-1] * 1e3:8.1f}"
            )


def dispatch_until_sent(
    app,
    campaign_id: int,
    total: int,
    settings,
    deadline: float,
    client_starts: list[tuple[float, str]],
    phases: Phases | None = None,
):
    """Run a Dispatcher in its own thread until `total` messages are sent; seconds taken."""
    from sqlalchemy.orm import sessionmaker

    from outreach.extensions import db
    from outreach.messaging.dispatcher import Dispatcher
    from outreach.messaging.registry import provider_registry
    from outreach.models import Message

    provider = provider_registry(app).build(concurrency=settings.concurrency)
    timed_send_sms(provider, client_starts)
    sessions = sessionmaker(bind=db.engine, expire_on_commit=False)
    dispatcher = Dispatcher(sessions, provider, app.config, settings)
    if phases is not None:
        phases.instrument(dispatcher)
    thread = threading.Thread(target=dispatcher.run, name="dispatcher", daemon=True)
    started = time.monotonic()
    thread.start()
    try:
        while time.monotonic() - started < deadline:
            with sessions() as session:
                if _common.status_counts(session, Message, campaign_id).get("sent", 0) >= total:
                    break
            time.sleep(0.2)
    finally:
        dispatcher.stop_event.set()
        thread.join(60)
        provider.client.http_client.close()
    return time.monotonic() - started


def bench(args) -> None:
    from outreach.campaigns.scheduling import fire_campaign
    from outreach.extensions import db
    from outreach.messaging.dispatcher import DispatchSettings
    from outreach.models import Campaign, Message
    from tests.twilio_server import max_in_window

    total, rate = args.messages, args.rate
    defaults = DispatchSettings()
    settings = DispatchSettings(
        concurrency=args.concurrency or defaults.concurrency,
        batch_size=args.batch_size or defaults.batch_size,
        poll_seconds=args.poll_seconds or defaults.poll_seconds,
    )
    client_starts: list[tuple[float, str]] = []
    phases = Phases() if args.phases else None
    with (
        tempfile.TemporaryDirectory(prefix="bench-dispatch-") as tmp,
        twilio_server_process(args.latency) as server,
    ):
        folder = Path(tmp)
        with _common.fresh_database(args.database_url, folder, "bench_dispatch") as url:
            dialect = _common.dialect_of(url)
            app = _common.migrated_app(
                url,
                folder,
                OUTREACH_PROVIDER="twilio",
                TWILIO_ACCOUNT_SID=_common.ACCOUNT_SID,
                TWILIO_AUTH_TOKEN=_common.AUTH_TOKEN,
                TWILIO_API_BASE_URL=server.base_url,
                TWILIO_FROM_NUMBER=_common.OUR_NUMBER,
                PUBLIC_BASE_URL="http://127.0.0.1:9",  # callbacks are never delivered
            )
            with app.app_context():
                session = db.session
                _common.insert_contacts(session, _common.region_id(session), total)
                now = datetime.now(UTC)
                campaign = _common.add_campaign(
                    session, next_run_at=now, rate_per_second=rate, window_start=0, window_end=1440
                )
                fire_campaign(session, db.session.get(Campaign, campaign.id), now)
                session.commit()
                campaign_id = campaign.id
                session.remove()

                deadline = 3 * total / rate + 30
                wall = dispatch_until_sent(
                    app, campaign_id, total, settings, deadline, client_starts, phases
                )
                with db.session() as session:
                    final = _common.status_counts(session, Message, campaign_id)
                db.session.remove()
                db.engine.dispose()

        record = server.finish()

    starts = sorted(record["starts"])
    answers = collections.Counter(record["status"])
    busiest = max_in_window(starts, 1.0)
    client = sorted(t for t, _ in client_starts)
    # Client send start → server arrival, per recipient (each is sent once when all goes well).
    sent_at = {to: t for t, to in client_starts}
    lags = sorted(
        t - sent_at[to]
        for t, to in zip(record["starts"], record["to"], strict=True)
        if to in sent_at
    )
    client_busiest = max_in_window(client, 1.0)
    max_in_flight, errors = record["max_in_flight"], len(record["errors"])
    recipients = collections.Counter(record["to"])
    doubled = sum(1 for n in recipients.values() if n > 1)

    def rate_of(times: list[float]) -> tuple[float, float]:
        span = times[-1] - times[0] if len(times) > 1 else float("nan")
        return span, (len(times) / span if span else float("nan"))

    span, achieved = rate_of(starts)
    client_span, client_achieved = rate_of(client)
    ratio = achieved / rate
    all_sent = final.get("sent", 0) == total
    print(
        f"messages: {total:,}; database: {dialect}; latency {args.latency * 1000:.0f} ms; "
        f"limit {rate:g}/s; {settings}"
    )
    print(f"statuses: {dict(sorted(final.items()))}; server answers: {dict(answers)}")
    print(
        f"creates: {len(starts):,} over {span:.2f} s at the server, {len(client):,} over "
        f"{client_span:.2f} s at the client (wall {wall:.2f} s); recipients sent more than "
        f"once: {doubled}; most in flight at the server: {max_in_flight}; server errors: {errors}"
    )
    if lags:
        print(
            "client send start → server arrival (ms): "
            f"p50 {lags[len(lags) // 2] * 1e3:.1f}, p95 {lags[int(len(lags) * 0.95)] * 1e3:.1f}, "
            f"max {lags[-1] * 1e3:.1f}"
        )
    for where, count in (("client (send start)", client_busiest), ("server (arrival)", busiest)):
        within = "within the limit" if count <= rate else "OVER THE LIMIT"
        print(f"most starts in any one second, {where}: {count} (limit {rate:g}) — {within}")
    ideal = total / (math.ceil(total / rate) - 1) if total > rate else float("nan")
    print(
        f"achieved: {achieved:.1f} msg/s at the server, {client_achieved:.1f} at the client"
        f" = messages / (last start − first start) (a perfect limiter would show {ideal:.1f})"
    )
    verdict = "met" if ratio >= TARGET and all_sent else "MISSED"
    print(f"ratio achieved/limit: {ratio:.1%} (target ≥ {TARGET:.0%}) — {verdict}")
    if phases is not None:
        phases.report()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=100.0, help="the campaign's rate_per_second")
    parser.add_argument("--latency", type=float, default=0.2, help="server latency, seconds")
    parser.add_argument("--concurrency", type=int, help="DispatchSettings.concurrency")
    parser.add_argument("--batch-size", type=int, help="DispatchSettings.batch_size")
    parser.add_argument("--poll-seconds", type=float, help="DispatchSettings.poll_seconds")
    parser.add_argument(
        "--phases", action="store_true", help="time each step of a send (adds a little overhead)"
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    bench(parser.parse_args())


if __name__ == "__main__":
    main()
