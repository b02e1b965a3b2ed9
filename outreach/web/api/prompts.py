"""Voice prompts through the API: list what each plays, upload a recording (the body is audio)."""

from __future__ import annotations

from flask import current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from outreach.errors import ValidationFailed
from outreach.extensions import db
from outreach.models import utcnow
from outreach.permissions import Action
from outreach.voice.audio import MAX_BYTES
from outreach.voice.prompt_library import check_prompt, list_prompts, upload_prompt
from outreach.voice.prompts import PromptAudio
from outreach.web.api import registry
from outreach.web.api.schemas.prompts import PromptItem, PromptList, PromptQuery

AUDIO_TYPES = {
    "audio/wav",
    "audio/x-wav",
    "audio/wave",
    "audio/vnd.wave",
    "audio/mpeg",
    "audio/mp3",
}


def prompt_out(item: PromptAudio) -> PromptItem:
    """A prompt as the API shows it."""
    return PromptItem(
        topic=item.topic,
        prompt=item.prompt,
        language=item.language,
        text=item.text,
        recording=item.recording,
        tts=item.tts,
        url=item.url,
    )


@registry.route(
    "GET",
    "/prompts",
    query=PromptQuery,
    responses={200: PromptList},
    tag="prompts",
    action=Action.PROMPTS_MANAGE,
)
def get_prompts(query: PromptQuery):
    """Every voice prompt in every language, with what a call plays for it now."""
    items = list_prompts(db.session, query.topic, query.language, config=current_app.config)
    return PromptList(items=[prompt_out(i) for i in items]), 200


def _bad_audio(message: str) -> ValidationFailed:
    return ValidationFailed(message, {"body": message}, code="bad_audio")


def _audio_body() -> bytes:
    """The request body, if it is declared as audio and is at most 5 MB; else 422 bad_audio."""
    content_type = (request.mimetype or "").lower()
    if content_type not in AUDIO_TYPES:
        raise _bad_audio("Send the recording as the body, as audio/wav or audio/mpeg.")
    if request.content_length is not None and request.content_length > MAX_BYTES:
        size = request.content_length / 1048576
        raise _bad_audio(f"The file is {size:.1f} MB; the limit is 5 MB.")
    request.max_content_length = MAX_BYTES  # a body sent without a length stops here too
    try:
        return request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise _bad_audio("The file is larger than 5 MB.") from None


@registry.route(
    "PUT",
    "/prompts/<topic>/<prompt>/<language>",
    responses={200: PromptItem},
    tag="prompts",
    action=Action.PROMPTS_MANAGE,
    raw_body=("audio/wav", "audio/mpeg"),
)
def put_prompt(topic: str, prompt: str, language: str):
    """Upload the recording for one prompt in one language (WAV or MP3, ≤ 5 MB, ≤ 3 minutes)."""
    check_prompt(topic, prompt, language)  # an unknown prompt is 404 whatever the body
    item = upload_prompt(
        db.session,
        (topic, prompt, language),
        _audio_body(),
        user_id=g.api_user.id,
        now=utcnow(),
        config=current_app.config,
    )
    db.session.commit()
    return prompt_out(item), 200
