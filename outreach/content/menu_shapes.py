"""The shapes a voice menu loads into: prompts, nodes, keys and the menu itself.

They live apart from `outreach.content.menus` (which re-exports them) so that `topics` can
hold a `VoiceMenu` without importing the library that loads topics.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

COMMON_TOPIC = "common"  # the topic id of the prompts every call shares


class MenuAction(enum.StrEnum):
    """What a key does in a voice menu."""

    GOTO = "goto"  # go to node `target`
    CALLBACK = "callback"  # ask for a call-back (the fixed key 9)
    OPT_OUT = "opt_out"  # ask to stop calls (fixed key 0; then 1 confirms)
    REPEAT = "repeat"  # replay the current node (fixed key *)
    BACK = "back"  # the node the caller came from (fixed key #); the start node replays


# The same keys do the same things in every menu, so callers learn them once.
FIXED_KEYS: Mapping[str, MenuAction] = {
    "9": MenuAction.CALLBACK,
    "0": MenuAction.OPT_OUT,
    "*": MenuAction.REPEAT,
    "#": MenuAction.BACK,
}
TOPIC_KEYS = "12345678"
DTMF_KEYS = "0123456789*#"


@dataclass(frozen=True)
class Prompt:
    """One thing said: its name and its text in every language of the topic."""

    topic: str  # the topic id, or "common" for the shared prompts
    name: str
    texts: Mapping[str, str]  # language → text (also the transcript)

    def text(self, language: str | None) -> str:
        """The text in this language (English when it is unknown)."""
        return self.texts.get(language or "en", self.texts["en"])


@dataclass(frozen=True)
class MenuKey:
    """A key a node accepts and what it does."""

    key: str
    action: MenuAction
    target: str | None  # node name for GOTO


@dataclass(frozen=True)
class MenuNode:
    """A point in a menu: the prompt it plays and the topic keys it accepts."""

    name: str
    prompt: str  # a prompt name of this topic
    keys: Mapping[str, MenuKey]  # topic keys "1"-"8" only; FIXED_KEYS apply everywhere

    def key(self, digit: str) -> MenuKey | None:
        """What a pressed key does here: the node's own key, a fixed key, or None."""
        if digit in self.keys:
            return self.keys[digit]
        action = FIXED_KEYS.get(digit)
        return MenuKey(digit, action, None) if action else None


@dataclass(frozen=True)
class VoiceMenu:
    """A topic's voice menu: named nodes from a start node, and its voicemail message."""

    start: str  # the first node's name
    nodes: Mapping[str, MenuNode]
    voicemail: str  # prompt name: the short message left on a machine
