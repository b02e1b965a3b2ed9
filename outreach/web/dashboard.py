"""The dashboard: the user's regions at a glance."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from outreach.access import Scope
from outreach.contacts.summary import region_summaries
from outreach.extensions import db

bp = Blueprint("dashboard", __name__, template_folder="templates")


@bp.route("/")
@login_required
def index():
    """Per visible region: contacts opted in and out, and lists."""
    summaries = region_summaries(db.session, Scope.for_user(current_user))
    return render_template("dashboard/index.html", summaries=summaries)
