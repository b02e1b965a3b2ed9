"""The languages the MRCs work in, and reading a language given loosely (code or name)."""

from __future__ import annotations

LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("English", "English"),
    "ur": ("Urdu", "اردو"),
    "ps": ("Pashto", "پښتو"),
    "fa-AF": ("Dari", "دری"),
    "tg": ("Tajik", "Тоҷикӣ"),
    "ru": ("Russian", "Русский"),
    "ky": ("Kyrgyz", "Кыргызча"),
    "uz": ("Uzbek", "Oʻzbekcha"),
}

_ALIASES = {
    **{code.lower(): code for code in LANGUAGES},
    **{english.lower(): code for code, (english, _) in LANGUAGES.items()},
    **{native.lower(): code for code, (_, native) in LANGUAGES.items()},
    "fa": "fa-AF",
    "prs": "fa-AF",
    "fa_af": "fa-AF",
    "persian": "fa-AF",
    "farsi": "fa-AF",
    "pashtu": "ps",
    "pushto": "ps",
    "tajiki": "tg",
    "kirghiz": "ky",
    "kyrgyzstan": "ky",
}


def parse_language(raw: str | None) -> str | None:
    """The language code for a code or name in any case (`fa-af`, `Dari`, `Русский`), or None."""
    if raw is None:
        return None
    return _ALIASES.get(raw.strip().lower())


def language_name(code: str) -> str:
    """The English name of a language code, or the code itself when unknown."""
    return LANGUAGES.get(code, (code, code))[0]


def language_key(code: str) -> str:
    """The hotline key that picks a language: its place in LANGUAGES (English 1 … Uzbek 8).

    Fixed across MRCs, so a recorded "For Urdu, press 2" is right on every hotline."""
    return str(list(LANGUAGES).index(code) + 1)


def language_for_key(key: str, offered: list[str]) -> str | None:
    """The language among `offered` whose hotline key this is, or None."""
    return next((code for code in offered if code in LANGUAGES and language_key(code) == key), None)
