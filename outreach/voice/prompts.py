"""The audio for a prompt (the shapes as agreed between the voice parts).

Stand-in until recordings arrive with the prompts module: every prompt is its text, spoken by
`<Say>`; the recordings' module replaces this one whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from outreach.content import render_text
from outreach.voice.catalog import find_prompt


@dataclass(frozen=True)
class PromptAudio:
    topic: str
    prompt: str
    language: str
    text: str
    url: str | None
    recording: str | None
    tts: bool


def tts_languages(config: Mapping) -> frozenset[str]:
    """The languages with a text-to-speech voice."""
    raw = config.get("VOICE_TTS_LANGUAGES") or "en,ru"
    return frozenset(part.strip() for part in str(raw).split(",") if part.strip())


def prompt_audio(session, topic: str, prompt: str, language: str, *, config, fields):
    """What a call plays for a prompt in a language."""
    found = find_prompt(topic, prompt)
    text = found.texts.get(language) or found.texts.get("en") or ""
    return PromptAudio(
        topic=topic,
        prompt=prompt,
        language=language,
        text=render_text(text, dict(fields)),
        url=None,
        recording=None,
        tts=language in tts_languages(config),
    )
