"""Benchmark: the signed key-press webhook under wrk, beside the same work written by hand.

    .venv/bin/python bench/keypress_webhook.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/x

Measured like `bench/inbound_webhook.py` (read its docstring: same gunicorn settings, same wrk
command, pre-signed bodies, a warm-up set of bodies apart), with three servers one after the
other:

(r) the same-work reference (`bench/reference_keypress.py`, PostgreSQL only): twilio's
    `RequestValidator`, raw psycopg with a pool, one SELECT, the Response INSERT guarded by
    consent, one COMMIT, the next node's TwiML;
(a) the real app (`wsgi:app`): every request is key `1` pressed at the start node of an
    answered outbound call of a voice campaign (one call per contact, `--contacts` of them), a
    key that leads to another node: the signature is checked, the call read, the key press
    recorded (consent in the INSERT's WHERE), committed, and the next node's TwiML answered;
(b) a bare Flask app answering that same TwiML (no I/O).

Each request's URL is the call's own (`/webhooks/twilio/voice/call/<id>/<node>?tries=0`), so the
Lua script posts each pre-signed body to its own path. Afterwards the bench checks one Response
per completed request. Target (issue 9), on PostgreSQL, in the same run: (a) ≥ 50% of (r)'s
requests per second and (a)'s p99 ≤ 2× (r)'s. This is not a test; it prints figures.

Menus: the shipped topic's voice menu when the content has one; until then the small menu the
tests use (`tests/voice/menus_for_tests.py`), said so in the output.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent / "tests" / "voice"))

import _common  # noqa: E402
import inbound_webhook as inbound  # noqa: E402

TOPIC = "irregular-migration"
CALL_PATH = "/webhooks/twilio/voice/call/"


def shipped_menus() -> bool:
    """Whether the content has voice menus (else the tests' small menu stands in)."""
    from outreach.content import get_topic

    return getattr(get_topic(TOPIC), "voice", None) is not None


def use_menus() -> str:
    """Make the call flow read a voice menu in this process; which one."""
    if shipped_menus():
        return "shipped"
    import menus_for_tests

    class Patch:  # monkeypatch's setattr, for a process that lives as long as the patch
        setattr = staticmethod(setattr)

    menus_for_tests.install(Patch)
    return "the tests' small menu (shipped menus not merged yet)"


def make_app():
    """The app with a voice menu to read (gunicorn: `keypress_webhook:make_app()`)."""
    use_menus()
    import wsgi

    return wsgi.app


def bare_app():
    """The baseline: one route answering the same TwiML at any call's path."""
    from flask import Flask, Response

    app = Flask("bare")
    twiml = os.environ["BENCH_TWIML"]

    @app.post(CALL_PATH + "<int:call_id>/<node>")
    def key(call_id, node):
        return Response(twiml, mimetype="application/xml")

    return app


def menu_for_reference(app) -> dict:
    """The node pressed at, the key, the node it leads to and its prompt in each language
    (as the simulator provider plays it: a recording when there is one, else its text)."""
    from outreach.content import message_values
    from outreach.content.menus import MenuAction
    from outreach.extensions import db
    from outreach.voice import catalog
    from outreach.voice.prompts import prompt_audio

    menu = catalog.topic_menu(TOPIC)
    node = menu.nodes[menu.start]
    key = next(k for k in sorted(node.keys) if node.keys[k].action == MenuAction.GOTO)
    target = node.keys[key].target
    prompts = {}
    with app.app_context():
        from outreach.access import Scope
        from outreach.regions import region_by_code

        fields = message_values(region_by_code(db.session, Scope.everything(), _common.REGION))
        for language in ("ur",):
            audio = prompt_audio(
                db.session,
                TOPIC,
                menu.nodes[target].prompt,
                language,
                config=app.config,
                fields=fields,
            )
            prompts[language] = ["play", audio.url] if audio.url else ["say", audio.text]
        db.session.remove()
    return {"node": menu.start, "key": key, "target": target, "prompts": prompts}


def seed(session, contacts: int) -> list[int]:
    """Contacts of one MRC, a running voice campaign, an answered call to each; the call ids."""
    from sqlalchemy import insert, select

    from outreach.models import Call, Contact

    region = _common.region_id(session)
    _common.insert_contacts(session, region, contacts)
    campaign = _common.add_campaign(session, topic=TOPIC, next_run_at=None)
    campaign.channel = "voice"
    session.commit()
    people = session.execute(select(Contact.id, Contact.phone, Contact.language)).all()
    now = _common.datetime.now(_common.UTC)
    for start in range(0, len(people), _common.INSERT_CHUNK):
        rows = [
            {
                "direction": "outbound",
                "campaign_id": campaign.id,
                "contact_id": cid,
                "region_id": region,
                "to_phone": to,
                "from_phone": _common.OUR_NUMBER,
                "language": lang,
                "status": "in-progress",
                "provider_sid": "CA" + uuid.uuid4().hex,
                "attempts": 1,
                "created_at": now,
                "updated_at": now,
            }
            for cid, to, lang in people[start : start + _common.INSERT_CHUNK]
        ]
        session.execute(insert(Call.__table__), rows)
    session.commit()
    return list(session.execute(select(Call.id, Call.provider_sid, Call.to_phone)).all())


def write_bodies(path: Path, base: str, calls, menu: dict, count: int, first: int = 0) -> None:
    """`count` signed bodies, one per line: signature, path, urlencoded form."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(_common.AUTH_TOKEN)
    with path.open("w") as out:
        for i in range(count):
            call_id, sid, to = calls[(first + i) % len(calls)]
            url_path = f"{CALL_PATH}{call_id}/{menu['node']}?tries=0"
            form = {
                "AccountSid": _common.ACCOUNT_SID,
                "ApiVersion": "2010-04-01",
                "CallSid": sid,
                "CallStatus": "in-progress",
                "Digits": menu["key"],
                "Direction": "outbound-api",
                "FinishedOnKey": "",
                "From": _common.OUR_NUMBER,
                "To": to,
            }
            signature = validator.compute_signature(base + url_path, form)
            out.write(f"{signature}\t{url_path}\t{urlencode(form)}\n")


def first_answer(base: str, calls, menu: dict) -> str:
    """One signed key press to a server; its TwiML."""
    import requests
    from twilio.request_validator import RequestValidator

    call_id, sid, to = calls[0]
    url = f"{base}{CALL_PATH}{call_id}/{menu['node']}?tries=0"
    form = {"CallSid": sid, "Digits": menu["key"], "From": _common.OUR_NUMBER, "To": to}
    signature = RequestValidator(_common.AUTH_TOKEN).compute_signature(url, form)
    with requests.Session() as http:
        http.trust_env = False
        answer = http.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)
    answer.raise_for_status()
    if "<Gather" not in answer.text:
        raise RuntimeError(f"expected the next node's <Gather>, got {answer.text!r}")
    return answer.text


def responses(app) -> int:
    from sqlalchemy import func, select

    from outreach.extensions import db
    from outreach.models import Response

    with app.app_context():
        count = db.session.execute(select(func.count()).select_from(Response)).scalar_one()
        db.session.remove()
    return count


SERVERS = {
    "app": ("keypress_webhook:make_app()", BENCH_DIR),
    "reference": ("reference_keypress:make_app()", BENCH_DIR),
    "bare": ("keypress_webhook:bare_app()", BENCH_DIR),
}


def serve_and_load(name, base, env, app, files, calls, menu, script, args) -> dict:
    """Serve `name`, check its first answer, warm it up, load it; figures and rows recorded."""
    port = int(base.rsplit(":", 1)[1])
    spec, chdir = SERVERS[name]
    env = {**env, "PYTHONPATH": str(_common.ROOT)}
    warm, measured = files
    with inbound.gunicorn(spec, chdir, port, args, env, script.with_name(f"{name}.log")) as server:
        twiml = first_answer(base, calls, menu)
        inbound.run_wrk(base, script, warm, args.warmup, args)
        time.sleep(1)
        before = responses(app)
        with _common.CpuMeter(server.pid) as cpu:
            result = inbound.run_wrk(base, script, measured, args.duration, args)
        result["cpu"] = cpu
        time.sleep(1)
        result["added"] = responses(app) - before
    result["twiml"] = twiml
    return result


def bench(args) -> None:
    from outreach.extensions import db

    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install -y wrk)")
    menus = use_menus()
    with tempfile.TemporaryDirectory(prefix="bench-keypress-") as tmp:
        folder = Path(tmp)
        script = folder / "signed.lua"
        script.write_text(inbound.LUA)
        with _common.fresh_database(args.database_url, folder, "bench_keypress") as database_url:
            dialect = _common.dialect_of(database_url)
            app = _common.migrated_app(database_url, folder)
            with app.app_context():
                calls = seed(db.session, args.contacts)
                db.session.remove()
            _common.vacuum(app)
            base = f"http://127.0.0.1:{inbound.free_port()}"
            menu = menu_for_reference(app)
            files = {}
            for name in ("app", "reference"):
                warm, measured = folder / f"{name}-warm.txt", folder / f"{name}-bodies.txt"
                write_bodies(warm, base, calls, menu, args.warmup_bodies)
                write_bodies(measured, base, calls, menu, args.bodies, first=args.warmup_bodies)
                files[name] = (warm, measured)
            results = {}
            app_env = inbound.app_env(database_url, base)
            if dialect == "postgresql":
                env = inbound.reference_env(database_url, base, args)
                env.update(BENCH_PUBLIC_URL=base, BENCH_MENU=json.dumps(menu))
                results["reference"] = serve_and_load(
                    "reference", base, env, app, files["reference"], calls, menu, script, args
                )
            results["app"] = serve_and_load(
                "app", base, app_env, app, files["app"], calls, menu, script, args
            )
            twiml = results["app"]["twiml"]
            if "reference" in results and results["reference"]["twiml"] != twiml:
                raise RuntimeError(
                    f"the reference answered {results['reference']['twiml']!r}, the app {twiml!r}"
                )
            results["bare"] = serve_and_load(
                "bare", base, {"BENCH_TWIML": twiml}, app, files["app"], calls, menu, script, args
            )
            with app.app_context():
                db.engine.dispose()
    report(args, dialect, menus, results)


def report(args, dialect, menus, results) -> None:
    """Each server's figures and the ratios against the targets."""
    print(
        f"database: {dialect}; menus: {menus}; gunicorn gthread {args.workers} workers ×"
        f" {args.threads} threads, {inbound.worker_connections(args)} connections each;"
        f" wrk -t{args.wrk_threads} -c{args.connections}"
        f" -d{args.duration:g}s; {args.contacts:,} answered calls"
    )
    labels = {
        "bare": "bare Flask endpoint (same TwiML)",
        "reference": "same-work reference (hand-written)",
        "app": "signed key-press webhook, the app",
    }
    complete = True
    for name in ("bare", "reference", "app"):
        if name not in results:
            continue
        result = results[name]
        errors = {k: int(result[k]) for k in ("connect", "read", "write", "status", "timeout")}
        completed = int(result["requests"])
        print(
            f"{labels[name]:36} {result['rps']:8.1f} req/s  ({completed:,} requests,"
            f" p50 {result['p50_us'] / 1000:.1f} ms, p99 {result['p99_us'] / 1000:.1f} ms,"
            f" errors {errors})"
        )
        print(inbound.cpu_line(result))
        complete &= not any(errors.values())
        if name != "bare":
            ok = completed <= result["added"] <= completed + args.connections
            complete &= ok
            print(
                f"  key presses recorded during the run: {result['added']:,}"
                f" — {'one per request' if ok else 'NOT ONE PER REQUEST'}"
            )
    app, bare = results["app"], results["bare"]
    print(f"app / bare: {app['rps'] / bare['rps']:.1%} of the requests per second")
    if "reference" not in results:
        print("no reference on SQLite: the targets are for PostgreSQL")
        return
    ref = results["reference"]
    ratio, p99 = app["rps"] / ref["rps"], app["p99_us"] / ref["p99_us"]
    met = ratio >= inbound.TARGET_RATIO and p99 <= inbound.TARGET_P99 and complete
    print(
        f"app / reference: {ratio:.1%} of the requests per second"
        f" (target ≥ {inbound.TARGET_RATIO:.0%}), p99 {p99:.2f}×"
        f" (target ≤ {inbound.TARGET_P99:g}×) — {'met' if met else 'MISSED'}"
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
    inbound.add_worker_connections(parser)
    bench(parser.parse_args())


if __name__ == "__main__":
    main()
