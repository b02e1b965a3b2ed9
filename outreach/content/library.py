"""Campaign content as data: topics, reply options and common texts from `campaigns/*.toml`.

Every `<topic>.toml` holds one topic (its SMS text, reply options and their answers in every
language); `common.toml` holds what is the same for every topic: the HELP, opt-out, opt-in
and "not understood" answers and the opt-out / opt-in / help keywords. Files are read once
per process, validated as a whole, and turned into frozen dataclasses; a problem raises
`ContentError` naming the file and the node (`campaigns/job-fair.toml: sms.texts.ky: missing`).

How an inbound text is read, first match wins:
1. opt-out — the words of *every* language plus the English ones: missing a STOP is worse
   than anything else, whatever language we think the sender speaks;
2. opt-in — the English words and those of the contact's language;
3. help — likewise; `INFO` is a help keyword (as at Twilio), so a topic's "more information"
   option answers to `1` and words such as MORE / ПОДРОБНЕЕ instead;
4. the latest topic's reply options — the key (`1`, `١`, `۱`, `1.`) or a keyword of the
   contact's language or English;
5. otherwise unrecognised, kept for the coordinator.
The loader rejects any keyword that means two things (a topic keyword that is also a common
keyword, one word in two common lists), so the order above never has to break a tie.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

from outreach.content.loading import load_dir
from outreach.content.normalise import normalise_reply
from outreach.content.topics import (
    DEFAULT_DIR,
    CommonTexts,
    Content,
    ContentError,
    KeywordAction,
    OptionAction,
    ReplyOption,
    Topic,
    UnknownTopic,
)

__all__ = [
    "CommonTexts",
    "Content",
    "ContentError",
    "KeywordAction",
    "OptionAction",
    "ReplyOption",
    "Topic",
    "UnknownTopic",
    "clear_cache",
    "get_topic",
    "keyword_action",
    "load_common",
    "load_content",
    "load_topics",
    "match_reply_option",
]


@functools.cache
def _cached(directory: Path) -> Content:
    return load_dir(directory)


def load_content(path: Path | str | None = None) -> Content:
    """Topics and common texts from a directory (default `campaigns/`), read once per process."""
    return _cached(Path(path or DEFAULT_DIR).resolve())


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


def keyword_action(
    text: str, language: str | None, common: CommonTexts | None = None
) -> KeywordAction | None:
    """`opt_out`, `opt_in` or `help` when the text is one of those keywords, else None."""
    word = normalise_reply(text)
    if not word:
        return None
    common = common or load_common()
    for action in KeywordAction:  # declared in precedence order
        if word in common.words_for(action, language):
            return action
    return None


def match_reply_option(topic: Topic, text: str, language: str | None) -> ReplyOption | None:
    """The option a reply chooses: its key (any digits) or a keyword in this language or English."""
    word = normalise_reply(text)
    if not word:
        return None
    for option in topic.options:
        words = option.match_words.get(language or "", frozenset())
        if word == option.key.casefold() or word in words | option.match_words.get("en", set()):
            return option
    return None
