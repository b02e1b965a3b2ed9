"""The call flow: what a key pressed at a menu node does, and what the caller hears next.

Pure reading, no database: `enter` a node, `read_key` at a node, `read_confirmation` after `0`.
Each returns a `Step` — the prompts said, the node whose keys are gathered next (None: hang
up), how many replays that node has had, the act the key asks for, and how the key press is
recorded. The same keys do the same things in every menu (`FIXED_KEYS`): `9` call-back, `0`
stop calls (then `1` confirms; anything else, or silence, cancels), `*` repeat, `#` back. A key
the node does not take, or silence, replays the node's prompt after `not_understood` up to
`MAX_REPLAYS` times, then `goodbye` and the end of the call.
"""

from __future__ import annotations

from dataclasses import dataclass

from outreach.content.menus import FIXED_KEYS, MenuAction, VoiceMenu
from outreach.models import ResponseKind

MAX_REPLAYS = 2
CONFIRM_OPT_OUT = "1"


@dataclass(frozen=True)
class Said:
    """One prompt said: a prompt name of `topic` (or of the common prompts, "common")."""

    topic: str
    prompt: str


@dataclass(frozen=True)
class Step:
    """What follows a key press (or the call's start)."""

    said: tuple[Said, ...]
    gather: str | None  # the node whose keys come next; None hangs up
    tries: int = 0  # replays of `gather` so far
    confirming: bool = False  # the next key answers "stop all calls?"
    act: MenuAction | None = None  # CALLBACK or OPT_OUT: what the service does
    kind: ResponseKind | None = None  # how the key press is recorded; None: not at all
    goto: str | None = None  # a GOTO target that is no node of this menu (the hotline's topics)


def common(prompt: str) -> Said:
    return Said("common", prompt)


def enter(menu: VoiceMenu, topic: str, node: str, *, first: tuple[Said, ...] = ()) -> Step:
    """Say a node's prompt (after `first`) and wait for its keys."""
    return Step(said=(*first, Said(topic, menu.nodes[node].prompt)), gather=node)


def read_key(menu: VoiceMenu, topic: str, node: str, digits: str, tries: int) -> Step:
    """What `digits` pressed at `node` does; empty `digits` is silence."""
    key = (digits or "")[:1]
    menu_key = menu.nodes[node].keys.get(key)
    action = FIXED_KEYS.get(key) if menu_key is None else menu_key.action
    if action is None:
        return _not_understood(menu, topic, node, tries, key)
    kinds = {MenuAction.CALLBACK: ResponseKind.CALLBACK}
    kind = kinds.get(action, ResponseKind.ANSWER)
    if action == MenuAction.GOTO:
        target = menu_key.target
        if target not in menu.nodes:
            return Step(said=(), gather=None, kind=kind, goto=target)
        return _with(enter(menu, topic, target), kind=kind)
    if action == MenuAction.CALLBACK:
        step = enter(menu, topic, node, first=(common("callback_requested"),))
        return _with(step, kind=kind, act=MenuAction.CALLBACK)
    if action == MenuAction.OPT_OUT:
        return Step(said=(common("opt_out_confirm"),), gather=node, confirming=True, kind=kind)
    if action == MenuAction.BACK:
        return _with(enter(menu, topic, parent(menu, node) or menu.start), kind=kind)
    return _with(enter(menu, topic, node), kind=kind)  # REPEAT


def read_confirmation(menu: VoiceMenu, topic: str, node: str, digits: str) -> Step:
    """The key after `0`: `1` stops all calls; anything else, or silence, goes back to `node`."""
    key = (digits or "")[:1]
    if key == CONFIRM_OPT_OUT:
        return Step(
            said=(common("opted_out"),),
            gather=None,
            act=MenuAction.OPT_OUT,
            kind=ResponseKind.OPT_OUT,
        )
    step = enter(menu, topic, node, first=(common("opt_out_cancelled"),))
    return _with(step, kind=ResponseKind.ANSWER if key else None)


def goodbye() -> Step:
    """The end of a call: `goodbye`, then hang up."""
    return Step(said=(common("goodbye"),), gather=None)


def parent(menu: VoiceMenu, node: str) -> str | None:
    """The node a caller reaches `node` from first (breadth first from the start)."""
    parents: dict[str, str | None] = {menu.start: None}
    queue = [menu.start]
    while queue:
        current = queue.pop(0)
        for key in sorted(menu.nodes[current].keys.values(), key=lambda k: k.key):
            target = key.target
            if key.action == MenuAction.GOTO and target in menu.nodes and target not in parents:
                parents[target] = current
                queue.append(target)
    return parents.get(node)


def _not_understood(menu: VoiceMenu, topic: str, node: str, tries: int, key: str) -> Step:
    kind = ResponseKind.UNRECOGNISED if key else None
    if tries >= MAX_REPLAYS:
        return _with(goodbye(), kind=kind)
    step = enter(menu, topic, node, first=(common("not_understood"),))
    return _with(step, tries=tries + 1, kind=kind)


def _with(step: Step, **changes) -> Step:
    return Step(**{**step.__dict__, **changes})
