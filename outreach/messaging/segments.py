"""SMS length: encoding, segments and billable units, and the cost estimate before launch.

GSM 03.38 (3GPP TS 23.038): a text made only of the default alphabet and its extension table
travels as GSM-7 — 160 septets in one message, 153 per part once it is split (the user data
header takes the rest). Extension characters (`^{}\\[~]|€` and form feed) are an escape plus
a character: two septets, and a part never ends between the two. Anything else (Cyrillic,
Arabic script, emoji, curly quotes) sends the whole text as UCS-2: 70 UTF-16 code units, 67
per part; an emoji outside the BMP is a surrogate pair (two units) that a part never splits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

# The default alphabet (ESC, 0x1B, only introduces an extension character).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class Segments:
    """How a text travels: its encoding, the number of SMS parts, and its length in units.

    `units` are septets for GSM-7 and UTF-16 code units for UCS-2. An empty text is zero
    segments: there is nothing to send or pay for.
    """

    encoding: Encoding
    segments: int
    units: int


def is_gsm7(text: str) -> bool:
    """Whether every character is in the GSM-7 default alphabet or its extension table."""
    return all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text)


def count_segments(text: str) -> Segments:
    """The encoding, SMS parts and units of a text, as a phone network counts them."""
    if is_gsm7(text):
        widths = [2 if ch in GSM_EXTENSION else 1 for ch in text]
        return Segments("GSM-7", _parts(widths, GSM_SINGLE, GSM_PART), sum(widths))
    widths = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return Segments("UCS-2", _parts(widths, UCS2_SINGLE, UCS2_PART), sum(widths))


def _parts(widths: list[int], single: int, part: int) -> int:
    """Parts needed for characters of these widths; a character never straddles two parts."""
    total = sum(widths)
    if total == 0:
        return 0
    if total <= single:
        return 1
    parts, used = 1, 0
    for width in widths:
        if used + width > part:
            parts, used = parts + 1, 0
        used += width
    return parts


class MissingPrice(ValueError):
    """Some countries in the audience have no price per segment."""

    def __init__(self, countries: list[str]) -> None:
        self.countries = countries
        super().__init__(f"no price per segment for: {', '.join(countries)}")


def estimate_cost(
    segments_by_country: Mapping[str, int],
    price_per_segment: Mapping[str, Decimal],
    default_price: Decimal | None = None,
) -> Decimal:
    """Total segments per country times that country's price (MissingPrice when unknown).

    `segments_by_country` maps an ISO country code of the recipients' numbers to the total
    segments to send there (recipients × segments of their text); a country with no price
    uses `default_price`, and without one the estimate fails rather than under-count.
    """
    missing = sorted(c for c, n in segments_by_country.items() if n and c not in price_per_segment)
    if missing and default_price is None:
        raise MissingPrice(missing)
    total = Decimal(0)
    for country, count in segments_by_country.items():
        if count < 0:
            raise ValueError(f"negative segment count for {country}: {count}")
        total += Decimal(count) * Decimal(price_per_segment.get(country, default_price or 0))
    return total
