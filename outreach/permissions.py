"""Which role may do what: the one rule the web UI, the API and the services all apply.

Region scoping (`outreach.access.Scope`) says *which records* a user sees; this says *what they
may do* with them. Every view declares its action (`outreach.web.guard.requires`, or `action=`
on the API registry), so the rule is written here once and read from the URL map in tests.

Counsellors work the call-back queue of their own regions (claim, call, record attempts;
coordinators follow the queue but do not work it; admins may also reassign). They read
contacts (they need the person's history), lists and campaigns, and they may record an
opt-out — a counsellor on the phone who hears "stop contacting me" must be able to stop the
messages at once. They may not
create or change contacts or lists, import, opt anyone in, run campaigns or use the simulator.
"""

from __future__ import annotations

import enum

from outreach.errors import Forbidden
from outreach.models import ConsentAction, Role


class Action(enum.StrEnum):
    CONTACTS_READ = "contacts.read"
    CONTACTS_WRITE = "contacts.write"
    CONTACTS_EXPORT = "contacts.export"
    CONSENT_OPT_IN = "consent.opt_in"
    CONSENT_OPT_OUT = "consent.opt_out"
    LISTS_READ = "lists.read"
    LISTS_WRITE = "lists.write"
    IMPORT = "import"
    CAMPAIGNS_READ = "campaigns.read"
    CAMPAIGNS_MANAGE = "campaigns.manage"
    SIMULATOR = "simulator"
    REGIONS_READ = "regions.read"
    REGIONS_EDIT = "regions.edit"
    PRICES_EDIT = "prices.edit"
    TEST_PHONES_EDIT = "test_phones.edit"
    PROMPTS_MANAGE = "prompts.manage"
    CALLBACKS_READ = "callbacks.read"
    CALLBACKS_WORK = "callbacks.work"
    CALLBACKS_REQUEST = "callbacks.request"
    CALLBACKS_REASSIGN = "callbacks.reassign"


CONSENT_ACTIONS = {
    ConsentAction.OPT_IN: Action.CONSENT_OPT_IN,
    ConsentAction.OPT_OUT: Action.CONSENT_OPT_OUT,
}

_STAFF = frozenset(Role)
_MANAGERS = frozenset({Role.ADMIN, Role.COORDINATOR})
_ADMINS = frozenset({Role.ADMIN})
# Notes of a call may hold health information, readable only by counsellors and admins: so
# the calls are made and recorded by them. Coordinators follow the queue and ask for calls.
_CALLERS = frozenset({Role.ADMIN, Role.COUNSELLOR})

ALLOWED: dict[Action, frozenset[Role]] = {
    Action.CONTACTS_READ: _STAFF,
    Action.CONTACTS_WRITE: _MANAGERS,
    Action.CONTACTS_EXPORT: _MANAGERS,
    Action.CONSENT_OPT_IN: _MANAGERS,
    Action.CONSENT_OPT_OUT: _STAFF,
    Action.LISTS_READ: _STAFF,
    Action.LISTS_WRITE: _MANAGERS,
    Action.IMPORT: _MANAGERS,
    Action.CAMPAIGNS_READ: _STAFF,
    Action.CAMPAIGNS_MANAGE: _MANAGERS,
    Action.SIMULATOR: _MANAGERS,
    Action.REGIONS_READ: _STAFF,
    Action.REGIONS_EDIT: _ADMINS,
    Action.PRICES_EDIT: _ADMINS,
    Action.TEST_PHONES_EDIT: _ADMINS,
    Action.PROMPTS_MANAGE: _MANAGERS,
    Action.CALLBACKS_READ: _STAFF,
    Action.CALLBACKS_WORK: _CALLERS,
    Action.CALLBACKS_REQUEST: _STAFF,
    Action.CALLBACKS_REASSIGN: _ADMINS,
}

_REFUSALS = {
    Action.CONTACTS_WRITE: "only coordinators and admins may create or change contacts",
    Action.CONTACTS_EXPORT: "only coordinators and admins may export contacts",
    Action.CONSENT_OPT_IN: "only coordinators and admins may record an opt-in",
    Action.LISTS_WRITE: "only coordinators and admins may create or change lists",
    Action.IMPORT: "only coordinators and admins may import contacts",
    Action.CAMPAIGNS_MANAGE: "only coordinators and admins may change campaigns",
    Action.SIMULATOR: "only coordinators and admins may use the phone simulator",
    Action.REGIONS_EDIT: "only admins may add or change regions",
    Action.PRICES_EDIT: "only admins may set prices",
    Action.TEST_PHONES_EDIT: "only admins may register test phones",
    Action.PROMPTS_MANAGE: "only coordinators and admins may see and upload voice prompts",
    Action.CALLBACKS_WORK: "only counsellors and admins claim and record call-backs",
    Action.CALLBACKS_REASSIGN: "only admins may reassign a call-back",
}


def may(role: Role | str | None, action: Action) -> bool:
    """Whether `role` may do `action`; no role at all is a command-line tool or a system job."""
    if role is None:
        return True
    try:
        return Role(role) in ALLOWED[action]
    except ValueError:  # a role this version does not know may do nothing
        return False


def everyone_may(action: Action) -> bool:
    """Whether every role may do `action` (the API then never answers 403 for it)."""
    return ALLOWED[action] == _STAFF


def check(role: Role | str | None, action: Action) -> None:
    """Raise Forbidden (403) unless `role` may do `action`."""
    if not may(role, action):
        raise Forbidden(_REFUSALS.get(action, "your role may not do this"), code="forbidden")
