"""Recordings of voice prompts: shipped files under `audio/`, and uploads kept by the app.

Shipped files are `audio/<language>/<topic>/<prompt>.<wav|mp3>`; those listed in
`audio/placeholders.toml` are placeholders (made by `tools/make_placeholder_audio.py`), any
other is a real recording. An upload is converted (`outreach.voice.audio`) and kept as one
`Recording` row per (topic, prompt, language) — in the database, or under the `AUDIO_STORAGE`
folder when that is set. Every recording is served at `/audio/<sha256>.<ext>`: the hash of its
bytes, so a new recording gets a new URL and no cache ever plays a stale one.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from outreach.audit import record_audit
from outreach.content.menus import Prompt
from outreach.languages import LANGUAGES
from outreach.models import Recording
from outreach.voice import catalog
from outreach.voice.audio import WAV_TYPE, convert_upload

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "audio"
PLACEHOLDER_MANIFEST = "placeholders.toml"
CONTENT_TYPES = {"wav": WAV_TYPE, "mp3": "audio/mpeg"}
Key = tuple[str, str, str]  # (topic, prompt, language)


class UnknownPrompt(LookupError):
    """No prompt has this topic, name and language."""


@dataclass(frozen=True)
class ShippedFile:
    """One file under audio/: where it is, the hash it is served by, and what it is."""

    path: Path
    sha256: str
    ext: str
    placeholder: bool

    @property
    def url(self) -> str:
        """The app-relative URL it is served at."""
        return f"/audio/{self.sha256}.{self.ext}"


@dataclass(frozen=True)
class ShippedAudio:
    """Every shipped file, by prompt and by hash."""

    by_key: Mapping[Key, ShippedFile]
    by_hash: Mapping[str, ShippedFile]


@functools.cache
def shipped_audio(directory: Path = SHIPPED_DIR) -> ShippedAudio:
    """The shipped files of a directory, hashed once per process."""
    manifest_path = directory / PLACEHOLDER_MANIFEST
    placeholders: Mapping[str, object] = {}
    if manifest_path.exists():
        with manifest_path.open("rb") as fh:
            placeholders = tomllib.load(fh).get("placeholders", {})
    by_key: dict[Key, ShippedFile] = {}
    for path in sorted(directory.glob("*/*/*.*")):
        ext = path.suffix.lstrip(".")
        if ext not in CONTENT_TYPES:
            continue
        language, topic, prompt = path.parent.parent.name, path.parent.name, path.stem
        rel = f"{language}/{topic}/{path.name}"
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        by_key[(topic, prompt, language)] = ShippedFile(path, sha, ext, rel in placeholders)
    return ShippedAudio(by_key, {f.sha256: f for f in by_key.values()})


def find_prompt(topic: str, prompt: str, language: str) -> Prompt:
    """The prompt a (topic, prompt, language) names, or UnknownPrompt."""
    if language not in LANGUAGES:
        raise UnknownPrompt(f"{topic}/{prompt}/{language}")
    try:
        return catalog.find_prompt(topic, prompt)  # where the call flow reads prompts too
    except LookupError:
        raise UnknownPrompt(f"{topic}/{prompt}/{language}") from None


def uploaded_hashes(session: Session, topics: set[str]) -> dict[Key, str]:
    """The hash of every uploaded recording of these topics, by (topic, prompt, language)."""
    rows = session.execute(
        select(Recording.topic, Recording.prompt, Recording.language, Recording.sha256).where(
            Recording.topic.in_(sorted(topics))
        )
    )
    return {(topic, prompt, language): sha for topic, prompt, language, sha in rows}


@dataclass(frozen=True)
class KnownRecordings:
    """The uploads of some topics in one language, read already (a call's, with the call).

    `hashes` holds every upload of `topics` in `language` — so a prompt of those topics in that
    language with no entry has none, and no further query is needed to know it.
    """

    topics: frozenset[str]
    language: str | None
    hashes: Mapping[Key, str]

    def covers(self, topic: str, language: str) -> bool:
        return language == self.language and topic in self.topics


NOTHING_KNOWN = KnownRecordings(frozenset(), None, {})


def uploaded_hash(session: Session, key: Key, known: KnownRecordings | None = None) -> str | None:
    """The hash of one prompt's uploaded recording in one language, or None.

    From `known` when it covers the prompt's topic and language; else one SELECT, built once
    and run on the session's connection, as the key press itself is.
    """
    topic, prompt, language = key
    if known is not None and known.covers(topic, language):
        return known.hashes.get(key)
    params = {"topic": topic, "prompt": prompt, "language": language}
    return session.connection().execute(_UPLOADED_HASH, params).scalar_one_or_none()


_UPLOADED_HASH = select(Recording.sha256).where(
    Recording.topic == bindparam("topic"),
    Recording.prompt == bindparam("prompt"),
    Recording.language == bindparam("language"),
)


def store_recording(
    session: Session,
    key: Key,
    data: bytes,
    *,
    user_id: int | None,
    now: datetime,
    storage: str | None,
) -> Recording:
    """Check, convert and keep an upload for a prompt, replacing any older one; audited.

    Raises BadAudio for a file that is not a usable recording and UnknownPrompt for a key no
    prompt has. The row is written by one INSERT … ON CONFLICT UPDATE, so two uploads at once
    leave one row: the later.
    """
    find_prompt(*key)
    converted = convert_upload(data)
    sha = hashlib.sha256(converted.data).hexdigest()
    if storage:
        _write_file(Path(storage), f"{sha}.wav", converted.data)
    values = dict(
        topic=key[0],
        prompt=key[1],
        language=key[2],
        sha256=sha,
        content_type=WAV_TYPE,
        size=len(converted.data),
        duration_seconds=round(converted.duration, 3),
        data=None if storage else converted.data,
        uploaded_by_id=user_id,
        created_at=now,
    )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(Recording).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["topic", "prompt", "language"],
        set_={k: statement.excluded[k] for k in values if k not in ("topic", "prompt", "language")},
    )
    session.execute(statement)
    recording = session.scalars(
        select(Recording)
        .where(Recording.topic == key[0], Recording.prompt == key[1], Recording.language == key[2])
        .execution_options(populate_existing=True)
    ).one()
    record_audit(
        session, user_id, "prompt.upload", "recording", recording.id,
        topic=key[0], prompt=key[1], language=key[2], sha256=sha,
        size=len(converted.data), duration_seconds=values["duration_seconds"],
        uploaded_bytes=len(data),
    )  # fmt: skip
    return recording


def _write_file(folder: Path, name: str, data: bytes) -> None:
    """Write a content-addressed file atomically: a reader never sees half of it."""
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / name).exists():
        return  # the same bytes are already there: the name is their hash
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, folder / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def audio_bytes(
    session: Session, sha256: str, ext: str, *, storage: str | None, shipped_dir: Path
) -> tuple[bytes, str] | None:
    """The bytes and content type served at /audio/<sha256>.<ext>, or None."""
    if ext == "wav":
        row = session.execute(
            select(Recording.id, Recording.data).where(Recording.sha256 == sha256).limit(1)
        ).first()
        if row is not None:
            data = row.data
            if data is None and storage:
                path = Path(storage) / f"{sha256}.wav"
                data = path.read_bytes() if path.exists() else None
            if data is not None:
                return data, WAV_TYPE
    shipped = shipped_audio(shipped_dir).by_hash.get(sha256)
    if shipped is not None and shipped.ext == ext:
        return shipped.path.read_bytes(), CONTENT_TYPES[ext]
    return None
