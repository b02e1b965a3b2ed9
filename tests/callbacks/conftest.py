"""Call-back fixtures: a request for a person, counsellors of a region, the queue's clock."""

from __future__ import annotations

from datetime import datetime

import pytest
from callback_support import MONDAY_10

from outreach.callbacks.service import CallbackSource, request_callback
from outreach.extensions import db


@pytest.fixture
def ask(app):
    """Queue a call-back for a person (committed): `ask(person, "ivr", at)` → the request."""

    def make(person, channel: str = "ivr", at: datetime = MONDAY_10, **source):
        requested = request_callback(db.session, person, CallbackSource(channel, **source), at)
        db.session.commit()
        return requested.request

    return make


@pytest.fixture
def counsellor(make_user):
    """A committed counsellor of a region: `counsellor("kg-osh")`."""

    def make(region_code: str = "kg-osh", **kw):
        return make_user("counsellor", [region_code], **kw)

    return make


_osh_numbers = iter(range(100001, 999999))


@pytest.fixture
def osh_person(make_contact):
    """A committed, opted-in contact of MRC Osh with a Kyrgyz mobile number."""

    def make(language: str = "ky", **kw):
        return make_contact("kg-osh", phone=f"+996555{next(_osh_numbers)}", language=language, **kw)

    return make
