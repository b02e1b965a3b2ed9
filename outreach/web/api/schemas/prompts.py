"""Voice prompts in the API: what each plays now, and the query that filters them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from outreach.web.api.schemas.common import Input, Output, Text


class PromptQuery(Input):
    topic: Text(64, 1) | None = Field(
        default=None, description='A topic id, or "common" for the prompts every call shares.'
    )
    language: Text(8, 2) | None = Field(default=None, examples=["ur"])


class PromptItem(Output):
    topic: str = Field(examples=["hiv-testing"])
    prompt: str = Field(examples=["start"])
    language: str = Field(examples=["ps"])
    text: str = Field(
        description="The text as written; spoken by text-to-speech, and the transcript."
    )
    recording: Literal["uploaded", "placeholder"] | None = Field(
        description="The recording a call plays now, if it plays one."
    )
    tts: bool = Field(description="The language has a text-to-speech voice (VOICE_TTS_LANGUAGES).")
    url: str | None = Field(
        description="Where the recording is served (content-hashed, cached for a year).",
        examples=["/audio/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.wav"],
    )


class PromptList(Output):
    items: list[PromptItem]
