"""A Twilio-like caller walks every node of every voice menu in every language.

It presses every key at every node it reaches (and cancels at "stop all calls?"), as a curious
caller might: no error, no empty prompt, every `<Play>` URL served as audio, every node reached.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from voice_campaigns import as_voice

from outreach.voice import catalog

KEYS = "0123456789*#"


def _node(gather_url: str) -> tuple[str, bool]:
    parts = urlsplit(gather_url)
    return unquote(parts.path.rsplit("/", 1)[1]), parse_qs(parts.query).get("confirm") == ["1"]


def _check(client, heard, base_url) -> None:
    assert heard.status == 200, heard.xml
    assert heard.spoken, f"nothing said: {heard.xml}"
    for verb, content in heard.spoken:
        assert content, f"an empty <{verb}>: {heard.xml}"
        if verb == "play":
            audio = client.get(content.removeprefix(base_url))
            assert audio.status_code == 200, content
            assert audio.mimetype.startswith("audio/"), (content, audio.mimetype)


def walk(client, walker, first, base_url) -> set[str]:
    """Every node reached from the call's first TwiML, pressing every key at each."""
    _check(client, first, base_url)
    seen: set[tuple[str, bool]] = set()
    todo = [first.gather]
    while todo:
        url = todo.pop()
        node, confirming = _node(url)
        if (node, confirming) in seen:
            continue
        seen.add((node, confirming))
        for key in ("2", "") if confirming else (*KEYS, ""):
            heard = walker.post(url, key)
            _check(client, heard, base_url)
            if heard.gather:
                todo.append(heard.gather)
            else:
                assert heard.hangup, heard.xml
    return {node for node, _ in seen}


def _languages(menu, topic_id) -> list[str]:
    prompt = catalog.find_prompt(topic_id, menu.nodes[menu.start].prompt)
    return sorted(prompt.texts)


@pytest.fixture
def every_menu():
    """Every shipped topic with a voice menu, and its languages."""
    topics = catalog.voice_topics()
    assert topics, "no voice menus to walk"
    return [(t, catalog.topic_menu(t), _languages(catalog.topic_menu(t), t)) for t in topics]


def test_the_walker_reaches_every_node_of_every_menu_in_every_language(
    app, client, every_menu, make_campaign, make_contact, make_call, answered
):
    base_url = app.config["PUBLIC_BASE_URL"]
    walked = 0
    for topic_id, menu, languages in every_menu:
        campaign = as_voice(make_campaign(topic=topic_id))
        for language in languages:
            call = make_call(make_contact(language=language), campaign)
            walker, first = answered(call)
            assert walk(client, walker, first, base_url) == set(menu.nodes)
            walked += 1
    assert walked == sum(len(languages) for _, _, languages in every_menu)
