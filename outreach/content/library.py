"""Topic content as data: topics, reply options and common texts from `campaigns/*.toml`.

Every `<topic>.toml` holds one topic (its SMS text, reply options and their answers in every
language); `common.toml` holds what is the same for every topic: the HELP, opt-out, opt-in
and "not understood" answers and the opt-out / opt-in / help keywords. Files are read once
per process, validated as a whole, and turned into frozen dataclasses; a problem raises
`ContentError` naming the file and the node (`campaigns/job-fair.toml: sms.texts.ky: missing`).
How an inbound text is read against them is `outreach.content.keywords`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

from outreach.content.loading import load_dir
from outreach.content.topics import DEFAULT_DIR, CommonTexts, Content, Topic, UnknownTopic


@functools.cache
def _cached(directory: Path) -> Content:
    return load_dir(directory)


_DEFAULT = DEFAULT_DIR.resolve()  # resolved once: every inbound SMS reads the content


def load_content(path: Path | str | None = None) -> Content:
    """Topics and common texts from a directory (default `campaigns/`), read once per process."""
    return _cached(Path(path).resolve() if path else _DEFAULT)


def clear_cache() -> None:
    """Forget loaded content, so edited files are read again."""
    _cached.cache_clear()


def load_topics(path: Path | str | None = None) -> Mapping[str, Topic]:
    """Every topic by id."""
    return load_content(path).topics


def load_common(path: Path | str | None = None) -> CommonTexts:
    """The texts and keywords every topic shares."""
    return load_content(path).common


def get_topic(topic_id: str, path: Path | str | None = None) -> Topic:
    """One topic by id (UnknownTopic when there is none)."""
    try:
        return load_topics(path)[topic_id]
    except KeyError:
        raise UnknownTopic(topic_id) from None
