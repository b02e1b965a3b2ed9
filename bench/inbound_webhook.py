"""Benchmark: the signed inbound-SMS webhook under wrk, beside the same work written by hand.

    .venv/bin/python bench/inbound_webhook.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/x
    .venv/bin/python bench/inbound_webhook.py                 # SQLite file (no reference there)
    .venv/bin/python bench/inbound_webhook.py --duration 10 --workers 4 --threads 2 --connections 16

Needs `wrk` (Debian: `apt-get install -y wrk`; benchmarks are not run in CI, so `.ci/run` does not
install it), gunicorn (a dependency of the project) and psycopg-pool (`pip install -e '.[bench]'`,
or `make bench`).

Three servers, one after the other, each gunicorn on 127.0.0.1 with the same settings
(`--workers`, `--threads`, `--worker-connections`, gthread worker), loaded by the same wrk
command (threads, connections, duration) and the same Lua script:

(r) the same-work reference (`bench/reference_webhook.py`, PostgreSQL only): a hand-written WSGI
    handler doing what the app does for a reply to a campaign — twilio's `RequestValidator`, raw
    psycopg with a pool, one SELECT (contact, region and latest campaign via LATERAL), three
    INSERTs, one COMMIT, the same TwiML. The honest floor: the work the app cannot avoid;
(a) the real app (`wsgi:app`): every request is a reply `1` from one of `--contacts` known
    contacts who each received a sent campaign message, so each request checks the signature,
    matches the contact, finds their latest campaign, records the inbound message, a Response
    (the chosen option) and the outbound reply row, commits, and answers with TwiML in the
    contact's language;
(b) a bare Flask app with one route at the same path returning that same TwiML string (no I/O).

(r) and (a) share one fresh database at head by the real migrations (for a PostgreSQL URL, a
throwaway database next to the one named, dropped afterwards); the reference runs first, so the
app meets the slightly larger tables. The bench checks that both answered the same TwiML.

Why pre-signed bodies: `X-Twilio-Signature` is an HMAC-SHA1 over the URL and *every* posted field,
MessageSid included, and the app (rightly) records a MessageSid once — a repeated one is
answered without being recorded. Repeating one fixed body would so measure the duplicate path,
and leaving MessageSid out would skip the duplicate check Twilio's real requests always go
through. Computing HMAC-SHA1 in wrk's Lua would need a hand-written SHA-1. So the bench signs
`--bodies` distinct bodies (unique MessageSid, senders in rotation) with twilio's own
`RequestValidator` before the run — a set for the app and another for the reference — writes
them one per line with their signatures, and the Lua script posts each at most once (each wrk
thread takes every n-th line). A warm-up run uses a separate set. Afterwards the bench checks
that the database holds exactly one inbound message, one Response and one reply per request wrk
completed (give or take those in flight when wrk stopped), and that no answer was other than 200.

Why `--worker-connections`: wrk keeps its connections open, and a gthread worker keeps every
connection it accepted. Left at gunicorn's default (1000), whichever worker wakes first takes most
of wrk's connections at the start (10, 3, 2 and 1 of 16 over 4 workers were seen), its two threads
then serve five times the load of another, and its queue alone sets the p99 — a draw made anew for
each server, which made the p99 ratio swing between runs. The bench caps each worker at its share
(connections ÷ workers, rounded up, and more than its threads): a worker holding more closes a
kept-alive connection after its answer, and the client reconnects to a worker with room. The same
setting serves all three servers.

Target (issue 8), on PostgreSQL, in the same run: (a) ≥ 50% of the requests per second of (r),
and the p99 latency of (a) ≤ 2× that of (r). (a) / (b) is printed too, for comparison with
earlier runs. This is not a test; it prints figures.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

TARGET_RATIO = 0.50  # of the same-work reference's requests per second
TARGET_P99 = 2.0  # times the reference's p99
PATH = "/webhooks/twilio/sms"
BENCH_DIR = Path(__file__).resolve().parent

# Each line of a bodies file: signature, tab, path, tab, urlencoded form.
LUA = r"""
local sigs, paths, bodies = {}, {}, {}
local counter = 1
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local n = tonumber(wrk.thread:get("id"))
  local step = tonumber(args[2])
  local i = 0
  for line in io.lines(args[1]) do
    if i % step == n then
      local a = line:find("\t", 1, true)
      local b = line:find("\t", a + 1, true)
      table.insert(sigs, line:sub(1, a - 1))
      table.insert(paths, line:sub(a + 1, b - 1))
      table.insert(bodies, line:sub(b + 1))
    end
    i = i + 1
  end
