"""The values a message's placeholders take: built in one place for every text that goes out."""

from __future__ import annotations

from collections.abc import Mapping

from outreach.models import Contact, Region

# What segments and previews are estimated with: a long name and a full MRC name and number.
SAMPLE_VALUES = {"name": "Abdulrahman", "mrc_name": "MRC Islamabad", "mrc_phone": "+92 51 1234567"}


def message_values(
    region: Region | None,
    contact: Contact | None = None,
    fields: Mapping[str, object] | None = None,
) -> dict[str, str]:
    """A campaign's `fields`, the person's `name` and their MRC's `mrc_name` and `mrc_phone`.

    A blank value drops out of the text (see `render_text`): no name, or an MRC without a phone.
    """
    return {
        **{key: str(value) for key, value in (fields or {}).items()},
        "name": (contact.name if contact else None) or "",
        "mrc_name": region.name if region else "MRC",
        "mrc_phone": (region.phone or region.sender_number or "") if region else "",
    }
