"""Every prompt in every language ships with a playable placeholder, small and marked as such."""

from __future__ import annotations

import tomllib

import miniaudio

from outreach.content import load_content
from outreach.languages import LANGUAGES
from outreach.voice.recordings import PLACEHOLDER_MANIFEST, SHIPPED_DIR, shipped_audio

# Where espeak-ng has no voice (Pashto, Tajik) the placeholder is a tone.
TONE_LANGUAGES = {"ps", "tg"}


def every_prompt_key():
    content = load_content()
    prompts = list(content.common.prompts.values())
    for topic in content.topics.values():
        prompts += topic.prompts.values()
    return [(p.topic, p.name, lang) for p in prompts for lang in LANGUAGES]


def test_every_prompt_in_every_language_has_a_shipped_placeholder():
    shipped = shipped_audio(SHIPPED_DIR).by_key
    keys = every_prompt_key()
    assert len(keys) == (10 + 3 * 4) * len(LANGUAGES)
    missing = [k for k in keys if k not in shipped]
    assert missing == [], "run: python -m tools.make_placeholder_audio"
    assert all(shipped[k].placeholder for k in keys)


def test_the_manifest_lists_only_files_that_exist_and_says_how_each_was_made():
    with (SHIPPED_DIR / PLACEHOLDER_MANIFEST).open("rb") as fh:
        entries = tomllib.load(fh)["placeholders"]
    for rel, entry in entries.items():
        assert (SHIPPED_DIR / rel).is_file(), rel
        language = rel.split("/")[0]
        expected = "tone" if language in TONE_LANGUAGES else "espeak-ng"
        assert entry["made_with"].startswith(expected), rel


def test_placeholders_are_8k_mono_and_play_for_a_sensible_time():
    for file in shipped_audio(SHIPPED_DIR).by_key.values():
        data = file.path.read_bytes()
        info = miniaudio.wav_get_info(data)
        assert (info.sample_rate, info.nchannels) == (8000, 1), file.path
        seconds = info.num_frames / info.sample_rate
        assert 0.3 < seconds < 45, (file.path, seconds)


def test_the_audio_folder_stays_small():
    total = sum(p.stat().st_size for p in SHIPPED_DIR.rglob("*") if p.is_file())
    assert total < 15 * 1024 * 1024, total
