"""Voice menus as data (the shapes only, as agreed between the voice parts).

Stand-in until the menus' loader arrives with the content: the call flow is written against
these names, and the loader's module replaces this one whole.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass


class MenuAction(enum.StrEnum):
    """What a key does in a menu."""

    GOTO = "goto"  # go to node `target`
    CALLBACK = "callback"  # ask for a call-back (the fixed key 9)
    OPT_OUT = "opt_out"  # ask to stop calls (fixed key 0; then 1 confirms)
    REPEAT = "repeat"  # replay the current node (fixed key *)
    BACK = "back"  # the node the caller came from (fixed key #); the start node replays


FIXED_KEYS = {
    "9": MenuAction.CALLBACK,
    "0": MenuAction.OPT_OUT,
    "*": MenuAction.REPEAT,
    "#": MenuAction.BACK,
}
TOPIC_KEYS = "12345678"


@dataclass(frozen=True)
class Prompt:
    """One thing said: its name and its text in every language of the topic."""

    topic: str
    name: str
    texts: Mapping[str, str]


@dataclass(frozen=True)
class MenuKey:
    key: str
    action: MenuAction
    target: str | None


@dataclass(frozen=True)
class MenuNode:
    name: str
    prompt: str
    keys: Mapping[str, MenuKey]


@dataclass(frozen=True)
class VoiceMenu:
    start: str
    nodes: Mapping[str, MenuNode]
    voicemail: str
