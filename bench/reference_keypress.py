"""The same work as the key-press webhook, written by hand: the floor the app is measured against.

A plain WSGI app for `bench/keypress_webhook.py` only, PostgreSQL only. For a key that leads to
another node of the call's menu it does what the app does, in as little code as it takes:
twilio's `RequestValidator`; one SELECT (the call, its contact's consent and language, its
campaign, its MRC); the Response INSERT guarded by consent; one COMMIT; the next node's TwiML
(`VoiceResponse`, `Gather` around the node's prompt in the contact's language).

Settings from the environment: BENCH_REFERENCE_DSN, BENCH_PUBLIC_URL (the base URL requests are
signed for), TWILIO_AUTH_TOKEN, BENCH_THREADS, and BENCH_MENU (JSON: the node pressed at, the
key, the node it leads to, and that node's prompt per language as `["say", text]` or
`["play", url]`).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from psycopg_pool import ConnectionPool
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Gather, VoiceResponse

CALL = """
SELECT k.id, k.contact_id, k.campaign_id, coalesce(k.language, c.language), c.consent,
       r.name, coalesce(r.phone, r.sender_number)
FROM calls k
JOIN contacts c ON c.id = k.contact_id
JOIN regions r ON r.id = coalesce(k.region_id, c.region_id)
WHERE k.id = %s
"""
RESPONSE = """
INSERT INTO responses (contact_id, campaign_id, call_id, channel, menu_node, kind, text, at)
SELECT %s, %s, %s, 'ivr', %s, 'answer', %s, %s
WHERE EXISTS (SELECT 1 FROM contacts WHERE id = %s AND consent = 'opted_in')
RETURNING id
"""
SAY = {"en": "en-GB", "ru": "ru-RU"}


def make_app():
    """The WSGI app (gunicorn: `reference_keypress:make_app()`, loaded in each worker)."""
    threads = int(os.environ["BENCH_THREADS"])
    pool = ConnectionPool(
        os.environ["BENCH_REFERENCE_DSN"], min_size=threads, max_size=threads, open=True
    )
    validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
    base = os.environ["BENCH_PUBLIC_URL"]
    menu = json.loads(os.environ["BENCH_MENU"])

    def app(environ, start_response):
        size = int(environ.get("CONTENT_LENGTH") or 0)
        form = dict(parse_qsl(environ["wsgi.input"].read(size).decode(), keep_blank_values=True))
        query = environ.get("QUERY_STRING", "")
        url = base + environ["PATH_INFO"] + (f"?{query}" if query else "")
        if not validator.validate(url, form, environ.get("HTTP_X_TWILIO_SIGNATURE", "")):
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"invalid signature"]
        call_id = int(environ["PATH_INFO"].split("/")[-2])
        with pool.connection() as conn:  # commits when the block ends
            twiml = press(conn, call_id, form.get("Digits", ""), menu, base)
        start_response("200 OK", [("Content-Type", "application/xml; charset=utf-8")])
        return [twiml.encode()]

    return app


def press(conn, call_id: int, digits: str, menu: dict, base: str) -> str:
    """Record the key press and answer the next node's TwiML."""
    now = datetime.now(UTC)
    row = conn.execute(CALL, (call_id,)).fetchone()
    response = VoiceResponse()
    if row is None or row[4] != "opted_in" or digits != menu["key"]:
        response.hangup()  # out of the reference's scope: the app's other paths
        return str(response)
    _, contact_id, campaign_id, language, _, mrc_name, mrc_phone = row
    params = (contact_id, campaign_id, call_id, menu["node"], digits, now, contact_id)
    conn.execute(RESPONSE, params)
    gather = Gather(
        num_digits=1,
        timeout=7,
        action=f"{base}/webhooks/twilio/voice/call/{call_id}/{menu['target']}?tries=0",
        method="POST",
        action_on_empty_result=True,
    )
    verb, content = menu["prompts"][language]
    if verb == "play":
        gather.play(base + content)
    else:
        text = content.replace("{mrc_name}", mrc_name or "").replace("{mrc_phone}", mrc_phone or "")
        gather.say(text, language=SAY.get(language, language))
    response.append(gather)
    return str(response)
