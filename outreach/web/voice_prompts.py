"""The "Voice prompts" page: each prompt's text, what a call plays now, a player and an upload."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from outreach.content import load_topics
from outreach.content.menus import COMMON_TOPIC
from outreach.errors import NotFound, ValidationFailed
from outreach.extensions import db
from outreach.languages import LANGUAGES
from outreach.models import utcnow
from outreach.permissions import Action
from outreach.voice.audio import MAX_BYTES
from outreach.voice.prompt_library import check_prompt, list_prompts, upload_prompt
from outreach.web.guard import requires

bp = Blueprint("voice_prompts", __name__, template_folder="templates")


class UploadForm(FlaskForm):
    recording = FileField("Recording (WAV or MP3, at most 5 MB and 3 minutes)")


def _choices() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The topics (common prompts first) and the languages to choose from."""
    topics = [(COMMON_TOPIC, "Every call and the hotline")]
    topics += [(t.id, t.title) for t in load_topics().values()]
    languages = [(code, f"{english} · {native}") for code, (english, native) in LANGUAGES.items()]
    return topics, languages


def _page(topic: str, language: str, form: UploadForm, error: tuple[str, str] | None = None):
    """The page for one topic and language; `error` is (prompt, message) for a failed upload."""
    topics, languages = _choices()
    items = list_prompts(db.session, topic, language, config=current_app.config)
    return render_template(
        "voice_prompts/index.html",
        items=items,
        topic=topic,
        language=language,
        topics=topics,
        languages=languages,
        form=form,
        error=error,
        provider=current_app.config.get("OUTREACH_PROVIDER"),
    )


def _selected() -> tuple[str, str]:
    """The topic and language asked for, or the first of each; 404 for unknown ones."""
    topics, languages = _choices()
    topic = request.args.get("topic") or topics[0][0]
    language = request.args.get("language") or languages[0][0]
    if topic not in dict(topics) or language not in LANGUAGES:
        raise NotFound("no such topic or language")
    return topic, language


def _read_upload(file) -> bytes:
    """At most one byte over the limit of an uploaded file, and the file closed (it may be a
    temporary file on disk)."""
    if not file:
        return b""
    try:
        return file.read(MAX_BYTES + 1)
    finally:
        file.close()


@bp.get("/voice/prompts")
@requires(Action.PROMPTS_MANAGE)
def index():
    """Every prompt of a topic in a language, with what plays now and an upload form."""
    return _page(*_selected(), UploadForm())


@bp.post("/voice/prompts/<topic>/<prompt>/<language>")
@requires(Action.PROMPTS_MANAGE)
def upload(topic: str, prompt: str, language: str):
    """Keep an uploaded recording for one prompt, then show the page again."""
    check_prompt(topic, prompt, language)
    form = UploadForm()
    if not form.validate_on_submit():
        return _page(topic, language, form, (prompt, "The form expired: please try again.")), 400
    file = form.recording.data
    data = _read_upload(file)
    if len(data) > MAX_BYTES:
        return _page(topic, language, form, (prompt, "The file is over 5 MB, the limit.")), 422
    try:
        upload_prompt(
            db.session,
            (topic, prompt, language),
            data,
            user_id=current_user.id,
            now=utcnow(),
            config=current_app.config,
        )
    except ValidationFailed as exc:
        db.session.rollback()
        message = exc.message if data else "Choose a WAV or MP3 file to upload."
        return _page(topic, language, form, (prompt, message)), 422
    db.session.commit()
    flash(
        f"Recording for “{prompt}” in {LANGUAGES[language][0]} saved: calls play it now.", "success"
    )
    return redirect(url_for("voice_prompts.index", topic=topic, language=language) + f"#{prompt}")
