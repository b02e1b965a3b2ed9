"""The shapes campaign content loads into: frozen topics, reply options and common texts."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from outreach.content.menu_shapes import Prompt, VoiceMenu
from outreach.content.render import BASE_FIELDS

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "campaigns"
COMMON_FILE = "common.toml"
ALL_LANGUAGES = "all"  # keyword lists under this key count in every language


class ContentError(ValueError):
    """Campaign content that does not load; `problems` lists every `file: node: what`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class UnknownTopic(LookupError):
    """No topic has this id."""


class KeywordAction(enum.StrEnum):
    """What a common keyword asks for, in precedence order."""

    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


class OptionAction(enum.StrEnum):
    """What choosing a topic's reply option does."""

    INFO = "info"
    CALLBACK = "callback"


Texts = Mapping[str, str]  # language code → text
Keywords = Mapping[str, tuple[str, ...]]  # language code (or "all") → words
Prompts = Mapping[str, Prompt]  # prompt name → prompt

_NO_PROMPTS: Prompts = MappingProxyType({})


@dataclass(frozen=True)
class ReplyOption:
    """A reply a topic understands: its key, what it does, its words and its answer."""

    key: str
    action: OptionAction
    keywords: Keywords
    replies: Texts
    match_words: Mapping[str, frozenset[str]]  # language → normalised keywords

    def reply(self, language: str | None) -> str:
        """The answer sent back in this language (English when it is unknown)."""
        return self.replies.get(language or "en", self.replies["en"])


@dataclass(frozen=True)
class Topic:
    """One campaign topic: its texts per language and the replies it understands."""

    id: str
    title: str
    description: str
    fields: tuple[str, ...]
    texts: Texts
    options: tuple[ReplyOption, ...]
    review: Texts  # language → why a native speaker should check it
    source: str
    # A sensitive topic's first SMS and first spoken sentence never name it (see the loader).
    sensitive: bool = False
    sensitive_words: tuple[str, ...] = ()
    voice: VoiceMenu | None = None
    prompts: Prompts = field(default_factory=lambda: _NO_PROMPTS)

    @property
    def placeholders(self) -> frozenset[str]:
        """The placeholders its texts may use."""
        return BASE_FIELDS | frozenset(self.fields)

    def text(self, language: str | None) -> str:
        """The SMS text in this language (English when it is unknown)."""
        return self.texts.get(language or "en", self.texts["en"])

    def option_for(self, action: OptionAction) -> ReplyOption | None:
        """The option that performs this action, if the topic has one."""
        return next((o for o in self.options if o.action == action), None)


@dataclass(frozen=True)
class CommonTexts:
    """The answers and keywords every topic shares."""

    help: Texts
    opted_out: Texts
    opted_in: Texts
    unknown: Texts
    callback_requested: Texts  # the one acknowledgement of a new call-back request
    callback_unreachable: Texts  # after the last failed call: how to reach the MRC
    keywords: Mapping[KeywordAction, Keywords]
    review: Texts
    match_words: Mapping[KeywordAction, Mapping[str, frozenset[str]]]
    prompts: Prompts = field(
        default_factory=lambda: _NO_PROMPTS
    )  # topic "common": what every call may say
    hotline_topics: tuple[str, ...] = ()  # the hotline's topic keys 1, 2, … in this order

    def words_for(self, action: KeywordAction, language: str | None) -> frozenset[str]:
        """The normalised words that trigger an action for a contact of this language."""
        table = self.match_words[action]
        if action is KeywordAction.OPT_OUT:
            return frozenset().union(*table.values())
        return table.get(ALL_LANGUAGES, frozenset()) | table.get(language or "", frozenset())


@dataclass(frozen=True)
class Content:
    """Everything loaded from one campaigns directory."""

    topics: Mapping[str, Topic]
    common: CommonTexts
