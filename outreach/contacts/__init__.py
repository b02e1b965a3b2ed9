"""Contacts: phone numbers, consent, lists and imports."""
