"""The dashboard: the user's regions at a glance."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from outreach.access import Scope
from outreach.contacts.summary import region_summaries
from outreach.extensions import db
from outreach.permissions import Action
from outreach.web.guard import requires

bp = Blueprint("dashboard", __name__, template_folder="templates")


@bp.route("/")
@requires(Action.REGIONS_READ)
def index():
    """Per visible region: contacts opted in and out, and lists."""
    summaries = region_summaries(db.session, Scope.for_user(current_user))
    return render_template("dashboard/index.html", summaries=summaries)
