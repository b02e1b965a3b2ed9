"""A small voice topic made in code, for the call flow's tests until shipped menus exist.

`install(monkeypatch)` makes the flow's catalogue see it (and the common prompts) in place of
the shipped content; it speaks the seam's shapes (`outreach.content.menus`).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from outreach.content.menus import MenuAction, MenuKey, MenuNode, Prompt, VoiceMenu
from outreach.voice import catalog, prompts

TOPIC = "irregular-migration"
LANGUAGES = ("en", "ur", "ps", "ru", "tg", "ky", "uz", "fa-AF")
COMMON_NAMES = (
    "goodbye",
    "not_understood",
    "callback_requested",
    "opt_out_confirm",
    "opted_out",
    "opt_out_cancelled",
    "hotline_welcome",
    "hotline_topics",
    "language_choice",
    "hotline_closed",
)


def _prompts(topic: str, names) -> dict[str, Prompt]:
    texts = {
        name: {lang: f"[{lang}] {name.replace('_', ' ')} {{mrc_name}}" for lang in LANGUAGES}
        for name in names
    }
    for lang in LANGUAGES:
        texts.get("language_choice", {})[lang] = f"[{lang}] for {lang} press {{key}}"
    return {name: Prompt(topic, name, t) for name, t in texts.items()}


def _menu() -> VoiceMenu:
    def goto(key, target):
        return MenuKey(key, MenuAction.GOTO, target)

    nodes = {
        "start": MenuNode("start", "intro", {"1": goto("1", "risks"), "2": goto("2", "help")}),
        "risks": MenuNode("risks", "risks", {"1": goto("1", "smuggling")}),
        "smuggling": MenuNode("smuggling", "smuggling", {}),
        "help": MenuNode("help", "help", {}),
    }
    return VoiceMenu(start="start", nodes=nodes, voicemail="voicemail")


MENU = _menu()
TOPIC_PROMPTS = _prompts(TOPIC, ("intro", "risks", "smuggling", "help", "voicemail"))
COMMON_PROMPTS = _prompts("common", COMMON_NAMES)


def install(monkeypatch) -> None:
    """Let the call flow read this topic and these common prompts."""
    topic = SimpleNamespace(id=TOPIC, voice=MENU, prompts=TOPIC_PROMPTS, sensitive=False)
    other = SimpleNamespace(id="job-fair", voice=None, prompts={}, sensitive=False)
    topics = {TOPIC: topic, "job-fair": other}

    def get_topic(topic_id):
        if topic_id not in topics:
            raise catalog.UnknownTopic(topic_id)
        return topics[topic_id]

    monkeypatch.setattr(catalog, "get_topic", get_topic)
    monkeypatch.setattr(catalog, "load_topics", lambda: topics)
    common = SimpleNamespace(prompts=COMMON_PROMPTS, hotline_topics=[TOPIC, "job-fair"])
    monkeypatch.setattr(catalog, "load_common", lambda: common)
    # These made-up prompts have no recordings: every one is said, so tests read its text (the
    # shipped placeholders belong to the real prompts that share some of these names).
    monkeypatch.setattr(prompts, "SHIPPED_DIR", Path(__file__).parent / "no-shipped-audio")
