"""SMS segments: GSM-7 and UCS-2 limits, escapes and surrogate pairs at part boundaries, cost."""

from __future__ import annotations

from decimal import Decimal

import pytest

from outreach.messaging.segments import (
    MissingPrice,
    Segments,
    count_segments,
    estimate_cost,
    is_gsm7,
)

CYRILLIC = "д"
EMOJI = "\U0001f600"  # outside the BMP: a surrogate pair in UTF-16


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Segments("GSM-7", 0, 0)),
        ("a" * 160, Segments("GSM-7", 1, 160)),
        ("a" * 161, Segments("GSM-7", 2, 161)),
        ("a" * 153 * 2, Segments("GSM-7", 2, 306)),
        ("a" * (153 * 2 + 1), Segments("GSM-7", 3, 307)),
        ("a" * 153 * 3, Segments("GSM-7", 3, 459)),
        (CYRILLIC * 70, Segments("UCS-2", 1, 70)),
        (CYRILLIC * 71, Segments("UCS-2", 2, 71)),
        (CYRILLIC * 67 * 2, Segments("UCS-2", 2, 134)),
        (CYRILLIC * (67 * 2 + 1), Segments("UCS-2", 3, 135)),
    ],
    ids=["empty", "gsm160", "gsm161", "gsm153x2", "gsm307", "gsm153x3"]
    + ["ucs70", "ucs71", "ucs67x2", "ucs135"],
)
def test_limits(text, expected):
    assert count_segments(text) == expected


def test_extension_characters_count_two_septets():
    assert count_segments("€" * 80) == Segments("GSM-7", 1, 160)
    assert count_segments("€" * 81) == Segments("GSM-7", 2, 162)
    assert count_segments("^{}\\[~]|€\f") == Segments("GSM-7", 1, 20)


def test_escape_sequence_is_never_split_across_parts():
    # 152 + 2 + 152 = 306 septets would fit two parts of 153 if the escape could be split;
    # it cannot, so part one ends after 152 septets and a third part is needed.
    text = "a" * 152 + "€" + "a" * 152
    assert count_segments(text) == Segments("GSM-7", 3, 306)
    # The extension character at position 153 exactly: it fits when 152 septets come before.
    assert count_segments("a" * 151 + "€" + "a" * 153) == Segments("GSM-7", 2, 306)


def test_emoji_is_two_units_and_never_split():
    assert count_segments(EMOJI) == Segments("UCS-2", 1, 2)
    assert count_segments(EMOJI * 35) == Segments("UCS-2", 1, 70)
    assert count_segments(EMOJI * 36) == Segments("UCS-2", 2, 72)
    # 66 + 2 + 66 = 134 units would fit two parts of 67 if the pair could be split.
    assert count_segments(CYRILLIC * 66 + EMOJI + CYRILLIC * 66) == Segments("UCS-2", 3, 134)
    assert count_segments(CYRILLIC * 65 + EMOJI + CYRILLIC * 67) == Segments("UCS-2", 2, 134)


def test_one_non_gsm_character_makes_the_whole_text_ucs2():
    assert count_segments("a" * 100) == Segments("GSM-7", 1, 100)
    assert count_segments("a" * 99 + "’") == Segments("UCS-2", 2, 100)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà\n\r", "GSM-7"),
        ("Reply 1 for info, 2 for a call-back, STOP to opt out.", "GSM-7"),
        ("Bepul maslahat: qo'ng'iroq qiling", "GSM-7"),
        ("qoʻngʻiroq", "UCS-2"),  # Uzbek with U+02BB, the "proper" oʻ
        ("СТОП", "UCS-2"),
        ("بند کریں", "UCS-2"),
        ("Қатъ", "UCS-2"),
        ("café á", "UCS-2"),  # á is not in the GSM alphabet (à is)
        ("`", "UCS-2"),
    ],
)
def test_encoding(text, encoding):
    assert count_segments(text).encoding == encoding
    assert is_gsm7(text) is (encoding == "GSM-7")


def test_estimate_cost_multiplies_segments_by_country_price():
    cost = estimate_cost(
        {"PK": 1000, "KG": 250, "TJ": 0},
        {"PK": Decimal("0.0850"), "KG": Decimal("0.1200")},
    )
    assert cost == Decimal("115.0000")


def test_estimate_cost_without_a_price_fails_or_uses_the_default():
    with pytest.raises(MissingPrice) as info:
        estimate_cost({"PK": 10, "UZ": 5, "AF": 1}, {"PK": Decimal("0.1")})
    assert info.value.countries == ["AF", "UZ"]
    assert "AF, UZ" in str(info.value)
    cost = estimate_cost({"PK": 10, "UZ": 5}, {"PK": Decimal("0.1")}, Decimal("0.2"))
    assert cost == Decimal("2.0")


def test_estimate_cost_rejects_negative_counts():
    with pytest.raises(ValueError, match="negative"):
        estimate_cost({"PK": -1}, {"PK": Decimal("0.1")})
