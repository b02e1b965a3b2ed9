"""`message_values`: the one builder of what a message's placeholders take."""

from __future__ import annotations

from outreach.content import message_values, render_text
from outreach.content.render import BASE_FIELDS
from outreach.models import Contact, Region


def test_values_name_the_person_and_their_mrc_and_carry_the_campaigns_fields():
    region = Region(code="kg-osh", name="MRC Osh", phone=None, sender_number="+996312000000")
    contact = Contact(phone="+996700000001", name="Айгуль", language="ky")
    values = message_values(region, contact, {"event_date": 30})
    assert values == {
        "event_date": "30",
        "name": "Айгуль",
        "mrc_name": "MRC Osh",
        "mrc_phone": "+996312000000",  # the sender number when the MRC has no phone of its own
    }
    assert set(values) >= BASE_FIELDS


def test_without_a_person_or_a_known_mrc_the_blanks_drop_out():
    assert message_values(None) == {"name": "", "mrc_name": "MRC", "mrc_phone": ""}
    region = Region(code="tj-dyu", name="MRC Dushanbe", phone="+992 37 555 0105")
    text = render_text("Hello {name}! {mrc_name}: {mrc_phone}", message_values(region))
    assert text == "Hello! MRC Dushanbe: +992 37 555 0105"
