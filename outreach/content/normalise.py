"""Reading what a person typed: the same word however their phone spelled it.

`normalise_reply` is applied to keywords when they are loaded and to every inbound text, so
the two meet in one form: NFKC, case-folded, every Unicode digit as ASCII (`١`, `۱` → `1`),
Arabic and Persian letter variants unified (ي/ی, ك/ک), Tajik, Kyrgyz and Uzbek Cyrillic
letters folded to their Russian look-alikes (a phone without a Tajik keyboard types `х` for
`ҳ`), Uzbek apostrophes (ʻ ʼ ‘ ’ `) as `'`, marks and joiners dropped, runs of spaces made one,
and punctuation, symbols and spaces trimmed from both ends (`STOP!`, `1.`, ` стоп `).
"""

from __future__ import annotations

import re
import unicodedata

_FOLD = str.maketrans(
    {
        # Uzbek Latin oʻ/gʻ are typed with whatever apostrophe the keyboard has.
        "\u02bb": "'",
        "\u02bc": "'",
        "\u2018": "'",
        "\u2019": "'",
        "`": "'",
        "\u00b4": "'",
        # Arabic and Persian keyboards give different code points for the same letter.
        "\u064a": "\u06cc",  # ي → ی
        "\u0649": "\u06cc",  # ى → ی
        "\u0643": "\u06a9",  # ك → ک
        "\u0640": None,  # tatweel
        "\u200c": None,  # zero-width non-joiner (Persian half-space)
        "\u200d": None,  # zero-width joiner
        # Central Asian Cyrillic letters → the Russian letter typed in their place.
        "ҷ": "ч",
        "ҳ": "х",
        "ӯ": "у",
        "ӣ": "и",
        "қ": "к",
        "ғ": "г",
        "ө": "о",
        "ү": "у",
        "ң": "н",
        "ў": "у",
        "ё": "е",
    }
)

_SPACES = re.compile(r"\s+")


def normalise_reply(text: str) -> str:
    """The comparable form of a reply or keyword (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)
    text = "".join(_plain_char(ch) for ch in text)
    text = _SPACES.sub(" ", text)
    return _trim(text)


def _plain_char(ch: str) -> str:
    """One character as compared: digits as ASCII, combining marks (harakat) dropped."""
    digit = unicodedata.decimal(ch, None)
    if digit is not None:
        return str(digit)
    if unicodedata.category(ch) == "Mn":
        return ""
    return ch


def _trim(text: str) -> str:
    """Strip punctuation, symbols, spaces and controls from both ends."""
    start, end = 0, len(text)
    while start < end and _is_edge(text[start]):
        start += 1
    while end > start and _is_edge(text[end - 1]):
        end -= 1
    return text[start:end]


def _is_edge(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PSZC"
