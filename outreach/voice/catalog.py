"""Where the call flow finds menus and prompts: the topics' voice menus and the common prompts.

The one place the flow reads content, so a menu is always looked up the same way; the hotline's
own small menu (the list of topics) is built here from the topics that have a voice menu.
"""

from __future__ import annotations

from outreach.content import get_topic, load_common, load_topics
from outreach.content.menus import MenuAction, MenuKey, MenuNode, Prompt, VoiceMenu
from outreach.content.topics import UnknownTopic

COMMON = "common"
HOTLINE_NODE = "hotline"
TOPIC_TARGET = "topic:"  # a hotline key's target: the topic whose menu it opens


class NoMenu(LookupError):
    """The topic has no voice menu (or no such topic)."""


def topic_menu(topic_id: str) -> VoiceMenu:
    """The voice menu of a topic."""
    try:
        menu = get_topic(topic_id).voice
    except UnknownTopic:
        menu = None
    if menu is None:
        raise NoMenu(topic_id)
    return menu


def is_sensitive(topic_id: str) -> bool:
    """Whether the topic is one a person must choose to hear about (HIV testing)."""
    try:
        return bool(get_topic(topic_id).sensitive)
    except UnknownTopic:
        return False


def voice_topics() -> list[str]:
    """The topics the hotline offers, in the order its `hotline_topics` prompt names them."""
    topics = load_topics()
    return [t for t in load_common().hotline_topics if t in topics and topics[t].voice]


def hotline_menu() -> VoiceMenu:
    """The hotline's first menu: key 1..n opens the n-th topic's menu."""
    keys = {
        str(n): MenuKey(str(n), MenuAction.GOTO, TOPIC_TARGET + topic_id)
        for n, topic_id in enumerate(voice_topics()[:8], start=1)
    }
    node = MenuNode(name=HOTLINE_NODE, prompt="hotline_topics", keys=keys)
    return VoiceMenu(start=HOTLINE_NODE, nodes={HOTLINE_NODE: node}, voicemail="goodbye")


def find_prompt(topic: str, name: str) -> Prompt:
    """A prompt of a topic, or of the common prompts (`topic == "common"`)."""
    prompts = load_common().prompts if topic == COMMON else get_topic(topic).prompts
    try:
        return prompts[name]
    except KeyError:
        raise LookupError(f"no prompt {name!r} in {topic!r}") from None
