"""Voice menus as data: the shapes, and which prompts a call or the hotline may play.

Each topic file's `[voice]` section is its menu (see `outreach.content.menu_loading` for the
format and the rules the loader checks); `common.toml`'s `[voice]` holds the prompts every call
shares. The keys `9` (call-back), `0` (stop calls, then `1` confirms), `*` (repeat) and `#`
(back) do the same thing in every menu; topic options use `1`-`8`.
"""

from __future__ import annotations

from pathlib import Path

from outreach.content.library import get_topic, load_common, load_topics
from outreach.content.menu_loading import COMMON_PROMPTS
from outreach.content.menu_shapes import (
    COMMON_TOPIC,
    DTMF_KEYS,
    FIXED_KEYS,
    TOPIC_KEYS,
    MenuAction,
    MenuKey,
    MenuNode,
    Prompt,
    VoiceMenu,
)
from outreach.content.topics import CommonTexts, Topic

# The common prompts any call can reach: a wrong key, the fixed keys 9 and 0, the end.
CALL_PROMPTS = (
    "not_understood",
    "callback_requested",
    "opt_out_confirm",
    "opted_out",
    "opt_out_cancelled",
    "goodbye",
)
# What only the hotline says, before a caller reaches a topic's menu.
HOTLINE_ONLY_PROMPTS = ("hotline_welcome", "language_choice", "hotline_topics", "hotline_closed")

__all__ = [
    "CALL_PROMPTS",
    "COMMON_PROMPTS",
    "COMMON_TOPIC",
    "DTMF_KEYS",
    "FIXED_KEYS",
    "HOTLINE_ONLY_PROMPTS",
    "TOPIC_KEYS",
    "MenuAction",
    "MenuKey",
    "MenuNode",
    "Prompt",
    "VoiceMenu",
    "hotline_prompts",
    "menu_prompts",
    "prompts_used",
]


def menu_prompts(topic: Topic) -> list[Prompt]:
    """The prompts the topic's menu nodes play, in the order a caller meets them."""
    if topic.voice is None:
        return []
    menu, order, todo = topic.voice, [], [topic.voice.start]
    seen = {menu.start}
    while todo:
        node = menu.nodes[todo.pop(0)]
        order.append(node.prompt)
        for key in node.keys.values():
            if key.action is MenuAction.GOTO and key.target not in seen:
                seen.add(key.target)
                todo.append(key.target)
    return [topic.prompts[name] for name in dict.fromkeys(order)]


def prompts_used(
    topic: Topic | str, common: CommonTexts | None = None, path: Path | str | None = None
) -> list[Prompt]:
    """Every prompt an outbound call of this topic may play ([] for a topic without a menu).

    The menu's prompts, its voicemail message, then the common prompts a call can reach.
    """
    if isinstance(topic, str):
        topic = get_topic(topic, path)
    if topic.voice is None:
        return []
    common = common or load_common(path)
    own = menu_prompts(topic)
    voicemail = topic.prompts[topic.voice.voicemail]
    if voicemail not in own:
        own.append(voicemail)
    return own + [common.prompts[name] for name in CALL_PROMPTS]


def hotline_prompts(path: Path | str | None = None) -> list[Prompt]:
    """Every prompt the hotline may play: its own, the common call prompts and its topics' menus."""
    common = load_common(path)
    topics = load_topics(path)
    prompts = [common.prompts[name] for name in HOTLINE_ONLY_PROMPTS + CALL_PROMPTS]
    for topic_id in common.hotline_topics:
        prompts += menu_prompts(topics[topic_id])
    return prompts
