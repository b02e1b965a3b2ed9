"""The voice prompts as coordinators manage them: every prompt in every language, and uploads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from outreach.content import UnknownTopic, get_topic, load_common, load_topics
from outreach.content.menus import COMMON_TOPIC, Prompt
from outreach.errors import NotFound, ValidationFailed
from outreach.languages import LANGUAGES
from outreach.voice.audio import BadAudio
from outreach.voice.prompts import PromptAudio, prompt_audio, prompts_audio
from outreach.voice.recordings import UnknownPrompt, find_prompt, store_recording

# The list shows each text as written, placeholders and all: it is the same for every MRC.
AS_WRITTEN = {name: "{" + name + "}" for name in ("mrc_name", "mrc_phone", "key")}


def all_prompts(topic: str | None = None) -> list[Prompt]:
    """The common prompts then each topic's, or only one topic's (NotFound if unknown)."""
    if topic == COMMON_TOPIC:
        return list(load_common().prompts.values())
    if topic is not None:
        try:
            return list(get_topic(topic).prompts.values())
        except UnknownTopic:
            raise NotFound(f"no topic {topic!r}") from None
    prompts = list(load_common().prompts.values())
    for each in load_topics().values():
        prompts += each.prompts.values()
    return prompts


def list_prompts(
    session: Session, topic: str | None, language: str | None, *, config: Mapping
) -> list[PromptAudio]:
    """Every prompt (of a topic, in a language) with what a call plays for it now."""
    if language is not None and language not in LANGUAGES:
        raise ValidationFailed("unknown language", {"language": f"one of: {', '.join(LANGUAGES)}"})
    languages = [language] if language else list(LANGUAGES)
    return prompts_audio(session, all_prompts(topic), languages, config=config, fields=AS_WRITTEN)


def check_prompt(topic: str, prompt: str, language: str) -> Prompt:
    """The prompt a URL names, or NotFound."""
    try:
        return find_prompt(topic, prompt, language)
    except UnknownPrompt:
        raise NotFound(f"no prompt {prompt!r} of {topic!r} in {language!r}") from None


def upload_prompt(
    session: Session,
    key: tuple[str, str, str],
    data: bytes,
    *,
    user_id: int | None,
    now: datetime,
    config: Mapping,
) -> PromptAudio:
    """Keep an uploaded recording for a prompt; NotFound for an unknown prompt, 422 bad_audio."""
    try:
        store_recording(
            session, key, data, user_id=user_id, now=now, storage=config.get("AUDIO_STORAGE")
        )
    except UnknownPrompt:
        raise NotFound(f"no prompt {key[1]!r} of {key[0]!r} in {key[2]!r}") from None
    except BadAudio as exc:
        raise ValidationFailed(str(exc), {"body": str(exc)}, code="bad_audio") from None
    session.flush()
    return prompt_audio(session, *key, config=config, fields=AS_WRITTEN)
