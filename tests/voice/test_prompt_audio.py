"""What a call plays for a prompt, and what a voice campaign still lacks before it may launch."""

from __future__ import annotations

import pytest
from audio_samples import upload, wav_bytes
from sqlalchemy import select
from support import count_rows

from outreach.content.menus import prompts_used
from outreach.extensions import db
from outreach.models import AuditEvent, Recording, utcnow
from outreach.voice.audio import BadAudio
from outreach.voice.prompts import missing_prompts, prompt_audio, tts_languages
from outreach.voice.recordings import UnknownPrompt, shipped_audio, store_recording

VALUES = {"mrc_name": "MRC Osh", "mrc_phone": "+996 3222 12345"}


def config(app, provider="simulator", **extra):
    return {**app.config, "OUTREACH_PROVIDER": provider, **extra}


def test_tts_languages_default_to_english_and_russian(app):
    assert app.config["VOICE_TTS_LANGUAGES"] == ("en", "ru")
    assert tts_languages({}) == {"en", "ru"}
    assert tts_languages({"VOICE_TTS_LANGUAGES": " en, ru ,uz"}) == {"en", "ru", "uz"}


def test_the_simulator_plays_the_placeholder_and_shows_the_rendered_text(app):
    audio = prompt_audio(
        db.session, "hiv-testing", "start", "ru", config=config(app), fields=VALUES
    )
    shipped = shipped_audio().by_key[("hiv-testing", "start", "ru")]
    assert (audio.recording, audio.url, audio.tts) == ("placeholder", shipped.url, True)
    assert audio.text.startswith("Здравствуйте, это MRC Osh: ")


def test_a_language_the_mrcs_do_not_use_plays_english(app):
    audio = prompt_audio(db.session, "common", "goodbye", "de", config=config(app), fields=VALUES)
    assert (audio.language, audio.text) == ("en", "Thank you for listening. Goodbye.")
    assert audio.recording == "placeholder"


def test_twilio_speaks_a_tts_language_rather_than_play_a_placeholder(app):
    ru = prompt_audio(
        db.session, "common", "goodbye", "ru", config=config(app, "twilio"), fields=VALUES
    )
    assert (ru.recording, ru.url, ru.tts) == (None, None, True)
    ur = prompt_audio(
        db.session, "common", "goodbye", "ur", config=config(app, "twilio"), fields=VALUES
    )
    assert (ur.recording, ur.tts) == ("placeholder", False)


def test_an_upload_wins_over_everything_and_a_newer_one_replaces_it(app):
    key = ("job-fair", "start", "ps")
    first = upload(key, 1.0)
    second = upload(key, 2.0)
    assert first.id == second.id and second.duration_seconds == pytest.approx(2.0)
    rows = db.session.scalars(select(Recording)).all()
    assert [(r.topic, r.prompt, r.language) for r in rows] == [key]
    for provider in ("simulator", "twilio"):
        audio = prompt_audio(db.session, *key, config=config(app, provider), fields=VALUES)
        assert (audio.recording, audio.url) == ("uploaded", f"/audio/{second.sha256}.wav")
    audits = (
        db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "prompt.upload").order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )
    assert len(audits) == 2 and audits[-1].details["sha256"] == second.sha256


def test_storage_folder_keeps_the_bytes_on_disk_not_in_the_database(app, tmp_path):
    recording = upload(("common", "goodbye", "tg"), storage=str(tmp_path))
    stored = tmp_path / f"{recording.sha256}.wav"
    assert stored.is_file() and stored.stat().st_size == recording.size
    assert db.session.scalar(select(Recording.data)) is None


def test_unknown_prompts_and_bad_audio_store_nothing(app):
    for key in [("job-fair", "nope", "en"), ("nope", "start", "en"), ("job-fair", "start", "de")]:
        with pytest.raises(UnknownPrompt):
            store_recording(db.session, key, wav_bytes(), user_id=None, now=utcnow(), storage=None)
    with pytest.raises(BadAudio):
        store_recording(
            db.session,
            ("job-fair", "start", "en"),
            b"text",
            user_id=None,
            now=utcnow(),
            storage=None,
        )
    assert count_rows(Recording) == 0


def test_with_twilio_placeholders_do_not_count_and_tts_languages_need_nothing(app):
    prompts = prompts_used("hiv-testing")
    missing = missing_prompts(
        db.session, prompts, ["ru", "ky"], provider="twilio", config=app.config
    )
    assert {m["language"] for m in missing} == {"ky"}
    assert len(missing) == len(prompts)
    assert missing == sorted(missing, key=lambda m: (m["language"], m["topic"], m["prompt"]))
    assert missing[0] == {"language": "ky", "topic": "common", "prompt": "callback_requested"}


def test_uploads_fill_the_gaps_one_by_one(app):
    prompts = prompts_used("job-fair")
    before = missing_prompts(db.session, prompts, ["uz"], provider="twilio", config=app.config)
    upload(("job-fair", "voicemail", "uz"))
    upload(("common", "goodbye", "uz"))
    after = missing_prompts(db.session, prompts, ["uz"], provider="twilio", config=app.config)
    assert [m for m in before if m not in after] == [
        {"language": "uz", "topic": "common", "prompt": "goodbye"},
        {"language": "uz", "topic": "job-fair", "prompt": "voicemail"},
    ]


def test_with_the_simulator_placeholders_count(app):
    prompts = prompts_used("irregular-migration")
    langs = ["en", "ur", "ps", "fa-AF", "tg", "ru", "ky", "uz"]
    assert (
        missing_prompts(db.session, prompts, langs, provider="simulator", config=app.config) == []
    )
    # … but a prompt with no file at all is still missing for a language without a voice
    empty = {**app.config, "AUDIO_SHIPPED_DIR": str(app.instance_path)}
    missing = missing_prompts(
        db.session, prompts[:1], ["ps", "en"], provider="simulator", config=empty
    )
    assert missing == [{"language": "ps", "topic": "irregular-migration", "prompt": "start"}]
