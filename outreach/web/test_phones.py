"""The admin's register of test phones: staff phones that test sends and the simulator may use."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length

from outreach.access import Scope
from outreach.accounts.directory import emails_by_id
from outreach.contacts.phones import mask_phone
from outreach.errors import Conflict, ValidationFailed
from outreach.extensions import db
from outreach.models import utcnow
from outreach.permissions import Action
from outreach.regions import list_regions
from outreach.testphones.service import (
    TestPhoneInput,
    add_test_phone,
    remove_test_phone,
    usable_test_phones,
)
from outreach.web.guard import requires

bp = Blueprint("test_phones", __name__, template_folder="templates")


class TestPhoneForm(FlaskForm):
    __test__ = False  # a form, not a pytest test class

    phone = StringField("Phone number", validators=[Length(max=32)])
    label = StringField("Label", validators=[Length(max=120)])
    region = SelectField("Region", choices=[], validate_choice=False)
    owner = StringField("Owner's email", validators=[Length(max=254)])


class DeleteForm(FlaskForm):
    """Only the CSRF token."""


def _admin_scope() -> Scope:
    """An admin's scope; the views require `Action.TEST_PHONES_EDIT`."""
    return Scope.for_user(current_user)


@bp.route("/settings/test-phones", methods=["GET", "POST"])
@requires(Action.TEST_PHONES_EDIT)
def index():
    """Every test phone; the form registers one."""
    scope = _admin_scope()
    form = TestPhoneForm()
    form.region.choices = [("", "— none —")] + [
        (r.code, f"{r.code} · {r.name}") for r in list_regions(db.session, scope)
    ]
    if form.validate_on_submit():
        data = TestPhoneInput(form.phone.data, form.label.data, form.region.data, form.owner.data)
        try:
            added = add_test_phone(db.session, scope, data, utcnow())
        except (ValidationFailed, Conflict) as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            db.session.commit()
            flash(f"Test phone {added.phone} ({added.label}) added.", "success")
            return redirect(url_for("test_phones.index"))
    phones = usable_test_phones(db.session, scope)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "test_phones/index.html",
        form=form,
        phones=phones,
        creators=emails_by_id(db.session, (p.created_by_id for p in phones)),
        delete_form=DeleteForm(),
    ), status


def _attach(form: TestPhoneForm, exc: ValidationFailed | Conflict) -> None:
    details = exc.details if isinstance(exc.details, dict) else {}
    problems = {details["field"]: exc.message} if "field" in details else details
    for name, message in problems.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [*field.errors, message]
    if not any(name in form._fields for name in problems):
        flash(exc.message, "error")


@bp.route("/settings/test-phones/<int:test_phone_id>/delete", methods=["POST"])
@requires(Action.TEST_PHONES_EDIT)
def delete(test_phone_id: int):
    """Take a test phone off the register."""
    scope = _admin_scope()
    if not DeleteForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    removed = remove_test_phone(db.session, scope, test_phone_id)
    db.session.commit()
    flash(f"Test phone {mask_phone(removed.phone)} ({removed.label}) removed.", "success")
    return redirect(url_for("test_phones.index"))
