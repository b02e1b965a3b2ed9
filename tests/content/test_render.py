"""Safe substitution: plain placeholders only, validated up front, blank values read naturally."""

from __future__ import annotations

import pytest

from outreach.content import load_common
from outreach.content.render import (
    BASE_FIELDS,
    TemplateError,
    missing_values,
    render_text,
    template_fields,
    validate_template,
)

VALUES = {"name": "Aziza", "mrc_name": "MRC Osh", "mrc_phone": "+996 3222 55 000"}


def test_renders_placeholders_and_escaped_braces():
    text = render_text("{mrc_name} ({mrc_phone}) for {name}: {{not a field}}", VALUES)
    assert text == "MRC Osh (+996 3222 55 000) for Aziza: {not a field}"


def test_values_are_inserted_literally_never_formatted_again():
    values = {**VALUES, "name": "{mrc_phone} {0.__class__}"}
    assert render_text("Hello {name}!", values) == "Hello {mrc_phone} {0.__class__}!"


def test_non_string_values_are_only_turned_into_text():
    assert render_text("On {event_date}", {"event_date": 30}) == "On 30"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Hello {name}! Free advice: {mrc_phone}", "Hello! Free advice: +996 3222 55 000"),
        ("Здравствуйте, {name}! Тел.: {mrc_phone}", "Здравствуйте! Тел.: +996 3222 55 000"),
        ("سلام {name}! {mrc_name}", "سلام! MRC Osh"),
        ("خوش آمدید، {name}۔", "خوش آمدید۔"),
        ("{name}, welcome to {mrc_name}.", "welcome to MRC Osh."),
    ],
)
def test_blank_name_drops_out_with_its_separator(template, expected):
    for name in ("", "   ", None):
        values = {**VALUES, "name": name}
        assert render_text(template, values) == expected
    assert render_text(template, {k: v for k, v in VALUES.items() if k != "name"}) == expected


def test_fallback_is_used_for_a_blank_value():
    values = {**VALUES, "name": ""}
    assert render_text("Hello {name}!", values, {"name": "friend"}) == "Hello friend!"
    assert render_text("Hello {name}!", VALUES, {"name": "friend"}) == "Hello Aziza!"


def test_opt_in_confirmation_reads_naturally_without_a_name_in_every_language():
    expected_start = {
        "en": "Welcome back. ",
        "ru": "С возвращением! ",
        "tg": "Хуш омадед! ",
        "ky": "Кош келиңиз! ",
        "uz": "Xush kelibsiz! ",
        "ur": "خوش آمدید۔ ",
        "ps": "ښه راغلاست. ",
        "fa-AF": "خوش آمدید. ",
    }
    for lang, template in load_common().opted_in.items():
        text = render_text(template, {**VALUES, "name": ""})
        assert text.startswith(expected_start[lang]), (lang, text)
        assert "{" not in text and "  " not in text


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{name.__class__}", "{name.__class__}: only plain names are allowed"),
        ("{x[0]}", "{x[0]}: only plain names are allowed"),
        ("{0}", "{0}: positional placeholders are not allowed"),
        ("{}", "{}: positional placeholders are not allowed"),
        ("{name!r}", "{name}: conversions and format specs are not allowed"),
        ("{name:>99999}", "{name}: conversions and format specs are not allowed"),
        ("{venue}", "{venue}: unknown placeholder; allowed: mrc_name, mrc_phone, name"),
        ("Hello {name", "bad braces"),
        ("Hello }", "bad braces"),
    ],
)
def test_validate_template_names_each_problem(template, problem):
    [found] = validate_template(template, BASE_FIELDS)
    assert found.startswith(problem), found


def test_validate_template_accepts_allowed_fields_and_lists_every_problem():
    allowed = BASE_FIELDS | {"event_date"}
    assert validate_template("{name} {mrc_name} {mrc_phone} {event_date} {{x}}", allowed) == []
    problems = validate_template("{venue} and {name.upper} and {event_date}", BASE_FIELDS)
    assert [p.split(":")[0] for p in problems] == ["{venue}", "{name.upper}", "{event_date}"]


@pytest.mark.parametrize("template", ["{name.__class__}", "{0}", "{x[0]}", "{name!r}", "{"])
def test_render_refuses_unsafe_templates(template):
    with pytest.raises(TemplateError):
        render_text(template, {"name": "x", "x": "y", "0": "z"})


def test_template_fields_and_missing_values():
    template = "{name}: {event_date} at {event_place}, {mrc_phone}"
    assert template_fields(template) == ["name", "event_date", "event_place", "mrc_phone"]
    assert missing_values(template, {"name": "A", "event_date": " ", "mrc_phone": "1"}) == [
        "event_date",
        "event_place",
    ]
