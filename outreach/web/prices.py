"""The admin's price per SMS segment per country, used for the cost estimate before launch."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from outreach.access import Scope
from outreach.campaigns.pricing import delete_price, list_prices, save_price
from outreach.errors import ValidationFailed
from outreach.extensions import db
from outreach.models import utcnow
from outreach.permissions import Action
from outreach.regions import list_regions
from outreach.web.guard import requires

bp = Blueprint("prices", __name__, template_folder="templates")


class PriceForm(FlaskForm):
    country = StringField("Country", validators=[Length(max=2)])
    price = StringField("Price per segment", validators=[Length(max=20)])
    currency = StringField("Currency", validators=[Length(max=3)], default="USD")


class DeleteForm(FlaskForm):
    """Only the CSRF token."""


@bp.route("/settings/prices", methods=["GET", "POST"])
@requires(Action.PRICES_EDIT)
def index():
    """Every country's price; the form sets one (a country already priced is changed)."""
    scope = Scope.for_user(current_user)
    prices = list_prices(db.session)
    form = PriceForm(currency=prices[0].currency if prices else "USD")
    if form.validate_on_submit():
        try:
            saved = save_price(
                db.session, scope, form.country.data, form.price.data, form.currency.data, utcnow()
            )
        except ValidationFailed as exc:
            db.session.rollback()
            for name, message in (exc.details or {}).items():
                field = form._fields.get(name)
                if field is not None:
                    field.errors = [*field.errors, message]
        else:
            db.session.commit()
            flash(
                f"Price for {saved.country} set: {saved.price:f} {saved.currency} a segment.",
                "success",
            )
            return redirect(url_for("prices.index"))
    priced = {p.country for p in prices}
    countries = sorted({r.country for r in list_regions(db.session, scope)} - priced)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "prices/index.html", form=form, prices=prices, unpriced=countries, delete_form=DeleteForm()
    ), status


@bp.route("/settings/prices/<country>/delete", methods=["POST"])
@requires(Action.PRICES_EDIT)
def delete(country: str):
    """Forget a country's price."""
    scope = Scope.for_user(current_user)
    if not DeleteForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    delete_price(db.session, scope, country)
    db.session.commit()
    flash(f"Price for {country.upper()} removed.", "success")
    return redirect(url_for("prices.index"))
