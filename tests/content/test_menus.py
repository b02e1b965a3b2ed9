"""Voice menus as data: the shipped menus load whole, and every broken rule is named."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from outreach.content import ContentError, get_topic, load_common, load_content, load_topics
from outreach.content.menu_loading import COMMON_PROMPTS
from outreach.content.menus import (
    FIXED_KEYS,
    TOPIC_KEYS,
    MenuAction,
    MenuKey,
    hotline_prompts,
    prompts_used,
)
from outreach.content.render import render_text
from outreach.content.topics import DEFAULT_DIR
from outreach.languages import LANGUAGES

SAMPLE = {"mrc_name": "Virtual MRC Afghanistan", "mrc_phone": "+93 20 123 4567", "key": "3"}
SHIPPED = ("irregular-migration", "hiv-testing", "job-fair")


def test_every_shipped_topic_has_a_menu_whose_prompts_speak_every_language():
    for topic_id in SHIPPED:
        topic = get_topic(topic_id)
        menu = topic.voice
        assert menu is not None and menu.start in menu.nodes
        assert menu.voicemail in topic.prompts
        for node in menu.nodes.values():
            assert node.prompt in topic.prompts
            assert set(node.keys) <= set(TOPIC_KEYS)
        for prompt in topic.prompts.values():
            assert prompt.topic == topic_id
            assert set(prompt.texts) == set(LANGUAGES), (topic_id, prompt.name)


def test_the_start_node_offers_1_and_says_the_fixed_keys_9_and_0():
    for topic_id in SHIPPED:
        topic = get_topic(topic_id)
        start = topic.voice.nodes[topic.voice.start]
        assert start.keys["1"].action is MenuAction.GOTO
        for lang, text in topic.prompts[start.prompt].texts.items():
            assert all(digit in text for digit in "190"), (topic_id, lang)


def test_common_prompts_are_all_there_in_every_language_and_render():
    common = load_common()
    assert set(COMMON_PROMPTS) <= set(common.prompts)
    assert common.hotline_topics == SHIPPED
    for prompt in common.prompts.values():
        assert prompt.topic == "common"
        for lang, template in prompt.texts.items():
            text = render_text(template, SAMPLE)
            assert text.strip() and "{" not in text, (prompt.name, lang)
    for lang, template in common.prompts["language_choice"].texts.items():
        assert "{key}" in template, lang
        assert "3" in render_text(template, SAMPLE)


def test_the_hotline_topic_list_offers_each_hotline_topic_by_its_key_in_every_language():
    common = load_common()
    keys = [str(i) for i in range(1, len(common.hotline_topics) + 1)] + ["9"]
    for lang, text in common.prompts["hotline_topics"].texts.items():
        positions = [text.find(key) for key in keys]
        assert -1 not in positions and positions == sorted(positions), lang


def test_fixed_keys_are_the_same_in_every_node():
    assert FIXED_KEYS == {
        "9": MenuAction.CALLBACK,
        "0": MenuAction.OPT_OUT,
        "*": MenuAction.REPEAT,
        "#": MenuAction.BACK,
    }
    for topic in load_topics().values():
        for node in topic.voice.nodes.values():
            assert node.key("9") == MenuKey("9", MenuAction.CALLBACK, None)
            assert node.key("#") == MenuKey("#", MenuAction.BACK, None)
            assert node.key("5") is None
    start = get_topic("irregular-migration").voice.nodes["start"]
    assert start.key("2") == MenuKey("2", MenuAction.GOTO, "fake_agents")


def test_prompts_used_lists_the_menu_the_voicemail_and_the_common_call_prompts():
    names = [(p.topic, p.name) for p in prompts_used("job-fair")]
    assert names == [
        ("job-fair", "start"),
        ("job-fair", "prepare"),
        ("job-fair", "no_fees"),
        ("job-fair", "voicemail"),
        ("common", "not_understood"),
        ("common", "callback_requested"),
        ("common", "opt_out_confirm"),
        ("common", "opted_out"),
        ("common", "opt_out_cancelled"),
        ("common", "goodbye"),
    ]
    assert prompts_used(get_topic("job-fair")) == prompts_used("job-fair")


def test_hotline_prompts_cover_its_own_prompts_and_every_hotline_topic_menu():
    names = {(p.topic, p.name) for p in hotline_prompts()}
    for name in ("hotline_welcome", "language_choice", "hotline_topics", "hotline_closed"):
        assert ("common", name) in names
    for topic_id in SHIPPED:
        topic = get_topic(topic_id)
        assert {(topic_id, n.prompt) for n in topic.voice.nodes.values()} <= names
        assert (topic_id, "voicemail") not in names  # nobody leaves a message on the hotline


def test_menus_are_frozen():
    menu = get_topic("hiv-testing").voice
    with pytest.raises(dataclasses.FrozenInstanceError):
        menu.start = "details"
    with pytest.raises(TypeError):
        menu.nodes["start"].keys["2"] = MenuKey("2", MenuAction.CALLBACK, None)


# --- loader errors, on a copy of the shipped files -------------------------------------------


@pytest.fixture
def content_dir(tmp_path) -> Path:
    target = tmp_path / "campaigns"
    shutil.copytree(DEFAULT_DIR, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def load_errors(directory: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load_content(directory)
    return info.value.problems


JOB_FAIR_KEYS = 'keys = { "1" = "goto:prepare", "2" = "goto:no_fees" }'


def test_copied_menus_load(content_dir):
    assert load_topics(content_dir)["job-fair"].voice == get_topic("job-fair").voice


def test_a_target_that_is_not_a_node(content_dir):
    edit(
        content_dir / "job-fair.toml",
        JOB_FAIR_KEYS,
        'keys = { "1" = "goto:prepare", "2" = "goto:nowhere" }',
    )
    assert load_errors(content_dir) == [
        "campaigns/job-fair.toml: voice.nodes.start.keys.2: target 'nowhere' is not a node"
    ]


def test_a_node_nobody_can_reach(content_dir):
    edit(content_dir / "job-fair.toml", JOB_FAIR_KEYS, 'keys = { "1" = "goto:prepare" }')
    edit(content_dir / "job-fair.toml", 'keys = { "1" = "goto:no_fees" }', "")
    assert load_errors(content_dir) == [
        "campaigns/job-fair.toml: voice.nodes.no_fees: not reachable from the start node 'start'"
    ]


def test_a_key_that_is_not_a_dtmf_key(content_dir):
    edit(
        content_dir / "job-fair.toml",
        JOB_FAIR_KEYS,
        'keys = { "1" = "goto:prepare", "A" = "goto:no_fees", "12" = "back" }',
    )
    assert load_errors(content_dir) == [
        "campaigns/job-fair.toml: voice.nodes.start.keys.A: 'A' is not a DTMF key (0-9, * or #)",
        "campaigns/job-fair.toml: voice.nodes.start.keys.12: '12' is not a DTMF key (0-9, * or #)",
    ]


@pytest.mark.parametrize(
    ("key", "action"), [("9", "callback"), ("0", "opt_out"), ("*", "repeat"), ("#", "back")]
)
def test_a_fixed_key_may_not_be_redefined(content_dir, key, action):
    edit(
        content_dir / "job-fair.toml",
        JOB_FAIR_KEYS,
        f'keys = {{ "1" = "goto:prepare", "{key}" = "goto:no_fees" }}',
    )
    assert load_errors(content_dir) == [
        f"campaigns/job-fair.toml: voice.nodes.start.keys.{key}: "
        f"'{key}' is {action} in every menu and may not be redefined"
    ]


def test_an_unknown_key_action(content_dir):
    edit(
        content_dir / "hiv-testing.toml",
        'keys = { "1" = "goto:where" }',
        'keys = { "1" = "goto:where", "2" = "hangup" }',
    )
    assert load_errors(content_dir) == [
        "campaigns/hiv-testing.toml: voice.nodes.details.keys.2: "
        "'hangup' is not goto:<node>, callback, opt_out, repeat or back"
    ]


def test_a_prompt_without_a_language(content_dir):
    path = content_dir / "irregular-migration.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("[voice.prompts.safe_ways]")
    ky = text.index("\nky = ", start)
    end = text.index("\n", ky + 1)
    path.write_text(text[:ky] + text[end:], encoding="utf-8")
    assert load_errors(content_dir) == [
        "campaigns/irregular-migration.toml: voice.prompts.safe_ways.ky: missing"
    ]


def test_a_prompt_placeholder_a_recording_cannot_hold(content_dir):
    edit(
        content_dir / "job-fair.toml",
        'en = "Hello. This is {mrc_name}. We',
        'en = "Hello {name}. This is {mrc_name} on {event_date}. We',
    )
    problems = load_errors(content_dir)
    assert [p.split(": unknown")[0] for p in problems] == [
        "campaigns/job-fair.toml: voice.prompts.start.en: {name}",
        "campaigns/job-fair.toml: voice.prompts.start.en: {event_date}",
    ]
    assert problems[0].endswith("allowed: mrc_name, mrc_phone")


def test_start_voicemail_and_node_prompt_must_exist(content_dir):
    path = content_dir / "job-fair.toml"
    edit(path, 'start = "start"', 'start = "welcome"')
    edit(path, 'voicemail = "voicemail"', 'voicemail = "machine"')
    edit(path, 'prompt = "prepare"', 'prompt = "prepare_cv"')
    assert load_errors(content_dir) == [
        "campaigns/job-fair.toml: voice.start: 'welcome' is not a node",
        "campaigns/job-fair.toml: voice.voicemail: 'machine' is not a prompt",
        "campaigns/job-fair.toml: voice.nodes.prepare.prompt: 'prepare_cv' is not a prompt",
        "campaigns/job-fair.toml: voice.prompts.prepare: not played by any node or as voicemail",
        "campaigns/job-fair.toml: voice.prompts.voicemail: not played by any node or as voicemail",
    ]


def test_node_names_must_be_safe_in_a_url_and_keys_in_a_node_known(content_dir):
    path = content_dir / "job-fair.toml"
    edit(path, '"2" = "goto:no_fees" }', '"2" = "goto:no-fees" }')
    edit(path, "[voice.nodes.no_fees]\n", '[voice.nodes.no-fees]\ncolour = "red"\n')
    assert load_errors(content_dir) == [
        "campaigns/job-fair.toml: voice.nodes.no-fees: "
        "a node name is lower-case letters, digits and _",
        "campaigns/job-fair.toml: voice.nodes.start.keys.2: target 'no-fees' is not a node",
        "campaigns/job-fair.toml: voice.nodes.prepare.keys.1: target 'no_fees' is not a node",
        "campaigns/job-fair.toml: voice.prompts.no_fees: not played by any node or as voicemail",
    ]


def test_a_missing_common_prompt_and_an_unknown_hotline_topic(content_dir):
    path = content_dir / "common.toml"
    edit(path, "[voice.prompts.goodbye]", "[voice.prompts.farewell]")
    edit(path, 'hotline_topics = ["irregular-migration",', 'hotline_topics = ["legal-aid",')
    assert load_errors(content_dir) == [
        "campaigns/common.toml: voice.prompts.goodbye: missing",
        "campaigns/common.toml: voice.hotline_topics[0]: 'legal-aid' is not a topic",
    ]


def test_a_topic_without_a_voice_section_has_no_menu_and_no_prompts(content_dir):
    path = content_dir / "job-fair.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("\n[voice]\n")], encoding="utf-8")
    edit(content_dir / "common.toml", ', "job-fair"]', "]")
    topic = load_topics(content_dir)["job-fair"]
    assert topic.voice is None and prompts_used(topic, load_common(content_dir)) == []
