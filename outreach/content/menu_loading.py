"""Reading and validating the `[voice]` sections: prompts, menu nodes and their keys.

A topic file's `[voice]` holds its menu:

    [voice]
    start = "start"                 # the first node
    voicemail = "voicemail"         # the prompt left on an answering machine
    [voice.prompts.start]           # a prompt: its text in every language
    en = "…"
    [voice.nodes.start]
    prompt = "start"
    keys = { "1" = "goto:details", "2" = "callback" }

A key does `goto:<node>`, `callback`, `opt_out`, `repeat` or `back`. Topic keys are `1`-`8`;
`9`, `0`, `*` and `#` do the same thing in every menu (FIXED_KEYS) and may not be redefined.
`common.toml`'s `[voice]` holds the prompts every call shares and the hotline's topic order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from outreach.content.checks import _check_keys, _Problems, _string, _table, _texts
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

# A recording can hold no campaign value, so prompts name only the MRC and its number.
PROMPT_FIELDS = frozenset({"mrc_name", "mrc_phone"})
# The prompts every call and the hotline may say; the loader requires each in common.toml.
COMMON_PROMPTS = (
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
# language_choice is said once per language of the region, each with the key that picks it.
EXTRA_FIELDS = {"language_choice": frozenset({"key"})}
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")  # node and prompt names: URL and file safe
VOICE_KEYS = {"start", "voicemail", "prompts", "nodes"}
NODE_KEYS = {"prompt", "keys"}
SIMPLE_ACTIONS = {a.value: a for a in MenuAction if a is not MenuAction.GOTO}

Prompts = Mapping[str, Prompt]


def load_prompts(table: dict, topic: str, node: str, problems: _Problems) -> Prompts:
    """Every `[<node>.<name>]` prompt table as a Prompt with a text in every language."""
    prompts: dict[str, Prompt] = {}
    for name, texts in table.items():
        where = f"{node}.{name}"
        if not NAME.match(name):
            problems.add(where, "a prompt name is lower-case letters, digits and _")
            continue
        if not isinstance(texts, dict):
            problems.add(where, "must be a table of texts by language")
            continue
        allowed = PROMPT_FIELDS | EXTRA_FIELDS.get(name, frozenset())
        prompts[name] = Prompt(topic, name, _texts(texts, where, allowed, problems))
    return MappingProxyType(prompts)


def load_common_voice(data: dict, problems: _Problems) -> tuple[Prompts, tuple[str, ...]]:
    """common.toml's `[voice]`: the shared prompts and the hotline's topic order."""
    voice = _table(data, "voice", "", problems)
    _check_keys(voice, "voice", {"prompts", "hotline_topics"}, problems)
    table = _table(voice, "prompts", "voice", problems)
    prompts = load_prompts(table, COMMON_TOPIC, "voice.prompts", problems)
    for name in COMMON_PROMPTS:
        if voice and name not in table:
            problems.add(f"voice.prompts.{name}", "missing")
    order = voice.get("hotline_topics", [])
    if not isinstance(order, list) or not all(isinstance(t, str) for t in order):
        problems.add("voice.hotline_topics", "must be a list of topic ids")
        order = []
    if len(order) > len(TOPIC_KEYS):
        problems.add("voice.hotline_topics", f"at most {len(TOPIC_KEYS)} topics (keys 1-8)")
    return prompts, tuple(order)


def load_menu(data: dict, topic: str, problems: _Problems) -> tuple[VoiceMenu | None, Prompts]:
    """A topic's `[voice]` section as its menu and prompts (None when it has no menu)."""
    voice = _table(data, "voice", "", problems, required=False)
    if not voice:
        return None, MappingProxyType({})
    _check_keys(voice, "voice", VOICE_KEYS, problems)
    prompts = load_prompts(
        _table(voice, "prompts", "voice", problems), topic, "voice.prompts", problems
    )
    nodes_table = _table(voice, "nodes", "voice", problems)
    nodes = {
        name: _node(name, spec, problems)
        for name, spec in nodes_table.items()
        if _node_name_ok(name, spec, problems)
    }
    start = _string(voice, "start", "voice", problems)
    voicemail = _string(voice, "voicemail", "voice", problems)
    if start and start not in nodes:
        problems.add("voice.start", f"{start!r} is not a node")
    if voicemail and voicemail not in prompts:
        problems.add("voice.voicemail", f"{voicemail!r} is not a prompt")
    _check_nodes(nodes, prompts, problems)
    if start in nodes:
        _check_reachable(start, nodes, problems)
    _check_prompts_used(prompts, nodes, voicemail, problems)
    menu = VoiceMenu(start=start, nodes=MappingProxyType(nodes), voicemail=voicemail)
    return menu, prompts