end

function request()
  local i = counter
  counter = counter + 1
  if i > #bodies then i = ((i - 1) % #bodies) + 1 end
  return wrk.format("POST", paths[i], {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = sigs[i],
  }, bodies[i])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d"
    .. " p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def bare_app():
    """The baseline: one route at the webhook's path answering the same TwiML (gunicorn factory)."""
    from flask import Flask, Response

    app = Flask("bare")
    twiml = os.environ["BENCH_TWIML"]

    @app.post(PATH)
    def sms():
        return Response(twiml, mimetype="application/xml")

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- setup ----------------------------------------------------------------------------------


def seed(session, contacts: int) -> None:
    """Contacts who each received a sent message of a running campaign (setup, not timed)."""
    from sqlalchemy import insert, select

    from outreach.models import CampaignRun, Contact, Message, RunStatus

    region = _common.region_id(session)
    _common.insert_contacts(session, region, contacts)
    now = datetime.now(UTC)
    campaign = _common.add_campaign(session, next_run_at=None)
    run = CampaignRun(
        campaign_id=campaign.id,
        scheduled_for=now - timedelta(hours=1),
        status=RunStatus.DONE,
        started_at=now,
    )
    session.add(run)
    session.commit()
    people = session.execute(select(Contact.id, Contact.phone, Contact.language)).all()
    sent_at = now - timedelta(minutes=30)
    for start in range(0, len(people), _common.INSERT_CHUNK):
        rows = [
            {
                "direction": "outbound",
                "campaign_id": campaign.id,
                "run_id": run.id,
                "contact_id": cid,
                "region_id": region,
                "to_phone": to,
                "from_phone": _common.OUR_NUMBER,
                "language": lang,
                "body": "…",
                "status": "sent",
                "provider_sid": "SM" + uuid.uuid4().hex,
                "next_attempt_at": sent_at,
                "sent_at": sent_at,
                "created_at": sent_at,
                "updated_at": sent_at,
            }
            for cid, to, lang in people[start : start + _common.INSERT_CHUNK]
        ]
        session.execute(insert(Message.__table__), rows)
    session.commit()


def inbound_form(sender: str, body: str = "1") -> dict[str, str]:
    """The fields Twilio posts for an inbound SMS, with a fresh MessageSid."""
    sid = "SM" + uuid.uuid4().hex
    return {
        "AccountSid": _common.ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "Body": body,
        "From": sender,
        "MessageSid": sid,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "To": _common.OUR_NUMBER,
    }


