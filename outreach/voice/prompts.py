"""What a call plays for a prompt, and which prompts a campaign still lacks audio for.

The rule, per prompt and language: an uploaded recording if there is one; else, with the
Twilio provider, text-to-speech (`<Say language=…>`) where the language has a voice
(`VOICE_TTS_LANGUAGES`, default `en,ru`); else the shipped placeholder; else `<Say>` of the
text. A shipped file that is not a placeholder counts as an uploaded recording.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from outreach.content.menus import Prompt
from outreach.content.render import render_text
from outreach.languages import LANGUAGES
from outreach.voice.recordings import (
    SHIPPED_DIR,
    KnownRecordings,
    find_prompt,
    shipped_audio,
    uploaded_hash,
    uploaded_hashes,
)

DEFAULT_TTS_LANGUAGES = ("en", "ru")
UPLOADED = "uploaded"
PLACEHOLDER = "placeholder"


@dataclass(frozen=True)
class PromptAudio:
    """One prompt in one language as a call plays it."""

    topic: str
    prompt: str
    language: str
    text: str  # rendered text, for <Say> and for the simulator
    url: str | None  # app-relative path of a recording, e.g. "/audio/<sha256>.wav"
    recording: str | None  # "uploaded" | "placeholder" | None
    tts: bool  # the language has a text-to-speech voice (VOICE_TTS_LANGUAGES)


def tts_languages(config: Mapping) -> frozenset[str]:
    """The languages Twilio's text-to-speech speaks, from `VOICE_TTS_LANGUAGES`."""
    value = config.get("VOICE_TTS_LANGUAGES", DEFAULT_TTS_LANGUAGES)
    if isinstance(value, str):
        value = value.split(",")
    return frozenset(v.strip() for v in value if v and v.strip())


def _shipped_dir(config: Mapping) -> Path:
    return Path(config.get("AUDIO_SHIPPED_DIR") or SHIPPED_DIR)


def _choose(
    prompt: Prompt,
    language: str,
    uploaded: str | None,
    config: Mapping,
    fields: Mapping[str, str],
) -> PromptAudio:
    """Apply the rule to one prompt in one language (`uploaded`: its recording's hash)."""
    key = (prompt.topic, prompt.name, language)
    tts = language in tts_languages(config)
    text = render_text(prompt.text(language), fields)
    shipped = shipped_audio(_shipped_dir(config)).by_key.get(key)
    recording, url = None, None
    if uploaded is not None:
        recording, url = UPLOADED, f"/audio/{uploaded}.wav"
    elif shipped is not None and not shipped.placeholder:
        recording, url = UPLOADED, shipped.url
    elif tts and config.get("OUTREACH_PROVIDER") == "twilio":
        pass  # Twilio speaks it: better than a placeholder
    elif shipped is not None:
        recording, url = PLACEHOLDER, shipped.url
    return PromptAudio(prompt.topic, prompt.name, language, text, url, recording, tts)


def prompt_audio(
    session: Session,
    topic: str,
    prompt: str,
    language: str,
    *,
    config: Mapping,
    fields: Mapping[str, str],
    known: KnownRecordings | None = None,
) -> PromptAudio:
    """What a call plays for this prompt in this language (UnknownPrompt if there is none).

    A language the MRCs do not use is played in English, as texts are: a call never fails on it.
    `known`: uploads read already (a call's own), so the prompt's needs no query of its own.
    """
    if language not in LANGUAGES:
        language = "en"
    found = find_prompt(topic, prompt, language)
    uploaded = uploaded_hash(session, (topic, prompt, language), known)
    return _choose(found, language, uploaded, config, fields)


def prompts_audio(
    session: Session,
    prompts: Iterable[Prompt],
    languages: Iterable[str],
    *,
    config: Mapping,
    fields: Mapping[str, str],
) -> list[PromptAudio]:
    """`prompt_audio` for many prompts and languages with one query."""
    prompts, languages = list(prompts), list(languages)
    uploaded = uploaded_hashes(session, {p.topic for p in prompts})
    return [
        _choose(p, lang, uploaded.get((p.topic, p.name, lang)), config, fields)
        for p in prompts
        for lang in languages
    ]


def missing_prompts(
    session: Session,
    prompts: list[Prompt],
    languages: Iterable[str],
    *,
    provider: str,
    config: Mapping,
) -> list[dict]:
    """[{"language", "topic", "prompt"}], sorted: prompts a call could not play in a language.

    A prompt is playable with an uploaded recording or a text-to-speech voice; placeholders
    count only with the simulator provider.
    """
    uploaded = uploaded_hashes(session, {p.topic for p in prompts})
    shipped = shipped_audio(_shipped_dir(config)).by_key
    tts = tts_languages(config)
    missing = set()
    for prompt in prompts:
        for language in set(languages):
            key = (prompt.topic, prompt.name, language)
            file = shipped.get(key)
            if key in uploaded or language in tts or (file is not None and not file.placeholder):
                continue
            if provider == "simulator" and file is not None:
                continue
            missing.add((language, prompt.topic, prompt.name))
    return [{"language": lg, "topic": t, "prompt": p} for lg, t, p in sorted(missing)]
