"""Phone numbers: parse anything a person or a spreadsheet wrote, keep E.164."""

from __future__ import annotations

import phonenumbers
from phonenumbers import timezone as phone_timezone

from outreach.errors import ValidationFailed

MISSING = "missing phone"
INVALID = "not a valid number"

_TYPE = phonenumbers.PhoneNumberType
# Only a mobile receives an SMS for sure. FIXED_LINE_OR_MOBILE is where the numbering plan
# does not tell them apart (the USA, Canada); a plain landline is refused, as is every number
# that costs the sender more or reaches no handset of its own.
SMS_TYPES = frozenset({_TYPE.MOBILE, _TYPE.FIXED_LINE_OR_MOBILE})
_TYPE_NAMES = {
    _TYPE.FIXED_LINE: "a landline",
    _TYPE.PREMIUM_RATE: "a premium-rate number",
    _TYPE.TOLL_FREE: "a toll-free number",
    _TYPE.SHARED_COST: "a shared-cost number",
    _TYPE.VOIP: "an internet (VoIP) number",
    _TYPE.PERSONAL_NUMBER: "a personal forwarding number",
    _TYPE.PAGER: "a pager",
    _TYPE.UAN: "a company (UAN) number",
    _TYPE.VOICEMAIL: "a voicemail number",
}


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


def sms_number_problem(e164: str) -> str | None:
    """Why an E.164 number cannot receive an SMS (not a mobile), or None when it can."""
    kind = phonenumbers.number_type(phonenumbers.parse(e164))
    if kind in SMS_TYPES:
        return None
    name = _TYPE_NAMES.get(kind, "a number of unknown type")
    return f"{name} cannot receive text messages: only mobile numbers can"


def time_zones_for(e164: str) -> tuple[str, ...]:
    """The IANA time zones phonenumbers knows for a number (empty when it does not know)."""
    zones = phone_timezone.time_zones_for_number(phonenumbers.parse(e164))
    return tuple(z for z in zones if z != phone_timezone.UNKNOWN_TIMEZONE)


def mask_phone(e164: str) -> str:
    """`+92300*****67`: the country and network, and the last two digits; the rest hidden."""
    # Five or more hidden digits: too many to guess from a list, yet enough shown to tell two
    # people apart and for a person to recognise their own number read back to them.
    if len(e164) <= 7:
        return "*" * len(e164)
    return e164[:6] + "*" * (len(e164) - 8) + e164[-2:]
