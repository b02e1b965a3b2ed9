"""Contact lists: the user's lists with their sizes, a new list, one list's members."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from outreach.access import Scope
from outreach.contacts.lists import create_list, get_list, lists_with_counts
from outreach.contacts.privacy import shown_phones
from outreach.contacts.service import ContactFilters, search_contacts
from outreach.errors import Conflict, ValidationFailed
from outreach.extensions import db
from outreach.models import utcnow
from outreach.permissions import Action
from outreach.regions import list_regions, region_by_code
from outreach.web.guard import requires
from outreach.web.inputs import int_query
from outreach.web.layout import page_arg

bp = Blueprint("lists", __name__, template_folder="templates")

PER_PAGE = 50


class ListForm(FlaskForm):
    region = SelectField("Region", validators=[DataRequired()])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])


@bp.route("/lists")
@requires(Action.LISTS_READ)
def index():
    """The lists of the user's regions (or of one region), each with its number of contacts."""
    scope = Scope.for_user(current_user)
    code = request.args.get("region", "").strip()
    region = region_by_code(db.session, scope, code) if code else None
    rows = lists_with_counts(db.session, scope, region.id if region else None)
    return render_template("lists/index.html", rows=rows, region=region)


@bp.route("/lists/new", methods=["GET", "POST"])
@requires(Action.LISTS_WRITE)
def new():
    """A new, empty list in one of the user's regions."""
    scope = Scope.for_user(current_user)
    form = ListForm(region=request.args.get("region"))
    form.region.choices = [
        SelectChoice(value=r.code, label=f"{r.code} · {r.name}")
        for r in list_regions(db.session, scope)
    ]
    if form.validate_on_submit():
        try:
            created = create_list(
                db.session,
                scope,
                region_by_code(db.session, scope, form.region.data),
                form.name.data,
                (form.description.data or "").strip() or None,
            )
        except (ValidationFailed, Conflict) as exc:
            db.session.rollback()
            form.name.errors = [*form.name.errors, exc.message]
        else:
            db.session.commit()
            flash(f"List “{created.name}” created.", "success")
            return redirect(url_for("lists.show", list_id=created.id))
    status = 422 if request.method == "POST" else 200
    return render_template("lists/new.html", form=form), status


@bp.route("/lists/<int:list_id>")
@requires(Action.LISTS_READ)
@int_query("page")
def show(list_id: int):
    """One list and its members, 50 a page."""
    scope = Scope.for_user(current_user)
    contact_list = get_list(db.session, scope, list_id)
    page = search_contacts(
        db.session, scope, ContactFilters(list_id=contact_list.id), page_arg(), PER_PAGE
    )
    phones = shown_phones(db.session, scope, page.items, utcnow())
    return render_template("lists/show.html", contact_list=contact_list, page=page, phones=phones)
