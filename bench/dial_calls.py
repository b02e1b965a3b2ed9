"""Benchmark: the dialer's call pace against the campaign's calls-per-second, over real HTTP.

    .venv/bin/python bench/dial_calls.py                    # 2,000 calls at 20/s, SQLite file
    .venv/bin/python bench/dial_calls.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/x
    .venv/bin/python bench/dial_calls.py --calls 400 --rate 20 --workers 2

The provider is the real `TwilioProvider` (the official SDK) pointed at the local
Twilio-compatible server of the tests (`tests/twilio_server.py`) in a spawned child process,
answering every create after `--latency` seconds (200 ms) and noting when each request arrived.
Status callbacks are planned but never delivered, so only placing calls is measured.

Setup (not timed): a fresh database at head; `--calls` opted-in contacts in one region; a
running voice campaign there with `calls_per_second = --rate` (20), its window always open,
fired by `fire_campaign` (one Call row per contact).

Measured: `--workers` real `Dialer`s (each its own thread and pool, as separate workers would
be; they share the pace through the database) run until every call is `initiated`. Printed: the
busiest second at the server (the most creates arriving in any one-second window, must be
≤ the rate), the busiest second as the dialer saw it (when its HTTP client handed each request
to its connection) and how long requests took from there to the server (the window is
`CALL_PACE_MARGIN_SECONDS`, 35 ms, longer than a second to absorb that), and the whole run's
time (first arrival to last) against the baseline measured in the same run's terms, calls ÷
rate seconds: the ratio must be ≤ 1.05 (issue 9).
This is not a test; it prints figures.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402
from dispatch import twilio_server_process  # noqa: E402

TARGET = 1.05


def add_voice_campaign(session, rate: float, now: datetime):
    from sqlalchemy import select

    from outreach.models import Campaign, CampaignStatus, Region

    campaign = Campaign(
        name="Safe migration by phone (benchmark)",
        topic="irregular-migration",
        channel="voice",
        status=CampaignStatus.RUNNING,
        texts={},
        next_run_at=now,
        calls_per_second=rate,
        window_start=0,
        window_end=1440,
        regions=[session.execute(select(Region).where(Region.code == _common.REGION)).scalar_one()],
    )
    session.add(campaign)
    session.commit()
    return campaign


def note_handoffs(provider, handoffs: dict[str, float]) -> None:
    """Wrap `start_call` to note when (`time.monotonic()`) each request was handed to its
    connection, as the provider's HTTP client says: the dialer's own view of the start."""
    start_call = provider.start_call

    def start(call):
        try:
            return start_call(call)
        finally:
            sent = provider.last_sent_at()
            if sent is not None:
                handoffs[call.to] = time.monotonic() - (time.time() - sent)

    provider.start_call = start


def dial_until_placed(
    app, campaign_id: int, total: int, workers: int, deadline: float, handoffs: dict[str, float]
) -> float:
    """Run the dialers until every call is placed (or the deadline); the wall time it took."""
    from sqlalchemy.orm import sessionmaker

    from outreach.extensions import db
    from outreach.messaging.dispatcher import DispatchSettings
    from outreach.messaging.twilio_provider import TwilioProvider
    from outreach.models import Call
    from outreach.voice.dialer import Dialer

    with app.app_context():
        sessions = sessionmaker(bind=db.engine, expire_on_commit=False)
        settings = DispatchSettings(concurrency=32, batch_size=64, poll_seconds=0.1)
        providers = [
            TwilioProvider.from_config(app.config, pool_maxsize=32) for _ in range(workers)
        ]
        for provider in providers:
            note_handoffs(provider, handoffs)
        dialers = [Dialer(sessions, p, app.config, settings) for p in providers]
        threads = [threading.Thread(target=d.run, daemon=True) for d in dialers]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        while time.monotonic() - started < deadline:
            with sessions() as session:
                if _common.status_counts(session, Call, campaign_id).get("initiated", 0) >= total:
                    break
            time.sleep(0.25)
        wall = time.monotonic() - started
        for dialer in dialers:
            dialer.stop_event.set()
        for thread in threads:
            thread.join(30)
        return wall


def bench(args) -> None:
    from outreach.campaigns.scheduling import fire_campaign
    from outreach.extensions import db
    from outreach.models import Call, Campaign
    from outreach.voice.pacing import MARGIN  # the default CALL_PACE_MARGIN_SECONDS
    from tests.twilio_server import max_in_window

    total, rate = args.calls, args.rate
    with (
        tempfile.TemporaryDirectory(prefix="bench-dial-") as tmp,
        twilio_server_process(args.latency, kind="Calls") as server,
    ):
        folder = Path(tmp)
        with _common.fresh_database(args.database_url, folder, "bench_dial") as url:
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
                campaign = add_voice_campaign(session, rate, now)
                fire_campaign(session, db.session.get(Campaign, campaign.id), now)
                session.commit()
                campaign_id = campaign.id
                session.remove()
            handoffs: dict[str, float] = {}
            wall = dial_until_placed(
                app, campaign_id, total, args.workers, 3 * total / rate + 30, handoffs
            )
            with app.app_context():
                with db.session() as session:
                    final = _common.status_counts(session, Call, campaign_id)
                db.session.remove()
                db.engine.dispose()
        record = server.finish()

    starts = sorted(record["starts"])
    busiest = max_in_window(starts, 1.0)
    span = starts[-1] - starts[0] if len(starts) > 1 else float("nan")
    baseline = total / rate
    ratio = span / baseline
    doubled = sum(1 for n in collections.Counter(record["to"]).values() if n > 1)
    print(
        f"calls: {total:,}; database: {dialect}; latency {args.latency * 1000:.0f} ms; "
        f"limit {rate:g} calls/s; dialers: {args.workers}"
    )
    print(f"statuses: {dict(sorted(final.items()))}; creates at the server: {len(starts):,}")
    print(f"numbers called more than once: {doubled}; server errors: {len(record['errors'])}")
    sent = sorted(handoffs.values())
    delays = sorted(
        1000 * (at - handoffs[to])
        for at, to in zip(record["starts"], record["to"], strict=True)
        if to in handoffs
    ) or [float("nan")]
    print(
        f"busiest second at the dialer (requests handed to their connections): "
        f"{max_in_window(sent, 1.0)} starts; handed over to arrived: median "
        f"{delays[len(delays) // 2]:.1f} ms, p99 {delays[int(len(delays) * 0.99)]:.1f} ms, "
        f"max {delays[-1]:.1f} ms; {sum(d > 1000 * MARGIN for d in delays)} over the "
        f"{1000 * MARGIN:.0f} ms margin"
    )
    within = "within the limit" if busiest <= rate else "OVER THE LIMIT"
    print(f"busiest second at the server: {busiest} starts (limit {rate:g}) — {within}")
    verdict = "met" if ratio <= TARGET and busiest <= rate and len(starts) == total else "MISSED"
    print(
        f"run: {span:.2f} s first to last start (wall {wall:.2f} s) against {total:,} ÷ {rate:g}"
        f" = {baseline:.2f} s: ratio {ratio:.3f} (target ≤ {TARGET}) — {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=20.0, help="the campaign's calls_per_second")
    parser.add_argument("--latency", type=float, default=0.2, help="server latency, seconds")
    parser.add_argument("--workers", type=int, default=1, help="dialers sharing the pace")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    bench(parser.parse_args())


if __name__ == "__main__":
    main()
