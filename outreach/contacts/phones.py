"""Phone numbers: parse anything a person or a spreadsheet wrote, keep E.164."""

from __future__ import annotations

import phonenumbers
from phonenumbers import timezone as phone_timezone

from outreach.errors import ValidationFailed

MISSING = "missing phone"
INVALID = "not a valid number"


class InvalidPhone(ValidationFailed):
    """A phone number that cannot be a contact's; `message` is the reason shown to staff."""


def normalise_phone(raw: str | None, default_country: str) -> str:
    """E.164 for `raw`; local formats are read as numbers of `default_country` (ISO 3166 alpha-2).

    Numbers of any country are accepted when written internationally: many contacts are
    migrants abroad with a foreign SIM.
    """
    if raw is None or not raw.strip():
        raise InvalidPhone(MISSING)
    try:
        number = phonenumbers.parse(raw, default_country)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(INVALID) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(INVALID)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def time_zones_for(e164: str) -> tuple[str, ...]:
    """The IANA time zones phonenumbers knows for a number (empty when it does not know)."""
    zones = phone_timezone.time_zones_for_number(phonenumbers.parse(e164))
    return tuple(z for z in zones if z != phone_timezone.UNKNOWN_TIMEZONE)


def mask_phone(e164: str) -> str:
    """A number with its middle hidden, for lists and logs: +92300•••4567."""
    if len(e164) <= 8:
        return e164
    return f"{e164[:6]}•••{e164[-4:]}"
