"""Campaign content: shipped topics load complete and short; keywords and replies are read right."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest

from outreach.content import (
    ContentError,
    KeywordAction,
    OptionAction,
    UnknownTopic,
    get_topic,
    keyword_action,
    load_common,
    load_content,
    load_topics,
    match_reply_option,
)
from outreach.content.render import render_text, validate_template
from outreach.content.topics import DEFAULT_DIR
from outreach.languages import LANGUAGES
from outreach.messaging.segments import count_segments

# The longest MRC name and a full international number: the worst case for length.
SAMPLE = {
    "name": "Gulnara",
    "mrc_name": "Virtual MRC Afghanistan",
    "mrc_phone": "+93 20 123 4567",
    "event_date": "30 April, 10:00",
    "event_place": "Osh State University, main hall",
}
GSM_LANGUAGES = {"en", "uz"}  # Latin script with plain apostrophes; the rest are UCS-2


def shipped_texts():
    """(label, language, template, allowed placeholders) for every text we ship."""
    content = load_content()
    for topic in content.topics.values():
        for lang, text in topic.texts.items():
            yield f"{topic.id}.sms", lang, text, topic.placeholders
        for option in topic.options:
            for lang, text in option.replies.items():
                yield f"{topic.id}.{option.action}", lang, text, topic.placeholders
    for name in ("help", "opted_out", "opted_in", "unknown"):
        for lang, text in getattr(content.common, name).items():
            yield f"common.{name}", lang, text, frozenset(SAMPLE) - {"event_date", "event_place"}


def test_shipped_topics_load_with_every_language():
    topics = load_topics()
    assert {"irregular-migration", "hiv-testing", "job-fair"} <= set(topics)
    for topic in topics.values():
        assert set(topic.texts) == set(LANGUAGES)
        assert [(o.key, o.action) for o in topic.options] == [
            ("1", OptionAction.INFO),
            ("2", OptionAction.CALLBACK),
        ]
        for option in topic.options:
            assert set(option.replies) == set(LANGUAGES)
    assert get_topic("job-fair").fields == ("event_date", "event_place")
    assert get_topic("hiv-testing").fields == ()


def test_every_non_english_text_is_marked_for_native_speaker_review():
    content = load_content()
    for review in [t.review for t in content.topics.values()] + [content.common.review]:
        assert set(review) == set(LANGUAGES) - {"en"}
        assert all("native" in note for note in review.values())


def test_every_shipped_text_validates_renders_and_fits_three_segments():
    report = []
    for label, lang, template, allowed in shipped_texts():
        assert validate_template(template, allowed) == [], (label, lang)
        text = render_text(template, SAMPLE)
        assert "{" not in text and "}" not in text
        segments = count_segments(text)
        report.append(f"{label:30} {lang:6} {segments.encoding} {segments.segments}")
        assert segments.encoding == ("GSM-7" if lang in GSM_LANGUAGES else "UCS-2"), (label, lang)
        assert 1 <= segments.segments <= 3, (label, lang, text, segments)
    print("\n".join(report))
    assert len(report) == (3 * 3 + 4) * len(LANGUAGES)


def test_topic_texts_name_the_mrc_and_say_how_to_reply_and_stop():
    for topic in load_topics().values():
        for lang, template in topic.texts.items():
            assert "{mrc_name}" in template and "{mrc_phone}" in template, (topic.id, lang)
            text = render_text(template, SAMPLE)
            assert re.search(r"\b1\b", text) and re.search(r"\b2\b", text), (topic.id, lang)
            words = re.findall(r"[\w']+", text.replace("«", " ").replace("»", " "))
            assert any(keyword_action(w, lang) == "opt_out" for w in words), (topic.id, lang)


def test_job_fair_texts_use_the_event_fields_and_hiv_texts_say_free_and_confidential():
    for template in get_topic("job-fair").texts.values():
        assert "{event_date}" in template and "{event_place}" in template
    hiv = get_topic("hiv-testing")
    assert "Free, confidential" in hiv.texts["en"]
    assert "бесплатная конфиденциальная" in hiv.texts["ru"].lower()  # free, confidential care
    assert "confidence" in hiv.option_for(OptionAction.CALLBACK).reply("en")


def test_content_is_cached_and_frozen():
    assert load_topics() is load_topics()
    topic = get_topic("hiv-testing")
    with pytest.raises(dataclasses.FrozenInstanceError):
        topic.title = "changed"
    with pytest.raises(TypeError):
        topic.texts["en"] = "changed"
    with pytest.raises(UnknownTopic):
        get_topic("no-such-topic")


def test_text_falls_back_to_english_for_an_unknown_language():
    topic = get_topic("irregular-migration")
    assert topic.text("de") == topic.texts["en"]
    assert topic.text(None) == topic.texts["en"]
    assert topic.option_for(OptionAction.INFO).reply("ky") != topic.option_for(
        OptionAction.INFO
    ).reply("en")


@pytest.mark.parametrize(
    ("text", "language", "action"),
    [
        ("STOP", "en", "opt_out"),
        ("stop", "ru", "opt_out"),
        ("StOp", "ur", "opt_out"),
        ("  STOP!  ", "uz", "opt_out"),
        (" СТОП ", "ru", "opt_out"),
        ("стоп", "ky", "opt_out"),
        ("unsubscribe", "tg", "opt_out"),
        ("Quit", "fa-AF", "opt_out"),
        ("بند", "ur", "opt_out"),
        ("بند کریں", "ur", "opt_out"),
        ("band karo", "ur", "opt_out"),
        ("توقف", "fa-AF", "opt_out"),
        ("ودروئ", "ps", "opt_out"),
        ("Тавақкуф", "tg", "opt_out"),
        ("ТАВАККУФ", "tg", "opt_out"),  # typed on a Russian keyboard
        ("Отписаться", "ru", "opt_out"),
        ("токтот", "ky", "opt_out"),
        ("to'xta", "uz", "opt_out"),
        ("toʻxta", "uz", "opt_out"),  # U+02BB, the Uzbek letter apostrophe
        ("TO‘XTA", "uz", "opt_out"),
        ("отписаться", "ky", "opt_out"),  # opt-out words count whatever the language
        ("STOP", None, "opt_out"),
        ("START", "en", "opt_in"),
        ("start", "ru", "opt_in"),
        ("Yes", "ps", "opt_in"),
        ("unstop", "uz", "opt_in"),
        ("старт", "ky", "opt_in"),
        ("شروع", "fa-AF", "opt_in"),
        ("boshlash", "uz", "opt_in"),
        ("HELP", "en", "help"),
        ("help", "tg", "help"),
        ("INFO", "ru", "help"),
        ("инфо", "ru", "help"),
        ("помощь", "ru", "help"),
        ("مدد", "ur", "help"),
        ("کمک", "fa-AF", "help"),
    ],
)
def test_keyword_action(text, language, action):
    assert keyword_action(text, language) == action


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("", "en"),
        ("   ", "ru"),
        ("hello", "en"),
        ("stop sending me this", "en"),
        ("1", "en"),
        ("boshlash", "ru"),  # an Uzbek opt-in word does not opt a Russian reader back in
    ],
)
def test_keyword_action_ignores_other_text(text, language):
    assert keyword_action(text, language) is None


@pytest.mark.parametrize(
    ("text", "language", "action"),
    [
        ("1", "en", "info"),
        (" 1 ", "ru", "info"),
        ("1.", "ur", "info"),
        ("١", "ur", "info"),  # Arabic-Indic digit one
        ("۱", "fa-AF", "info"),  # Extended Arabic-Indic (Persian) digit one
        ("１", "ky", "info"),  # full-width
        ("more", "en", "info"),
        ("Подробнее", "ru", "info"),
        ("مزید", "ur", "info"),
        ("batafsil", "uz", "info"),
        ("2", "tg", "callback"),
        ("٢", "ps", "callback"),
        ("۲", "fa-AF", "callback"),
        ("2!", "ky", "callback"),
        ("call me", "ru", "callback"),  # English keywords work in every language
        ("ЗВОНОК", "ru", "callback"),
        ("qoʻngʻiroq", "uz", "callback"),
        ("زنګ", "ps", "callback"),
    ],
)
def test_match_reply_option(text, language, action):
    option = match_reply_option(get_topic("irregular-migration"), text, language)
    assert option is not None and option.action == action


@pytest.mark.parametrize("text", ["3", "12", "", "INFO", "stop", "ЗВОНОК please"])
def test_match_reply_option_returns_none_for_anything_else(text):
    assert match_reply_option(get_topic("hiv-testing"), text, "ru") is None


def test_help_keyword_info_never_clashes_with_a_topic_option():
    common = load_common()
    help_words = common.words_for(KeywordAction.HELP, "ru")
    for topic in load_topics().values():
        for option in topic.options:
            for words in option.match_words.values():
                assert not words & help_words


# --- loader errors, on a copy of the shipped files -------------------------------------------


@pytest.fixture
def content_dir(tmp_path) -> Path:
    target = tmp_path / "campaigns"
    shutil.copytree(DEFAULT_DIR, target)
    return target


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def load_errors(directory: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load_content(directory)
    return info.value.problems


def drop_line(path: Path, prefix: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith(prefix))
    path.write_text("".join(lines[:index] + lines[index + 1 :]), encoding="utf-8")


def test_copied_content_loads(content_dir):
    assert set(load_topics(content_dir)) == set(load_topics())


def test_missing_language_names_file_and_node(content_dir):
    drop_line(content_dir / "job-fair.toml", "ky = ")
    assert load_errors(content_dir) == ["campaigns/job-fair.toml: sms.texts.ky: missing"]


def test_unknown_and_unsafe_placeholders_are_errors(content_dir):
    path = content_dir / "hiv-testing.toml"
    edit(path, 'en = "{mrc_name}: Free', 'en = "{venue}: Free')
    edit(path, "Our number is {mrc_phone}", "Our number is {mrc_phone.__class__}")
    assert load_errors(content_dir) == [
        "campaigns/hiv-testing.toml: sms.texts.en: {venue}: unknown placeholder; "
        "allowed: mrc_name, mrc_phone, name",
        "campaigns/hiv-testing.toml: options[1].reply.en: {mrc_phone.__class__}: "
        "only plain names are allowed (no attribute or index access)",
    ]


def test_event_fields_are_only_allowed_where_declared(content_dir):
    edit(content_dir / "irregular-migration.toml", "{mrc_name}: Going", "{event_date}: Going")
    [problem] = load_errors(content_dir)
    assert problem.startswith(
        "campaigns/irregular-migration.toml: sms.texts.en: {event_date}: unknown placeholder"
    )


def test_duplicate_option_key(content_dir):
    edit(content_dir / "job-fair.toml", 'key = "2"', 'key = "1"')
    assert load_errors(content_dir) == [
        "campaigns/job-fair.toml: options[1].key: duplicate key '1'"
    ]


def test_option_keyword_that_is_a_common_keyword(content_dir):
    edit(content_dir / "job-fair.toml", 'en = ["MORE", "DETAILS"]', 'en = ["INFO"]')
    edit(content_dir / "job-fair.toml", 'ru = ["ЗВОНОК",', 'ru = ["стоп", "ЗВОНОК",')
    assert load_errors(content_dir) == [
        "campaigns/job-fair.toml: options[0].keywords.en: 'INFO' is already a keyword for help",
        "campaigns/job-fair.toml: options[1].keywords.ru: 'стоп' is already a keyword for opt_out",
    ]


def test_option_key_that_is_a_common_keyword(content_dir):
    edit(content_dir / "job-fair.toml", 'key = "2"', 'key = "END"')
    assert load_errors(content_dir) == [
        "campaigns/job-fair.toml: options[1].key: 'END' is a keyword for opt_out"
    ]


def test_keyword_shared_by_two_options(content_dir):
    edit(content_dir / "hiv-testing.toml", 'tg = ["ЗАНГ"]', 'tg = ["ЗАНГ", "Маълумот"]')
    assert load_errors(content_dir) == [
        "campaigns/hiv-testing.toml: options[1].keywords.tg: 'Маълумот' is also options[0]"
    ]


def test_common_keyword_in_two_lists(content_dir):
    edit(content_dir / "common.toml", 'all = ["START", "UNSTOP", "YES"]', 'all = ["START", "QUIT"]')
    [problem] = load_errors(content_dir)
    assert (
        problem
        == "campaigns/common.toml: keywords.opt_in.all: 'QUIT' is also in keywords.opt_out.all"
    )


def test_bad_action_unknown_language_unknown_key_and_id(content_dir):
    path = content_dir / "job-fair.toml"
    edit(path, 'action = "callback"', 'action = "call"')
    edit(path, 'id = "job-fair"', 'id = "jobfair"\ncolour = "red"')
    edit(path, "[sms.texts]\n", '[sms.texts]\nde = "Hallo {name}"\n')
    assert load_errors(content_dir) == [
        "campaigns/job-fair.toml: colour: unknown key",
        "campaigns/job-fair.toml: id: 'jobfair' does not match the file name 'job-fair'",
        "campaigns/job-fair.toml: sms.texts.de: unknown language",
        "campaigns/job-fair.toml: options[1].action: 'call' is not one of: info, callback",
    ]


def test_a_topic_id_is_url_and_file_safe(content_dir):
    old = content_dir / "job-fair.toml"
    new = content_dir / "Job Fair.toml"
    new.write_text(old.read_text(encoding="utf-8").replace('id = "job-fair"', 'id = "Job Fair"'))
    old.unlink()
    assert load_errors(content_dir)[0] == (
        "campaigns/Job Fair.toml: id: 'Job Fair': use lower-case letters, digits, '-' and '_'"
    )


def test_invalid_toml_and_missing_common_file(content_dir):
    (content_dir / "hiv-testing.toml").write_text('id = "hiv-testing\n', encoding="utf-8")
    (content_dir / "common.toml").unlink()
    problems = load_errors(content_dir)
    assert problems[0].startswith("campaigns/common.toml: (file): cannot read")
    assert problems[1].startswith("campaigns/hiv-testing.toml: (file): invalid TOML")


def test_problems_in_several_files_are_all_reported(content_dir):
    drop_line(content_dir / "irregular-migration.toml", "uz = ")
    edit(content_dir / "common.toml", "[texts.unknown]\nen = ", "[texts.unknown]\nen_GB = ")
    problems = load_errors(content_dir)
    assert "campaigns/irregular-migration.toml: sms.texts.uz: missing" in problems
    assert "campaigns/common.toml: texts.unknown.en: missing" in problems
    assert "campaigns/common.toml: texts.unknown.en_GB: unknown language" in problems
