"""Requests made before the queue existed keep their origin as their first source (and back)."""

from __future__ import annotations

import flask_migrate
from sqlalchemy import text
from support import app_settings

from outreach import create_app
from outreach.extensions import db

QUEUE = "0009_callback_queue"


def test_existing_requests_get_a_source_and_are_due_from_when_they_were_made(tmp_path):
    app = create_app(app_settings(f"sqlite:///{tmp_path / 'old.db'}", tmp_path))
    with app.app_context():
        flask_migrate.upgrade(revision=f"{QUEUE}-1")  # the schema just before the queue
        with db.engine.begin() as conn:
            region = conn.execute(text("SELECT id FROM regions WHERE code = 'kg-osh'")).scalar()
            conn.execute(
                text(
                    "INSERT INTO contacts (phone, region_id, language, consent, "
                    "consent_changed_at, created_at, updated_at) VALUES "
                    "('+996555000901', :r, 'ky', 'opted_in', :t, :t, :t)"
                ),
                {"r": region, "t": "2026-11-01 08:00:00"},
            )
            conn.execute(
                text(
                    "INSERT INTO callback_requests (contact_id, region_id, channel, status, "
                    "notes, created_at) SELECT id, :r, 'sms', 'open', 'asked about jobs', "
                    "'2026-11-01 09:00:00' FROM contacts"
                ),
                {"r": region},
            )
            conn.execute(
                text(
                    "INSERT INTO contacts (phone, region_id, language, consent, "
                    "consent_changed_at, created_at, updated_at) VALUES "
                    "('+996555000902', :r, 'ky', 'opted_in', :t, :t, :t)"
                ),
                {"r": region, "t": "2026-11-01 08:00:00"},
            )
            conn.execute(
                text(
                    "INSERT INTO callback_requests (contact_id, region_id, channel, status, "
                    "claimed_at, created_at) SELECT id, :r, 'ivr', 'claimed', "
                    "'2026-11-02 09:00:00', '2026-11-01 09:00:00' FROM contacts "
                    "WHERE phone = '+996555000902'"
                ),
                {"r": region},
            )
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            old_claim = conn.execute(
                text("SELECT claim_expires_at FROM callback_requests WHERE status = 'claimed'")
            ).scalar_one()
        with db.engine.connect() as conn:
            source = conn.execute(
                text("SELECT channel, at FROM callback_sources ORDER BY id LIMIT 1")
            ).one()
            request = conn.execute(
                text("SELECT due_at, created_at FROM callback_requests ORDER BY id LIMIT 1")
            ).first()
            note = conn.execute(text("SELECT outcome, note FROM callback_attempts")).one()
            region_row = conn.execute(
                text(
                    "SELECT callback_target_hours, callback_spacing_minutes, "
                    "callback_max_attempts FROM regions WHERE code = 'kg-osh'"
                )
            ).one()
        flask_migrate.downgrade(revision=f"{QUEUE}-1")  # and back: the note returns to its request
        with db.engine.connect() as conn:
            back = conn.execute(
                text("SELECT channel, status, notes FROM callback_requests ORDER BY id LIMIT 1")
            ).one()
        db.engine.dispose()
    assert (source.channel, str(source.at)[:19]) == ("sms", "2026-11-01 09:00:00")
    assert request.due_at == request.created_at
    assert tuple(note) == ("reached", "asked about jobs")
    assert tuple(region_row) == (8, 120, 3)
    assert tuple(back) == ("sms", "open", "asked about jobs")
    # A claim from before claims expired is over: that request is back in the queue.
    assert str(old_claim)[:19] == "2026-11-02 09:00:00"
