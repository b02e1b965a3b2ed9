"""Contacts: search and filter, one contact's page with its consent history, CSV export."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from outreach.access import Scope
from outreach.accounts.directory import emails_by_id
from outreach.contacts.export import begin_export, export_lines
from outreach.contacts.lists import lists_with_counts
from outreach.contacts.privacy import sees_every_number, shown_phone, shown_phones
from outreach.contacts.service import (
    ContactFilters,
    change_consent,
    consent_history,
    search_contacts,
    view_contact,
)
from outreach.extensions import db
from outreach.models import ConsentAction, ConsentChannel, ConsentState, utcnow
from outreach.permissions import Action, may
from outreach.regions import list_regions
from outreach.web.guard import requires
from outreach.web.inputs import int_arg, int_query
from outreach.web.layout import page_arg

bp = Blueprint("contacts", __name__, template_folder="templates")

PER_PAGE = 50
FILTER_ARGS = ("q", "region", "list", "consent")


class ConsentForm(FlaskForm):
    source = StringField("Source", validators=[DataRequired(), Length(max=500)])


def _filters() -> ContactFilters:
    """The search's filters from the query string; values that cannot apply are ignored."""
    consent = request.args.get("consent", "").strip()
    return ContactFilters(
        text=request.args.get("q", "").strip() or None,
        region_code=request.args.get("region", "").strip().lower() or None,
        list_id=int_arg("list"),
        consent=consent if consent in set(ConsentState) else None,
    )


def _filter_args() -> dict:
    return {k: v for k in FILTER_ARGS if (v := request.args.get(k, "").strip())}


@bp.route("/contacts")
@requires(Action.CONTACTS_READ)
@int_query("page", "list")
def index():
    """Search by name or phone, filter by region, list and consent; 50 a page."""
    scope = Scope.for_user(current_user)
    page = search_contacts(db.session, scope, _filters(), page_arg(), PER_PAGE)
    return render_template(
        "contacts/index.html",
        page=page,
        phones=shown_phones(db.session, scope, page.items, utcnow()),
        partial_digits=sees_every_number(scope),
        args=_filter_args(),
        regions=list_regions(db.session, scope),
        lists=[lst for lst, _count in lists_with_counts(db.session, scope)],
        may_export=may(current_user.role, Action.CONTACTS_EXPORT),
    )


@bp.route("/contacts/export.csv")
@requires(Action.CONTACTS_EXPORT)
@int_query("list")
def export():
    """The contacts the current filters find, as CSV; the export is audited before it streams."""
    scope = Scope.for_user(current_user)
    filters = _filters()
    begin_export(db.session, scope, filters)
    db.session.commit()
    return Response(
        stream_with_context(export_lines(db.session, scope, filters)),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="contacts.csv"'},
    )


@bp.route("/contacts/<int:contact_id>")
@requires(Action.CONTACTS_READ)
def show(contact_id: int):
    """A contact's page; viewing it is audited."""
    scope = Scope.for_user(current_user)
    contact = view_contact(db.session, scope, contact_id, channel="web")
    history = consent_history(db.session, contact)
    phone = shown_phone(db.session, scope, contact, utcnow())
    db.session.commit()
    return render_template(
        "contacts/show.html",
        contact=contact,
        phone=phone,
        phone_in_full=phone == contact.phone,
        history=history,
        staff=emails_by_id(db.session, (event.user_id for event in history)),
        opt_out_form=ConsentForm(formdata=None),
        opt_in_form=ConsentForm(formdata=None),
    )


@bp.route("/contacts/<int:contact_id>/opt-out", methods=["POST"])
@requires(Action.CONSENT_OPT_OUT)
def opt_out(contact_id: int):
    """Staff record that the person asked to stop (counsellors too: they hear it on the phone)."""
    return _record(contact_id, ConsentAction.OPT_OUT, "Opt-out recorded.")


@bp.route("/contacts/<int:contact_id>/opt-in", methods=["POST"])
@requires(Action.CONSENT_OPT_IN)
def opt_in(contact_id: int):
    """Staff record the person's new, explicit consent."""
    return _record(contact_id, ConsentAction.OPT_IN, "Opt-in recorded.")


def _record(contact_id: int, action: ConsentAction, done: str):
    form = ConsentForm()
    if not form.validate_on_submit():
        flash("Say where the request came from (the source) before recording it.", "error")
        return redirect(url_for("contacts.show", contact_id=contact_id))
    change_consent(
        db.session,
        Scope.for_user(current_user),
        contact_id,
        action,
        ConsentChannel.WEB,
        form.source.data,
    )
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("contacts.show", contact_id=contact_id))
