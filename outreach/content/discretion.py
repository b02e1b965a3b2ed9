"""Discretion for sensitive topics: what someone else may see or hear must not name the topic.

A sensitive topic (HIV testing) lists its `sensitive_words` in every script it may be written
in. Its first SMS, the first prompt of its call and its voicemail message — what shows on a
shared screen or plays to whoever picks up — must contain none of them: they name the MRC and
"health services", and the details follow only when the person replies or presses `1`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

_JOINERS = re.compile(r"[\u200c\u200d\u00ad\u2011\-]+")  # ZWNJ, ZWJ, soft and hard hyphens


def _normalise(text: str) -> str:
    """Casefolded, with joiners read as spaces, so اچ‌آی‌وی (with ZWNJ) = اچ آی وی."""
    return " ".join(_JOINERS.sub(" ", text).casefold().split())


def _pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """One regex matching any of the words as whole words."""
    alternatives = sorted({_normalise(w) for w in words if w.strip()}, key=len, reverse=True)
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, alternatives)) + r")(?!\w)")


def named_words(text: str, words: Iterable[str]) -> list[str]:
    """The sensitive words a text contains (whole words, any case, joiners ignored)."""
    pattern = _pattern(words)
    return pattern.findall(_normalise(text)) if pattern else []


def indiscretions(
    places: Mapping[str, Mapping[str, str]], words: Iterable[str]
) -> Iterator[tuple[str, str]]:
    """(node, problem) for each text under `places` (node → language → text) naming the topic."""
    words = tuple(words)
    for node, texts in places.items():
        for lang, text in texts.items():
            found = named_words(text, words)
            if found:
                yield (
                    f"{node}.{lang}",
                    f"a sensitive topic must not name itself here ({found[0]!r}); "
                    "say 'health services' and give the details after 1",
                )
