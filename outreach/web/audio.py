"""Recordings served to the provider and to people: `/audio/<sha256>.<wav|mp3>`, no log-in.

Twilio fetches `<Play>` URLs without credentials. The name is the hash of the bytes, so a URL
never changes meaning: it is cached for a year as immutable, and a new recording has a new URL.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app

from outreach.extensions import csrf, db, limiter
from outreach.voice.recordings import SHIPPED_DIR, audio_bytes

bp = Blueprint("audio", __name__)
csrf.exempt(bp)
limiter.exempt(bp)  # a campaign's calls fetch the same few files many times a second

CACHE = "public, max-age=31536000, immutable"


@bp.get("/audio/<string(length=64):sha256>.<any(wav, mp3):ext>")
def serve(sha256: str, ext: str):
    """One recording by the hash of its bytes (404 for any other name)."""
    if any(c not in "0123456789abcdef" for c in sha256):
        abort(404)
    found = audio_bytes(
        db.session,
        sha256,
        ext,
        storage=current_app.config.get("AUDIO_STORAGE"),
        shipped_dir=current_app.config.get("AUDIO_SHIPPED_DIR") or SHIPPED_DIR,
    )
    if found is None:
        abort(404)
    data, content_type = found
    response = Response(data, mimetype=content_type)
    response.headers["Cache-Control"] = CACHE
    response.headers["ETag"] = f'"{sha256}"'
    return response
