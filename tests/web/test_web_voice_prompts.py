"""The "Voice prompts" page: coordinators see what plays, listen, and upload; errors are clear."""

from __future__ import annotations

import io
import re

from audio_samples import wav_bytes
from sqlalchemy import select
from support import count_rows
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from outreach.extensions import db
from outreach.models import Recording

PAGE = "/voice/prompts?topic=job-fair&language=ky"
UPLOAD = "/voice/prompts/job-fair/start/ky"


def test_a_coordinator_sees_each_prompt_with_its_text_a_player_and_a_form(client, make_user, login):
    login(make_user("coordinator", ["kg-osh"]))
    answer = client.get(PAGE)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert 'href="/voice/prompts"' in page  # in the main navigation
    for prompt in ("start", "prepare", "no_fees", "voicemail"):
        assert f'<tr id="{prompt}">' in page
    assert "Саламатсызбы. Бул {mrc_name}." in page
    assert page.count("placeholder</span>") == 4
    assert (
        len(re.findall(r'<audio controls preload="none" src="/audio/[0-9a-f]{64}\.wav">', page))
        == 4
    )
    assert page.count('enctype="multipart/form-data"') == 4
    assert "https://" not in page  # no external assets


def test_upload_then_see_it_play(client, make_user, login):
    login(make_user("coordinator", ["kg-osh"]))
    answer = client.post(
        UPLOAD,
        data={"recording": (io.BytesIO(wav_bytes(1.0)), "start-ky.wav")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith(
        "/voice/prompts?topic=job-fair&language=ky#start"
    )
    recording = db.session.execute(select(Recording)).scalar_one()
    page = client.get(PAGE).get_data(as_text=True)
    assert "saved: calls play it now" in page
    assert "uploaded recording</span>" in page
    assert f'src="/audio/{recording.sha256}.wav"' in page
    assert client.get(f"/audio/{recording.sha256}.wav").status_code == 200


def test_a_file_that_is_not_audio_gets_a_clear_error_by_its_prompt(client, make_user, login):
    login(make_user("admin", []))
    answer = client.post(
        UPLOAD,
        data={"recording": (io.BytesIO(b"studio script, not audio"), "start.wav")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422
    assert (
        '<p class="error" role="alert">This is not a WAV or MP3 recording.</p>'
        in answer.get_data(as_text=True)
    )
    missing = client.post(UPLOAD, data={}, content_type="multipart/form-data")
    assert missing.status_code == 422
    assert "Choose a WAV or MP3 file to upload." in missing.get_data(as_text=True)
    assert count_rows(Recording) == 0


def test_a_file_over_5_mb_is_refused_without_reading_it_all(client, make_user, login):
    login(make_user("coordinator", ["kg-osh"]))
    big = wav_bytes(1.0, rate=8000, channels=1) + b"\0" * (6 * 1024 * 1024)
    # Encoded in memory: the test client would spool a body this big to a file it never closes.
    body, length, boundary = stream_encode_multipart(
        {"recording": FileStorage(io.BytesIO(big), "long-take.wav")}, use_tempfile=False
    )
    answer = client.post(
        UPLOAD,
        data=body.read(length),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert answer.status_code == 422
    assert "The file is over 5 MB, the limit." in answer.get_data(as_text=True)
    assert count_rows(Recording) == 0


def test_a_counsellor_gets_403_and_no_link(client, make_user, login):
    login(make_user("counsellor", ["kg-osh"]))
    assert client.get(PAGE).status_code == 403
    upload = client.post(
        UPLOAD,
        data={"recording": (io.BytesIO(wav_bytes()), "a.wav")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 403
    assert 'href="/voice/prompts"' not in client.get("/").get_data(as_text=True)
    assert count_rows(Recording) == 0


def test_unknown_topics_prompts_and_languages_are_404(client, make_user, login):
    login(make_user("coordinator", ["kg-osh"]))
    assert client.get("/voice/prompts?topic=legal-aid").status_code == 404
    assert client.get("/voice/prompts?language=de").status_code == 404
    assert client.post("/voice/prompts/job-fair/nope/ky").status_code == 404
    assert client.post("/voice/prompts/job-fair/start/xx").status_code == 404


def test_the_upload_form_needs_its_csrf_token(app, client, make_user, login):
    login(make_user("coordinator", ["kg-osh"]))
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(PAGE).get_data(as_text=True)
    assert page.count('name="csrf_token"') >= 4
    refused = client.post(
        UPLOAD,
        data={"recording": (io.BytesIO(wav_bytes()), "a.wav")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    assert count_rows(Recording) == 0