def _node_name_ok(name: str, spec: object, problems: _Problems) -> bool:
    """A usable node name (it appears in key-press URLs) whose value is a table."""
    if not NAME.match(name):
        problems.add(f"voice.nodes.{name}", "a node name is lower-case letters, digits and _")
        return False
    if not isinstance(spec, dict):
        problems.add(f"voice.nodes.{name}", "must be a table")
        return False
    return True


def _node(name: str, spec: dict, problems: _Problems) -> MenuNode:
    """One `[voice.nodes.<name>]` table."""
    where = f"voice.nodes.{name}"
    _check_keys(spec, where, NODE_KEYS, problems)
    keys_table = _table(spec, "keys", where, problems, required=False)
    keys = {}
    for key, value in keys_table.items():
        menu_key = _key(key, value, f"{where}.keys.{key}", problems)
        if menu_key is not None:
            keys[key] = menu_key
    return MenuNode(
        name=name,
        prompt=_string(spec, "prompt", where, problems),
        keys=MappingProxyType(dict(sorted(keys.items()))),
    )


def _key(key: str, value: object, where: str, problems: _Problems) -> MenuKey | None:
    """One key of a node: a topic key 1-8 and what it does."""
    if len(key) != 1 or key not in DTMF_KEYS:
        problems.add(where, f"{key!r} is not a DTMF key (0-9, * or #)")
        return None
    if key in FIXED_KEYS:
        problems.add(where, f"{key!r} is {FIXED_KEYS[key]} in every menu and may not be redefined")
        return None
    if not isinstance(value, str):
        problems.add(where, "must be goto:<node>, callback, opt_out, repeat or back")
        return None
    if value.startswith("goto:") and value[5:].strip():
        return MenuKey(key, MenuAction.GOTO, value[5:].strip())
    if value in SIMPLE_ACTIONS:
        return MenuKey(key, SIMPLE_ACTIONS[value], None)
    problems.add(where, f"{value!r} is not goto:<node>, callback, opt_out, repeat or back")
    return None


def _check_nodes(nodes: Mapping[str, MenuNode], prompts: Prompts, problems: _Problems) -> None:
    """Every node's prompt exists and every goto leads to a node."""
    for name, node in nodes.items():
        if node.prompt and node.prompt not in prompts:
            problems.add(f"voice.nodes.{name}.prompt", f"{node.prompt!r} is not a prompt")
        for key in node.keys.values():
            if key.action is MenuAction.GOTO and key.target not in nodes:
                problems.add(
                    f"voice.nodes.{name}.keys.{key.key}", f"target {key.target!r} is not a node"
                )


def _check_reachable(start: str, nodes: Mapping[str, MenuNode], problems: _Problems) -> None:
    """Every node can be reached from the start node by topic keys."""
    seen, todo = {start}, [start]
    while todo:
        for key in nodes[todo.pop()].keys.values():
            if key.action is MenuAction.GOTO and key.target in nodes and key.target not in seen:
                seen.add(key.target)
                todo.append(key.target)
    for name in nodes:
        if name not in seen:
            problems.add(f"voice.nodes.{name}", f"not reachable from the start node {start!r}")


def _check_prompts_used(prompts: Prompts, nodes, voicemail: str, problems: _Problems) -> None:
    """A prompt no node plays would still need a recording in every language: flag it."""
    used = {node.prompt for node in nodes.values()} | {voicemail}
    for name in prompts:
        if name not in used:
            problems.add(f"voice.prompts.{name}", "not played by any node or as voicemail")
