"""Benchmark: the call-back queue's first page with 50,000 open requests against 50, same run.

    .venv/bin/python bench/callback_queue.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/x
    .venv/bin/python bench/callback_queue.py --requests 50000 --messages 1000000 --repeat 30

PostgreSQL only (the issue's target is for PostgreSQL): a throwaway database is created next to
the one named, brought to head by the real migrations, and dropped afterwards.

Baseline (timed first): one counsellor of MRC Islamabad, 50 open requests from 50 people with
20 messages each. Then, in the same database, the same region grows to `--requests` (50,000)
open requests (each with a source, every fifth with an unanswered attempt) and `--messages`
(1,000,000) messages, written by set-based SQL (`generate_series`), then VACUUM ANALYZE.

Measured, both times: the queue page (`GET /callbacks`, HTML, as the counsellor) and
`GET /api/v1/callbacks` (JSON, first page of 50, with a bearer token), each requested
`--repeat` times through the app in-process after two warm-up requests; the median wall time.
Printed: the medians and the ratio large / small. Target (issue 10): each ratio ≤ 5.
This is not a test; it prints figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

TARGET = 5.0
PASSWORD = "bench password 1"
SMALL = 50
MESSAGES_PER_PERSON = 20


def _people_sql(first: int, count: int, region: int) -> str:
    """People, their open requests, one source each, and an attempt for every fifth (set-based)."""
    last = first + count - 1
    return f"""
    INSERT INTO contacts (phone, region_id, language, name, consent, consent_changed_at,
                          created_at, updated_at)
    SELECT '+92300' || lpad(i::text, 7, '0'), {region}, (ARRAY['ur','ps','en'])[1 + i % 3],
           'Person ' || i, 'opted_in', now(), now(), now()
    FROM generate_series({first}, {last}) AS i;

    INSERT INTO callback_requests (contact_id, region_id, channel, status, due_at, created_at)
    SELECT c.id, {region}, (ARRAY['sms','ivr','hotline','missed_call'])[1 + c.id % 4], 'open',
           now() - (c.id % 40000) * interval '1 minute',
           now() - (c.id % 40000) * interval '1 minute' - interval '1 hour'
    FROM contacts c WHERE c.phone BETWEEN '+92300' || lpad('{first}', 7, '0')
                                      AND '+92300' || lpad('{last}', 7, '0');

    INSERT INTO callback_sources (request_id, channel, at)
    SELECT r.id, r.channel, r.created_at FROM callback_requests r
    WHERE NOT EXISTS (SELECT 1 FROM callback_sources s WHERE s.request_id = r.id);

    INSERT INTO callback_attempts (request_id, outcome, topics, at)
    SELECT r.id, 'no_answer', '[]', r.created_at + interval '30 minutes'
    FROM callback_requests r
    WHERE r.id % 5 = 0
      AND NOT EXISTS (SELECT 1 FROM callback_attempts a WHERE a.request_id = r.id);
    """


def _messages_sql(total: int, region: int) -> str:
    """`total` delivered messages spread over the region's people (set-based)."""
    return f"""
    WITH people AS (
        SELECT id, phone, row_number() OVER (ORDER BY id) AS n
        FROM contacts WHERE region_id = {region}
    )
    INSERT INTO messages (direction, contact_id, region_id, to_phone, body, segments, status,
                          attempts, sent_at, created_at, updated_at)
    SELECT 'outbound', p.id, {region}, p.phone, 'Safe migration: reply 2 for a call-back', 1,
           'delivered', 1, now() - i * interval '1 second', now() - i * interval '1 second',
           now()
    FROM generate_series(1, {total}) AS i
    -- The size as a constant (an init plan), so the join is a hash join, not a nested loop.
    JOIN people p ON p.n = 1 + (i % (SELECT count(*) FROM contacts WHERE region_id = {region}));
    """


def _setup_user(app, region_code: str):
    """A counsellor of the region, logged in on a test client, and an API token."""
    from outreach.accounts.service import create_token, create_user
    from outreach.extensions import db

    with app.app_context():
        create_user(
            db.session,
            "counsellor@bench.test",
            "counsellor",
            [region_code],
            PASSWORD,
            "pbkdf2:sha256:1",
        )
        token = create_token(db.session, "counsellor@bench.test")
        db.session.commit()
    client = app.test_client()
    response = client.post("/login", data={"email": "counsellor@bench.test", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client, {"Authorization": f"Bearer {token}"}


def _median_ms(call, repeat: int) -> float:
    for _ in range(2):
        call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _measure(client, headers, repeat: int, expect_total: int) -> dict[str, float]:
    def page():
        response = client.get("/callbacks")
        assert response.status_code == 200, response.status_code

    def api():
        response = client.get("/api/v1/callbacks", headers=headers)
        assert response.status_code == 200, response.status_code
        body = response.get_json()
        assert body["total"] == expect_total and len(body["items"]) == 50, body["total"]

    return {
        "queue page": _median_ms(page, repeat),
        "GET /api/v1/callbacks": _median_ms(api, repeat),
    }


def _run_sql(app, sql: str) -> None:
    from sqlalchemy import text

    from outreach.extensions import db

    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text(sql))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if not (args.database_url or "").startswith("postgresql"):
        sys.exit("give --database-url postgresql+psycopg://…: the target is for PostgreSQL")
    with (
        tempfile.TemporaryDirectory() as tmp,
        _common.fresh_database(args.database_url, Path(tmp), "bench_callbacks") as url,
    ):
        app = _common.migrated_app(url, Path(tmp), WTF_CSRF_ENABLED=False)
        with app.app_context():
            from outreach.extensions import db

            region = _common.region_id(db.session)
        client, headers = _setup_user(app, _common.REGION)
        _run_sql(
            app, _people_sql(0, SMALL, region) + _messages_sql(SMALL * MESSAGES_PER_PERSON, region)
        )
        _common.vacuum(app)
        small = _measure(client, headers, args.repeat, SMALL)
        print(f"baseline: {SMALL} open requests, {SMALL * MESSAGES_PER_PERSON} messages")
        started = time.perf_counter()
        _run_sql(app, _people_sql(SMALL, args.requests - SMALL, region))
        _run_sql(app, _messages_sql(args.messages - SMALL * MESSAGES_PER_PERSON, region))
        _common.vacuum(app)
        print(
            f"large: {args.requests:,} open requests, {args.messages:,} messages "
            f"(setup {time.perf_counter() - started:.1f} s, not timed)"
        )
        large = _measure(client, headers, args.repeat, args.requests)
        for name in small:
            ratio = large[name] / small[name]
            verdict = "ok" if ratio <= TARGET else "OVER TARGET"
            print(
                f"{name}: {small[name]:.1f} ms with {SMALL}, {large[name]:.1f} ms with "
                f"{args.requests:,}: ratio {ratio:.2f} (target ≤ {TARGET}) {verdict}"
            )
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
