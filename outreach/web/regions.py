"""Regions (MRCs): everyone sees their own; admins add and edit them."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, Optional

from outreach.access import Scope
from outreach.errors import Conflict, ValidationFailed
from outreach.extensions import db
from outreach.languages import LANGUAGES
from outreach.permissions import Action
from outreach.regions import (
    RegionInput,
    format_minutes,
    list_regions,
    region_by_code,
    save_region,
)
from outreach.web.guard import requires
from outreach.web.layout import WEEKDAYS

bp = Blueprint("regions", __name__, template_folder="templates")


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class RegionForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=32)])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    country = StringField("Country", validators=[DataRequired(), Length(min=2, max=2)])
    timezone = StringField("Time zone", validators=[DataRequired(), Length(max=64)])
    languages = StringField("Languages", validators=[DataRequired(), Length(max=200)])
    window_start = StringField("Sending window from", default="09:00")
    window_end = StringField("Sending window until", default="20:00")
    counsellor_days = CheckboxesField(
        "Counsellor days",
        choices=[SelectChoice(value=i, label=day) for i, day in enumerate(WEEKDAYS)],
        coerce=int,
        default=[0, 1, 2, 3, 4],
    )
    counsellor_start = StringField("Counsellors from", default="09:00")
    counsellor_end = StringField("Counsellors until", default="17:00")
    phone = StringField("MRC phone number", validators=[Optional(), Length(max=32)])
    sender_number = StringField("Sender number", validators=[Optional(), Length(max=32)])
    hotline = SelectField(
        "Hotline",
        choices=[
            SelectChoice(value="menu", label="Voice menu"),
            SelectChoice(value="missed_call", label="Missed call: reject, then call back"),
            SelectChoice(value="off", label="Closed"),
        ],
        default="menu",
    )

    def to_input(self) -> RegionInput:
        """The form's values as the service's input."""
        return RegionInput(
            code=self.code.data,
            name=self.name.data,
            country=self.country.data,
            timezone=self.timezone.data,
            languages=[part.strip() for part in self.languages.data.split(",")],
            window_start=self.window_start.data,
            window_end=self.window_end.data,
            counsellor_days=list(self.counsellor_days.data or []),
            counsellor_start=self.counsellor_start.data,
            counsellor_end=self.counsellor_end.data,
            phone=self.phone.data,
            sender_number=self.sender_number.data,
            hotline=self.hotline.data,
        )


@bp.route("/regions")
@requires(Action.REGIONS_READ)
def index():
    """The regions the user may see, with their settings."""
    regions = list_regions(db.session, Scope.for_user(current_user))
    return render_template("regions/index.html", regions=regions)


@bp.route("/regions/new", methods=["GET", "POST"])
@requires(Action.REGIONS_EDIT)
def new():
    """An admin adds a region."""
    scope = Scope.for_user(current_user)
    form = RegionForm()
    return _save(form, scope, None) or _render(form, None)


@bp.route("/regions/<code>/edit", methods=["GET", "POST"])
@requires(Action.REGIONS_EDIT)
def edit(code: str):
    """An admin changes a region."""
    scope = Scope.for_user(current_user)
    region = region_by_code(db.session, scope, code)
    if request.method == "POST":
        form = RegionForm()
    else:
        form = RegionForm(obj=region)
        _fill(form, region)
    return _save(form, scope, region) or _render(form, region)


def _fill(form: RegionForm, region) -> None:
    form.languages.data = ", ".join(region.languages)
    form.window_start.data = format_minutes(region.window_start)
    form.window_end.data = format_minutes(region.window_end)
    hours = region.counsellor_hours or {}
    form.counsellor_days.data = hours.get("days", [])
    form.counsellor_start.data = hours.get("start", "09:00")
    form.counsellor_end.data = hours.get("end", "17:00")


def _save(form: RegionForm, scope: Scope, region):
    if not form.validate_on_submit():
        return None
    try:
        saved = save_region(db.session, scope, form.to_input(), region)
    except (ValidationFailed, Conflict) as exc:
        db.session.rollback()
        _attach_error(form, exc)
        return None
    db.session.commit()
    flash(f"Region {saved.code} saved.", "success")
    return redirect(url_for("regions.index"))


def _attach_error(form: RegionForm, exc: ValidationFailed | Conflict) -> None:
    field = (exc.details or {}).get("field") if isinstance(exc.details, dict) else None
    target = {"window": form.window_end}.get(field) or getattr(form, field or "", None)
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, exc.message]
    else:
        flash(exc.message, "error")


def _render(form: RegionForm, region):
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "regions/form.html",
            form=form,
            region=region,
            languages=LANGUAGES,
            timezones=sorted(available_timezones()),
        ),
        status,
    )
