"""Recordings at /audio/<sha256>.<ext>: no log-in, the right type, cached for a year, else 404."""

from __future__ import annotations

import hashlib

from audio_samples import wav_bytes

from outreach.extensions import db
from outreach.models import utcnow
from outreach.voice.recordings import shipped_audio, store_recording

CACHE = "public, max-age=31536000, immutable"


def test_a_shipped_placeholder_is_served_to_anyone_with_a_long_cache(client):
    file = shipped_audio().by_key[("common", "goodbye", "ur")]
    answer = client.get(file.url)
    assert answer.status_code == 200
    assert answer.mimetype == "audio/wav"
    assert answer.headers["Cache-Control"] == CACHE
    assert hashlib.sha256(answer.data).hexdigest() == file.sha256
    assert "Set-Cookie" not in answer.headers


def test_an_upload_is_served_from_the_database_or_the_storage_folder(app, client, tmp_path):
    stored = store_recording(
        db.session,
        ("job-fair", "start", "ky"),
        wav_bytes(),
        user_id=None,
        now=utcnow(),
        storage=None,
    )
    db.session.commit()
    answer = client.get(f"/audio/{stored.sha256}.wav")
    assert answer.status_code == 200 and hashlib.sha256(answer.data).hexdigest() == stored.sha256
    app.config["AUDIO_STORAGE"] = str(tmp_path)
    on_disk = store_recording(
        db.session,
        ("job-fair", "start", "uz"),
        wav_bytes(0.5),
        user_id=None,
        now=utcnow(),
        storage=str(tmp_path),
    )
    db.session.commit()
    answer = client.get(f"/audio/{on_disk.sha256}.wav")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == CACHE
    assert answer.data == (tmp_path / f"{on_disk.sha256}.wav").read_bytes()


def test_anything_else_is_404(client):
    known = shipped_audio().by_key[("common", "goodbye", "en")].sha256
    for path in [
        f"/audio/{'0' * 64}.wav",
        f"/audio/{known.upper()}.wav",
        f"/audio/{known}.mp3",
        f"/audio/{known}.ogg",
        f"/audio/{known[:63]}.wav",
        "/audio/../campaigns/common.toml",
        f"/audio/{'g' * 64}.wav",
    ]:
        answer = client.get(path)
        assert answer.status_code == 404, path
