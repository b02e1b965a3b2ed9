"""The same work as the inbound-SMS webhook, written by hand: the floor the app is measured against.

A plain WSGI app (served by the same gunicorn settings as the app), for `bench/inbound_webhook.py`
only, PostgreSQL only. For a reply to a campaign it does what the app does, in as little code
as it takes:

- checks `X-Twilio-Signature` with twilio's `RequestValidator`;
- one SELECT brings the contact, its region and its latest campaign (a `LATERAL` subquery);
- three INSERTs: the inbound message (a repeated MessageSid is recorded once), the Response
  (the option chosen) and the outbound reply row; one COMMIT;
- answers the TwiML `MessagingResponse` with the option's reply in the contact's language.

Keywords, unknown numbers and call-backs are out of its scope: it answers them with an empty
TwiML after recording the inbound message. Settings come from the environment:
BENCH_REFERENCE_DSN (a libpq URL), BENCH_PUBLIC_URL (the URL the requests are signed for),
TWILIO_AUTH_TOKEN and BENCH_THREADS (gunicorn threads: the pool's size in each worker).
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl

from psycopg_pool import ConnectionPool
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

TOPICS = Path(__file__).resolve().parent.parent / "campaigns"

CONTACT = """
SELECT c.id, c.region_id, c.phone, c.language, c.name, r.name, r.phone, r.sender_number,
       latest.campaign_id, latest.topic
FROM contacts c
JOIN regions r ON r.id = c.region_id
LEFT JOIN LATERAL (
    SELECT m.campaign_id, k.topic
    FROM messages m JOIN campaigns k ON k.id = m.campaign_id
    WHERE m.contact_id = c.id AND m.direction = 'outbound'
      AND m.status IN ('sent', 'delivered', 'undelivered', 'interrupted')
    ORDER BY m.sent_at DESC, m.id DESC
    LIMIT 1
) latest ON true
WHERE c.phone = %s
"""
INBOUND = """
INSERT INTO messages (direction, contact_id, region_id, to_phone, from_phone, body, status,
                      provider_sid, segments, attempts, created_at, updated_at)
VALUES ('inbound', %s, %s, %s, %s, %s, 'received', %s, 1, 0, %s, %s)
ON CONFLICT (provider_sid) DO NOTHING
RETURNING id
"""
RESPONSE = """
INSERT INTO responses (contact_id, campaign_id, channel, kind, option, text, at)
VALUES (%s, %s, 'sms', 'answer', %s, %s, %s)
"""
REPLY = """
INSERT INTO messages (direction, contact_id, region_id, to_phone, from_phone, language, body,
                      status, segments, attempts, sent_at, created_at, updated_at)
VALUES ('outbound', %s, %s, %s, %s, %s, %s, 'sent', 1, 0, %s, %s, %s)
"""


def replies() -> dict[tuple[str, str], dict[str, str]]:
    """{(topic, option key): {language: reply}} from the topic files."""
    found = {}
    for path in TOPICS.glob("*.toml"):
        topic = tomllib.loads(path.read_text())
        for option in topic.get("options", []):
            found[(topic.get("id", path.stem), option["key"])] = option.get("reply", {})
    return found


def make_app():
    """The WSGI app (gunicorn: `reference_webhook:make_app()`, loaded in each worker)."""
    pool = ConnectionPool(
        os.environ["BENCH_REFERENCE_DSN"],
        min_size=int(os.environ["BENCH_THREADS"]),
        max_size=int(os.environ["BENCH_THREADS"]),
        open=True,
    )
    validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
    url = os.environ["BENCH_PUBLIC_URL"]
    texts = replies()

    def app(environ, start_response):
        size = int(environ.get("CONTENT_LENGTH") or 0)
        form = dict(parse_qsl(environ["wsgi.input"].read(size).decode(), keep_blank_values=True))
        if not validator.validate(url, form, environ.get("HTTP_X_TWILIO_SIGNATURE", "")):
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"invalid signature"]
        with pool.connection() as conn:  # commits when the block ends
            reply = receive(conn, form, texts)
        twiml = MessagingResponse()
        if reply:
            twiml.message(reply)
        start_response("200 OK", [("Content-Type", "application/xml; charset=utf-8")])
        return [str(twiml).encode()]

    return app


def render(template: str, values: dict[str, str | None]) -> str:
    """The placeholders filled in; a blank one is left out with the separator before it."""
    for field, value in values.items():
        if value:
            template = template.replace("{" + field + "}", value)
        else:
            template = re.sub(r"[,،]?[ \u00a0]*\{" + field + r"\}", "", template)
    return template


def receive(conn, form: dict[str, str], texts) -> str | None:
    """Record the reply and its answer; the text to send back."""
    now = datetime.now(UTC)
    body, sender, to = form.get("Body", ""), form.get("From", ""), form.get("To", "")
    row = conn.execute(CONTACT, (sender.strip(),)).fetchone()
    contact_id, region_id = (row[0], row[1]) if row else (None, None)
    inbound = (contact_id, region_id, to, sender, body, form.get("MessageSid"), now, now)
    if conn.execute(INBOUND, inbound).fetchone() is None or row is None:
        return None  # a repeated SID, or a number that is not a contact
    _, _, phone, language, name, mrc_name, mrc_phone, sender_number, campaign_id, topic = row
    option = body.strip()
    template = texts.get((topic, option), {}).get(language)
    if template is None:
        return None
    values = {"name": name, "mrc_name": mrc_name, "mrc_phone": mrc_phone or sender_number}
    reply = render(template, values)
    conn.execute(RESPONSE, (contact_id, campaign_id, option, body, now))
    conn.execute(REPLY, (contact_id, region_id, phone, to, language, reply, now, now, now))
    return reply
