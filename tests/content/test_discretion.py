"""Sensitive topics: the first SMS and the first spoken sentence never name the topic."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from outreach.content import ContentError, OptionAction, get_topic, load_common, load_content
from outreach.content.discretion import named_words
from outreach.content.render import render_text
from outreach.content.topics import DEFAULT_DIR
from outreach.languages import LANGUAGES

SAMPLE = {"name": "Gulnara", "mrc_name": "MRC Osh", "mrc_phone": "+996 3222 12345"}
HIV_WORDS = re.compile(r"hiv|aids|вич|спид|ایچ|اچ|oiv", re.IGNORECASE)


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?۔])\s", text, maxsplit=1)[0]


def test_hiv_testing_is_sensitive_and_lists_its_words():
    topic = get_topic("hiv-testing")
    assert topic.sensitive
    assert {"HIV", "ВИЧ", "OIV", "ایچ آئی وی"} <= set(topic.sensitive_words)
    assert not get_topic("job-fair").sensitive


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_first_sms_and_first_spoken_sentence_do_not_name_hiv_but_say_health_services(lang):
    topic = get_topic("hiv-testing")
    sms = render_text(topic.text(lang), SAMPLE)
    start = topic.prompts[topic.voice.nodes[topic.voice.start].prompt]
    spoken = render_text(start.text(lang), SAMPLE)
    for text in (sms, spoken, render_text(topic.prompts[topic.voice.voicemail].text(lang), SAMPLE)):
        assert not HIV_WORDS.search(text), text
        assert "MRC Osh" in text
    health = {"en": "health services", "ru": "медицинск"}[lang]
    assert health in sms.lower() and health in spoken.lower()
    assert "MRC Osh" in first_sentence(spoken) and health in first_sentence(spoken).lower()


def test_the_details_follow_reply_1_and_key_1():
    topic = get_topic("hiv-testing")
    info = topic.option_for(OptionAction.INFO)
    assert info.key == "1"
    assert "HIV" in info.reply("en") and "ВИЧ" in info.reply("ru")
    behind_1 = topic.voice.nodes[topic.voice.nodes[topic.voice.start].keys["1"].target]
    assert "HIV" in topic.prompts[behind_1.prompt].text("en")
    assert "ВИЧ" in topic.prompts[behind_1.prompt].text("ru")


def test_no_language_names_the_topic_where_others_may_see_or_hear():
    topic = get_topic("hiv-testing")
    start = topic.prompts[topic.voice.nodes[topic.voice.start].prompt]
    hotline = load_common().prompts["hotline_topics"]
    for lang in LANGUAGES:
        for text in (topic.text(lang), start.text(lang), hotline.text(lang)):
            assert named_words(text, topic.sensitive_words) == [], (lang, text)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Free HIV testing", ["hiv"]),
        ("тест на ВИЧ", ["вич"]),
        ("آزمایش اچ\u200cآی\u200cوی رایگان", ["اچ آی وی"]),  # written with zero-width joiners
        ("H\u2011I\u2011V", []),  # spelt out: a reviewer's job, not the loader's
        ("OIV (HIV) testi", ["oiv", "hiv"]),
        ("our archive of services", []),  # a word that merely contains the letters
        ("health services", []),
    ],
)
def test_named_words_matches_whole_words_in_any_script(text, found):
    assert named_words(text, get_topic("hiv-testing").sensitive_words) == found


# --- the loader rule ----------------------------------------------------------------------


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


RULE = "a sensitive topic must not name itself here"


def test_a_sensitive_topic_naming_itself_in_sms_start_prompt_or_voicemail(content_dir):
    path = content_dir / "hiv-testing.toml"
    edit(path, "Бесплатная конфиденциальная медицинская помощь", "Бесплатный тест на ВИЧ")
    edit(path, "with free and confidential health services", "with free HIV testing")
    edit(path, "о бесплатных медицинских услугах", "о бесплатном тесте на ВИЧ")
    assert load_errors(content_dir) == [
        f"campaigns/hiv-testing.toml: sms.texts.ru: {RULE} ('вич'); "
        "say 'health services' and give the details after 1",
        f"campaigns/hiv-testing.toml: voice.prompts.start.en: {RULE} ('hiv'); "
        "say 'health services' and give the details after 1",
        f"campaigns/hiv-testing.toml: voice.prompts.voicemail.ru: {RULE} ('вич'); "
        "say 'health services' and give the details after 1",
    ]


def test_the_same_words_are_fine_in_a_topic_that_is_not_sensitive(content_dir):
    edit(content_dir / "hiv-testing.toml", "sensitive = true", "sensitive = false")
    edit(content_dir / "hiv-testing.toml", "Бесплатная конфиденциальная", "Тест на ВИЧ")
    assert not load_content(content_dir).topics["hiv-testing"].sensitive


def test_a_sensitive_topic_must_list_its_words(content_dir):
    path = content_dir / "hiv-testing.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("sensitive_words = [")
    path.write_text(text[:start] + text[text.index("]\n", start) + 2 :], encoding="utf-8")
    edit(path, "sensitive = true", 'sensitive = "yes"')
    assert load_errors(content_dir) == [
        "campaigns/hiv-testing.toml: sensitive: must be true or false",
        "campaigns/hiv-testing.toml: sensitive_words: "
        "a sensitive topic lists the words that name it",
    ]


def test_the_hotline_topic_list_must_not_name_a_sensitive_topic(content_dir):
    edit(content_dir / "common.toml", "For health services, press 2.", "For HIV testing, press 2.")
    assert load_errors(content_dir) == [
        f"campaigns/common.toml: voice.prompts.hotline_topics.en: {RULE} ('hiv'); "
        "say 'health services' and give the details after 1",
    ]
