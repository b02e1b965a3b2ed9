"""Logging in and out. Failed log-ins are limited per account and per client address."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from outreach.accounts.service import authenticate
from outreach.extensions import db
from outreach.web.layout import safe_next
from outreach.web.login_limit import login_refused, record_failure

bp = Blueprint("auth", __name__, template_folder="templates")

TOO_MANY = "Too many failed log-in attempts. Please wait a minute, then try again."


class LoginForm(FlaskForm):
    email = StringField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The log-in form; on success go where the user was headed, or to the dashboard."""
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(target or url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        if login_refused(form.email.data):
            abort(429, TOO_MANY)
        method = current_app.config["PASSWORD_HASH_METHOD"]
        user = authenticate(db.session, form.email.data, form.password.data, method)
        if user is not None:
            db.session.commit()
            login_user(user)
            return redirect(target or url_for("dashboard.index"))
        record_failure(form.email.data)
        flash("That email and password do not match an active account.", "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """End the session."""
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
