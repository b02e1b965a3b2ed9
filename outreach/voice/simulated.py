"""What the phone simulator needs from the voice calls: the calls ringing at a phone, where
their TwiML and status callbacks go, and what a recording the TwiML plays says.

The simulator reads the app's TwiML as Twilio does; a `<Play>` carries only a URL, so the text
shown beside the player is looked up here by the recording's hash (a tone placeholder may stand
for several prompts of a language: then each of them is named).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.content.render import render_text
from outreach.languages import LANGUAGES, language_key
from outreach.models import Call, CallStatus, Campaign, Recording
from outreach.voice import catalog
from outreach.voice.calls import OUTBOUND
from outreach.voice.dialer import call_urls
from outreach.voice.recordings import SHIPPED_DIR, Key, shipped_audio

RINGING = (CallStatus.INITIATED, CallStatus.RINGING)
AUDIO_URL = re.compile(r"/audio/([0-9a-f]{64})\.(?:wav|mp3)$")


@dataclass(frozen=True)
class RingingCall:
    """An outbound call placed with the simulator, ringing at a phone."""

    call: Call
    campaign_name: str | None
    url: str  # its TwiML
    status_callback: str
    amd_callback: str | None  # when the campaign asked who answers


def ringing_calls(session: Session, phone: str, config: Mapping) -> list[RingingCall]:
    """The outbound calls ringing at `phone` now, oldest first."""
    rows = session.execute(
        select(Call, Campaign)
        .outerjoin(Campaign, Campaign.id == Call.campaign_id)
        .where(
            Call.to_phone == phone,
            Call.direction == OUTBOUND,
            Call.status.in_(RINGING),
            Call.provider_sid.is_not(None),
        )
        .order_by(Call.id)
    ).all()
    return [ringing_call(call, campaign, config) for call, campaign in rows]


def ringing_call(call: Call, campaign: Campaign | None, config: Mapping) -> RingingCall:
    """Where this call's TwiML and status callbacks go: the URLs the dialer gave the provider."""
    machine = campaign.machine if campaign is not None else None
    url, status_callback, amd = call_urls(config, call.id, call.attempts, machine)
    return RingingCall(call, campaign.name if campaign else None, url, status_callback, amd)


@dataclass(frozen=True)
class Transcript:
    """What a played recording says: one text, or the prompts a shared file stands for."""

    texts: tuple[str, ...]
    placeholder: bool


def transcript(
    session: Session, url: str, language: str | None, fields: Mapping[str, str], config: Mapping
) -> Transcript | None:
    """The text of the recording at `url` (an `/audio/<sha256>.<ext>` URL), or None."""
    found = AUDIO_URL.search(url)
    if found is None:
        return None
    sha = found.group(1)
    uploaded = _uploaded(session, sha)
    keys = uploaded or list(_shipped_by_hash(_shipped_dir(config)).get(sha, ()))
    if language and any(k[2] == language for k in keys):
        keys = [k for k in keys if k[2] == language]
    texts = tuple(dict.fromkeys(t for t in (_text(k, fields) for k in keys) if t))
    if not texts:
        return None
    placeholder = not uploaded and _is_placeholder(sha, config)
    return Transcript(texts, placeholder)


def _uploaded(session: Session, sha: str) -> list[Key]:
    rows = session.execute(
        select(Recording.topic, Recording.prompt, Recording.language).where(Recording.sha256 == sha)
    ).all()
    return [(r.topic, r.prompt, r.language) for r in rows]


def _text(key: Key, fields: Mapping[str, str]) -> str | None:
    topic, prompt, language = key
    try:
        template = catalog.find_prompt(topic, prompt).text(language)
    except LookupError:
        return None
    # A language's key on the hotline is the same at every MRC, so its recording can say it.
    key = language_key(language) if language in LANGUAGES else ""
    return render_text(template, {"key": key, **fields})


def _shipped_dir(config: Mapping) -> Path:
    return Path(config.get("AUDIO_SHIPPED_DIR") or SHIPPED_DIR)


@functools.cache
def _shipped_by_hash(directory: Path) -> Mapping[str, tuple[Key, ...]]:
    """Every prompt a shipped file records, by the file's hash (tones may be shared)."""
    found: dict[str, list[Key]] = defaultdict(list)
    for key, shipped in shipped_audio(directory).by_key.items():
        found[shipped.sha256].append(key)
    return {sha: tuple(keys) for sha, keys in found.items()}


def _is_placeholder(sha: str, config: Mapping) -> bool:
    shipped = shipped_audio(_shipped_dir(config)).by_hash.get(sha)
    return shipped is not None and shipped.placeholder
