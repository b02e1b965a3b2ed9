"""Walking the app's URL map in tests: every rule, the values to fill it with, its declared action.

Tests built on this cover a route as soon as it is added, without naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select

from outreach.extensions import db
from outreach.models import (
    Call,
    CallbackRequest,
    Campaign,
    CampaignStatus,
    ContactList,
    ImportJob,
    JobStatus,
    Region,
    TestPhone,
)

INT_ARGUMENT = re.compile(r"<int(?:\([^)]*\))?:(\w+)>")
ANY_ARGUMENT = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>")
# Served to anyone (or to the provider, which signs): nothing to declare.
PUBLIC_ENDPOINTS = {
    "static",
    "layout.static",
    "auth.login",
    "auth.logout",
    "api.openapi",
    "audio.serve",  # Twilio fetches <Play> URLs without credentials
}
PUBLIC_PREFIXES = ("webhooks.",)


@dataclass(frozen=True)
class Route:
    rule: str
    endpoint: str
    method: str
    action: str | None
    int_args: tuple[str, ...]
    int_query_args: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.endpoint.startswith("api.")


def routes(app: Flask) -> list[Route]:
    """Every rule and method of the app, with what its view declares."""
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append(
                Route(
                    rule=rule.rule,
                    endpoint=rule.endpoint,
                    method=method,
                    action=getattr(view, "required_action", None),
                    int_args=tuple(INT_ARGUMENT.findall(rule.rule)),
                    int_query_args=tuple(getattr(view, "int_query_args", ())),
                )
            )
    return found


def is_public(route: Route) -> bool:
    return route.endpoint in PUBLIC_ENDPOINTS or route.endpoint.startswith(PUBLIC_PREFIXES)


def fill(rule: str, values: dict, **overrides) -> str:
    """The rule as a path: each argument from `overrides`, else `values`."""
    given = {**values, **overrides}
    return ANY_ARGUMENT.sub(lambda m: str(given[m.group(1)]), rule)


def records_of(make_contact, region_code: str = "pk-isb") -> dict:
    """One record of each kind in a region, as the values for every rule's arguments."""
    region = db.session.execute(select(Region).where(Region.code == region_code)).scalar_one()
    contact = make_contact(region_code=region_code, lists=("Returnees",))
    contact_list = db.session.execute(
        select(ContactList).where(ContactList.region_id == region.id)
    ).scalar_one()
    campaign = Campaign(
        name="Safe migration",
        topic="irregular-migration",
        channel="sms",
        status=CampaignStatus.DRAFT,
        texts={"en": "Hello"},
        rate_per_second=1,
        regions=[region],
    )
    job = ImportJob(
        region_id=region.id,
        consent_source="registration desk",
        filename="people.csv",
        path="/nonexistent/people.csv",
        status=JobStatus.DONE,
        rejections=[],
    )
    test_phone = TestPhone(phone="+923001234999", label="Field phone", region_id=region.id)
    call = Call(direction="outbound", contact_id=contact.id, to_phone=contact.phone)
    db.session.add_all([campaign, job, test_phone, call])
    db.session.flush()
    callback = CallbackRequest(
        contact_id=contact.id, region_id=region.id, channel="staff", due_at=contact.created_at
    )
    db.session.add(callback)
    db.session.commit()
    return {
        "contact_id": contact.id,
        "list_id": contact_list.id,
        "campaign_id": campaign.id,
        "job_id": job.id,
        "test_phone_id": test_phone.id,
        "callback_id": callback.id,
        "code": region.code,
        "country": region.country,
        "action": "pause",
        "filename": "app.css",
        "topic": "job-fair",
        "prompt": "start",
        "language": "en",
        "sha256": "0" * 64,
        "ext": "wav",
        "call_id": call.id,
        "node": "start",
    }