def write_bodies(path: Path, url: str, count: int, contacts: int, first: int = 0) -> None:
    """`count` signed bodies, one per line: signature, tab, path, tab, urlencoded form."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(_common.AUTH_TOKEN)
    with path.open("w") as out:
        for i in range(count):
            form = inbound_form(_common.phone((first + i) % contacts))
            signature = validator.compute_signature(url, form)
            out.write(f"{signature}\t{PATH}\t{urlencode(form)}\n")


# -- serving and loading ----------------------------------------------------------------------


@contextlib.contextmanager
def gunicorn(app_spec: str, chdir: Path, port: int, args, env: dict, log: Path):
    """A gunicorn serving `app_spec` on 127.0.0.1:port until the block ends."""
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--chdir",
        str(chdir),
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--worker-connections",
        str(worker_connections(args)),
        "--keep-alive",
        "5",
        "--log-level",
        "warning",
        app_spec,
    ]
    with log.open("w") as out:
        server = subprocess.Popen(command, env={**os.environ, **env}, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def add_worker_connections(parser: argparse.ArgumentParser) -> None:
    """The `--worker-connections` option (this bench's and the key-press bench's)."""
    parser.add_argument(
        "--worker-connections",
        type=int,
        help="connections a gunicorn worker holds at most (default: its share of --connections)",
    )


def worker_connections(args) -> int:
    """The connections one gunicorn worker may hold: as asked, else its share of wrk's."""
    if getattr(args, "worker_connections", None):
        return args.worker_connections
    # At least one more than its threads: with none to keep alive gunicorn closes every one.
    return max(-(-args.connections // args.workers), args.threads + 1)


def run_wrk(url: str, script: Path, bodies: Path, seconds: float, args) -> dict[str, float]:
    """Run wrk once; its summary as numbers (requests, duration_us, errors, latency)."""
    command = [
        "wrk",
        f"-t{args.wrk_threads}",
        f"-c{args.connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
        "--",
        str(bodies),
        str(args.wrk_threads),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    match = re.search(r"^BENCH (.*)$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
    summary = {k: float(v) for k, v in (pair.split("=") for pair in match.group(1).split())}
    summary["rps"] = summary["requests"] / (summary["duration_us"] / 1e6)
    return summary


def recorded(session) -> tuple[int, int, int]:
    """(inbound messages, responses, outbound replies) now in the database."""
    from sqlalchemy import func, select

    from outreach.models import Message, Response

    inbound = session.execute(
        select(func.count()).where(Message.direction == "inbound")
    ).scalar_one()
    responses = session.execute(select(func.count()).select_from(Response)).scalar_one()
    replies = session.execute(
        select(func.count()).where(Message.direction == "outbound", Message.campaign_id.is_(None))
    ).scalar_one()
    return inbound, responses, replies


def first_reply(url: str) -> str:
    """One signed request to the real app; the TwiML it answers (what the bare app returns)."""
    import requests
    from twilio.request_validator import RequestValidator

    form = inbound_form(_common.phone(0))
    signature = RequestValidator(_common.AUTH_TOKEN).compute_signature(url, form)
    with requests.Session() as http:
        http.trust_env = False
        answer = http.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)
    answer.raise_for_status()
    if "<Message>" not in answer.text:
        raise RuntimeError(f"expected a reply in TwiML, got {answer.text!r}")
    return answer.text


# -- the benchmark ----------------------------------------------------------------------------


def bench(args) -> None:
    from outreach.extensions import db

    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install -y wrk)")
    with tempfile.TemporaryDirectory(prefix="bench-webhook-") as tmp:
        folder = Path(tmp)
        script = folder / "signed.lua"
        script.write_text(LUA)
        with _common.fresh_database(args.database_url, folder, "bench_webhook") as database_url:
            dialect = _common.dialect_of(database_url)
            app = _common.migrated_app(database_url, folder)
            with app.app_context():
                seed(db.session, args.contacts)
                db.session.remove()
            _common.vacuum(app)
            # Every server is asked at this URL's port in turn, so one signature fits them all.
            base = f"http://127.0.0.1:{free_port()}"
            bodies = {
                name: signed_bodies(folder, name, base + PATH, args)
                for name in ("app", "reference")
            }
            results = {}
            if dialect == "postgresql":
                results["reference"] = serve_and_load(
                    "reference",
                    base,
                    reference_env(database_url, base, args),
                    app,
                    bodies,
                    script,
                    args,
                )
            results["app"] = serve_and_load(
                "app", base, app_env(database_url, base), app, bodies, script, args
            )
            twiml = results["app"]["twiml"]
            if "reference" in results and results["reference"]["twiml"] != twiml:
                raise RuntimeError(
                    f"the reference answered {results['reference']['twiml']!r}, the app {twiml!r}"
                )
            results["bare"] = serve_and_load(
                "bare", base, {"BENCH_TWIML": twiml}, None, bodies, script, args
            )
            with app.app_context():
                db.engine.dispose()

    report(args, dialect, results)


SERVERS = {
    "app": ("wsgi:app", _common.ROOT),
    "reference": ("reference_webhook:make_app()", BENCH_DIR),
    "bare": ("inbound_webhook:bare_app()", BENCH_DIR),
}


def signed_bodies(folder: Path, name: str, url: str, args) -> tuple[Path, Path]:
    """(warm-up, measured) files of bodies with MessageSids of their own for server `name`."""
    warm, measured = folder / f"{name}-warm.txt", folder / f"{name}-bodies.txt"
    write_bodies(warm, url, args.warmup_bodies, args.contacts)
    write_bodies(measured, url, args.bodies, args.contacts, first=args.warmup_bodies)
    return warm, measured


def app_env(database_url: str, base: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench",
        "OUTREACH_PROVIDER": "simulator",
        "TWILIO_ACCOUNT_SID": _common.ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": _common.AUTH_TOKEN,
        "PUBLIC_BASE_URL": base,
    }


def reference_env(database_url: str, base: str, args) -> dict[str, str]:
    from sqlalchemy.engine import make_url

    dsn = make_url(database_url).set(drivername="postgresql")
    return {
        "BENCH_REFERENCE_DSN": dsn.render_as_string(hide_password=False),
        "BENCH_PUBLIC_URL": base + PATH,
        "BENCH_THREADS": str(args.threads),
        "TWILIO_AUTH_TOKEN": _common.AUTH_TOKEN,
    }


def serve_and_load(name, base, env, app, bodies, script, args) -> dict:
    """Serve `name` at `base`, warm it up, load it with wrk; its figures and rows recorded."""
    from outreach.extensions import db

    port = int(base.rsplit(":", 1)[1])
    spec, chdir = SERVERS[name]
    warm, measured = bodies["reference" if name == "reference" else "app"]
    url = base + PATH
    with gunicorn(spec, chdir, port, args, env, Path(script).with_name(f"{name}.log")) as server:
        twiml = first_reply(url) if app is not None else None
        run_wrk(url, script, warm, args.warmup, args)
        time.sleep(1)  # let the warm-up's last requests finish before counting
        before = after = (0, 0, 0)
        if app is not None:
            with app.app_context():
                before = recorded(db.session)
                db.session.remove()
        with _common.CpuMeter(server.pid) as cpu:
            result = run_wrk(url, script, measured, args.duration, args)
        result["cpu"] = cpu
        time.sleep(1)  # let requests still in flight when wrk stopped finish
        if app is not None:
            with app.app_context():
                after = recorded(db.session)
                db.session.remove()
    result["twiml"] = twiml
    result["added"] = [a - b for a, b in zip(after, before, strict=True)]
    return result


def report(args, dialect, results) -> None:
    """Each server's figures, the rows each recorded, and the ratios against the targets."""
    print(
        f"database: {dialect}; gunicorn gthread {args.workers} workers × {args.threads} threads,"
        f" {worker_connections(args)} connections each;"
        f" wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration:g}s;"
        f" {args.contacts:,} contacts, {args.bodies:,} pre-signed bodies"
    )
    labels = {
        "bare": "bare Flask endpoint (same TwiML)",
        "reference": "same-work reference (hand-written)",
        "app": "signed webhook, the app",
    }
    complete = True
    for name in ("bare", "reference", "app"):
        if name in results:
            complete &= print_server(labels[name], name != "bare", results[name], args)
    app, bare = results["app"], results["bare"]
    print(f"app / bare: {app['rps'] / bare['rps']:.1%} of the requests per second")
    if "reference" not in results:
        print("no reference on SQLite: the targets are for PostgreSQL")
        return
    ref = results["reference"]
    ratio, p99 = app["rps"] / ref["rps"], app["p99_us"] / ref["p99_us"]
    ok = ratio >= TARGET_RATIO and p99 <= TARGET_P99 and complete
    print(
        f"app / reference: {ratio:.1%} of the requests per second (target ≥ {TARGET_RATIO:.0%}),"
        f" p99 {p99:.2f}× (target ≤ {TARGET_P99:g}×) — {'met' if ok else 'MISSED'}"
    )


def print_server(label: str, records: bool, result: dict, args) -> bool:
    """One server's line (and the rows it recorded); whether it answered and recorded them all."""
    errors = {k: int(result[k]) for k in ("connect", "read", "write", "status", "timeout")}
    completed = int(result["requests"])
    print(
        f"{label:36} {result['rps']:8.1f} req/s  ({completed:,} requests,"
        f" p50 {result['p50_us'] / 1000:.1f} ms, p99 {result['p99_us'] / 1000:.1f} ms,"
        f" errors {errors})"
    )
    print(cpu_line(result))
    if completed > args.bodies:
        print(f"  WARNING: {completed:,} requests > {args.bodies:,} bodies; raise --bodies")
    if not records:
        return not any(errors.values())
    added = result["added"]
    recorded_ok = all(completed <= n <= completed + args.connections for n in added)
    print(
        f"  recorded during the run: {added[0]:,} inbound messages, {added[1]:,} responses,"
        f" {added[2]:,} replies — {'as expected' if recorded_ok else 'NOT ONE PER REQUEST'}"
    )
    return recorded_ok and not any(errors.values())


def cpu_line(result: dict) -> str:
    """The CPU the server and the database used per completed request."""
    cpu, completed = result["cpu"], max(1, int(result["requests"]))
    server, database = cpu.server * 1000 / completed, cpu.database * 1000 / completed
    return (
        f"  CPU per request: server {server:.2f} ms, database {database:.2f} ms,"
        f" together {server + database:.2f} ms"
    )


def main() -> None:
    cpus = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each wrk run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of each warm-up")
    parser.add_argument("--workers", type=int, default=2 * cpus, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=2, help="gunicorn threads per worker")
    parser.add_argument("--wrk-threads", type=int, default=min(2, cpus))
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--bodies", type=int, default=50_000, help="pre-signed bodies")
    parser.add_argument("--warmup-bodies", type=int, default=5_000)
    add_worker_connections(parser)
    bench(parser.parse_args())


if __name__ == "__main__":
    main()
