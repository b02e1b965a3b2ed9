"""The call-back queue for counsellors: the queue (updating itself), a request's page, its forms."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import Length

from outreach.access import Scope
from outreach.callbacks.attempts import MAX_NOTE, AttemptInput, record_attempt
from outreach.callbacks.claims import claim_request, get_request, reassign_request, release_request
from outreach.callbacks.queue import QueueFilters, list_requests
from outreach.callbacks.scheduling import person_zone
from outreach.callbacks.service import request_for_contact
from outreach.callbacks.timeline import timeline, view_request
from outreach.content import load_topics
from outreach.errors import Conflict, ValidationFailed
from outreach.extensions import db
from outreach.languages import LANGUAGES
from outreach.models import (
    AttemptOutcome,
    CallbackChannel,
    CallbackStatus,
    CallbackTopic,
    Contact,
    utcnow,
)
from outreach.permissions import Action, may
from outreach.regions import list_regions
from outreach.web.guard import requires
from outreach.web.inputs import int_query, parse_id
from outreach.web.layout import page_arg

bp = Blueprint("callbacks", __name__, template_folder="templates")

PER_PAGE = 50
FILTER_ARGS = ("region", "status", "language", "source", "topic")
POLL_SECONDS = 5
OUTCOME_LABELS = {
    AttemptOutcome.REACHED: "Reached",
    AttemptOutcome.NO_ANSWER: "No answer",
    AttemptOutcome.BUSY: "Busy",
    AttemptOutcome.SWITCHED_OFF: "Switched off",
    AttemptOutcome.WRONG_NUMBER: "Wrong number",
    AttemptOutcome.LANGUAGE_MISMATCH: "Needs another language",
    AttemptOutcome.CALL_LATER: "Call later (person asked)",
    AttemptOutcome.REFUSED: "Refused",
}
TOPIC_LABELS = {
    CallbackTopic.HIV_TESTING: "HIV testing",
    CallbackTopic.JOB_FAIR: "Job fair",
    CallbackTopic.IRREGULAR_MIGRATION: "Irregular migration",
    CallbackTopic.LEGAL_PATHWAYS: "Legal pathways",
    CallbackTopic.TRAFFICKING_CONCERN: "Trafficking concern",
    CallbackTopic.OTHER: "Other",
}


class AttemptForm(FlaskForm):
    outcome = SelectField(
        "Outcome",
        choices=[SelectChoice(value=o.value, label=text) for o, text in OUTCOME_LABELS.items()],
    )
    note = TextAreaField("Note", validators=[Length(max=MAX_NOTE)])
    topics = SelectMultipleField(
        "Topics talked about",
        choices=[SelectChoice(value=t.value, label=text) for t, text in TOPIC_LABELS.items()],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
    call_at = StringField("Call again at")
    call_at_zone = SelectField(
        "in",
        choices=[
            SelectChoice(value="person", label="the person's time"),
            SelectChoice(value="mrc", label="the MRC's time"),
        ],
        default="person",
    )


class StaffRequestForm(FlaskForm):
    note = TextAreaField("Why (optional)", validators=[Length(max=MAX_NOTE)])


class ReassignForm(FlaskForm):
    user_id = StringField("Counsellor's user id")


def _scope() -> Scope:
    return Scope.for_user(current_user)


def _filters() -> QueueFilters:
    """The queue's filters from the query string; values that cannot apply are ignored."""
    status = request.args.get("status", "").strip()
    source = request.args.get("source", "").strip()
    return QueueFilters(
        region_code=request.args.get("region", "").strip().lower() or None,
        status=status if status in set(CallbackStatus) else None,
        language=request.args.get("language", "").strip() or None,
        channel=source if source in set(CallbackChannel) else None,
        topic=request.args.get("topic", "").strip() or None,
    )


def _filter_args() -> dict:
    return {k: v for k in FILTER_ARGS if (v := request.args.get(k, "").strip())}


def _queue_page():
    return list_requests(db.session, _scope(), _filters(), page_arg(), PER_PAGE, utcnow())


@bp.route("/callbacks")
@requires(Action.CALLBACKS_READ)
@int_query("page")
def index():
    """The queue: the soonest due first; it refreshes its rows every few seconds."""
    scope = _scope()
    return render_template(
        "callbacks/index.html",
        page=_queue_page(),
        args=_filter_args(),
        regions=list_regions(db.session, scope),
        languages=LANGUAGES,
        channels=list(CallbackChannel),
        statuses=list(CallbackStatus),
        topics=sorted(load_topics()),
        poll_seconds=POLL_SECONDS,
        now=utcnow(),
    )


@bp.route("/callbacks/rows")
@requires(Action.CALLBACKS_READ)
@int_query("page")
def rows():
    """The queue's rows alone, for the page to refresh itself without a reload."""
    return render_template(
        "callbacks/_rows.html", page=_queue_page(), args=_filter_args(), now=utcnow()
    )


@bp.route("/callbacks/<int:callback_id>")
@requires(Action.CALLBACKS_READ)
def show(callback_id: int):
    """A request's page: the person's timeline and the forms to work it; the view is audited."""
    now = utcnow()
    item = view_request(db.session, _scope(), callback_id, now, channel="web")
    entries = timeline(db.session, item)
    db.session.commit()
    contact = db.session.get(Contact, item.contact_id)
    return render_template(
        "callbacks/show.html",
        item=item,
        entries=entries,
        person_zone=str(person_zone(contact.phone, contact.region)),
        attempt_form=AttemptForm(formdata=None),
        action_form=FlaskForm(formdata=None),
        reassign_form=ReassignForm(formdata=None),
        may_work=may(current_user.role, Action.CALLBACKS_WORK),
        may_reassign=may(current_user.role, Action.CALLBACKS_REASSIGN),
        outcome_labels=OUTCOME_LABELS,
        now=now,
    )


def _back(callback_id: int):
    return redirect(url_for("callbacks.show", callback_id=callback_id))


def _refused(exc: Conflict, callback_id: int):
    """A refused claim or attempt: told on the page, not as an error page."""
    db.session.rollback()
    flash(exc.message, "error")
    return _back(callback_id)


@bp.route("/callbacks/<int:callback_id>/claim", methods=["POST"])
@requires(Action.CALLBACKS_WORK)
def claim(callback_id: int):
    """Claim the request before calling."""
    if not FlaskForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return _back(callback_id)
    minutes = current_app.config.get("CALLBACK_CLAIM_MINUTES", 30)
    try:
        claim_request(db.session, _scope(), callback_id, utcnow(), minutes)
    except Conflict as exc:
        return _refused(exc, callback_id)
    db.session.commit()
    flash(
        f"You hold this request for {minutes} minutes: call now and record the outcome.", "success"
    )
    return _back(callback_id)


@bp.route("/callbacks/<int:callback_id>/release", methods=["POST"])
@requires(Action.CALLBACKS_WORK)
def release(callback_id: int):
    """Give the request back to the queue."""
    if not FlaskForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return _back(callback_id)
    try:
        release_request(db.session, _scope(), callback_id, utcnow())
    except Conflict as exc:
        return _refused(exc, callback_id)
    db.session.commit()
    flash("Released: the request is back in the queue.", "success")
    return redirect(url_for("callbacks.index"))


@bp.route("/callbacks/<int:callback_id>/attempts", methods=["POST"])
@requires(Action.CALLBACKS_WORK)
def attempt(callback_id: int):
    """Record how the call went; it ends the claim."""
    form = AttemptForm()
    if not form.validate_on_submit():
        problems = "; ".join(f"{name}: {', '.join(errs)}" for name, errs in form.errors.items())
        flash(f"Not recorded ({problems}).", "error")
        return _back(callback_id)
    now = utcnow()
    try:
        call_at = _call_at(form, callback_id)
        outcome = AttemptOutcome(form.outcome.data)
        record_attempt(
            db.session,
            _scope(),
            callback_id,
            AttemptInput(outcome, _note(form), tuple(form.topics.data or ()), call_at),
            now,
        )
    except Conflict as exc:
        return _refused(exc, callback_id)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back(callback_id)
    db.session.commit()
    flash(f"Recorded: {OUTCOME_LABELS[outcome]}.", "success")
    return redirect(url_for("callbacks.index"))


def _note(form: AttemptForm) -> str | None:
    return (form.note.data or "").strip() or None


def _call_at(form: AttemptForm, callback_id: int) -> datetime | None:
    """The `call later` time, read in the zone the counsellor chose."""
    text = (form.call_at.data or "").strip()
    if not text:
        return None
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed("the time to call again is not a date and time") from None
    if naive.tzinfo is not None:
        return naive
    contact = db.session.get(Contact, get_request(db.session, _scope(), callback_id).contact_id)
    if form.call_at_zone.data == "person":
        return naive.replace(tzinfo=person_zone(contact.phone, contact.region))
    return naive.replace(tzinfo=ZoneInfo(contact.region.timezone))


@bp.route("/callbacks/<int:callback_id>/reassign", methods=["POST"])
@requires(Action.CALLBACKS_REASSIGN)
def reassign(callback_id: int):
    """An admin hands the request to a counsellor of its region."""
    form = ReassignForm()
    user_id = parse_id(form.user_id.data, "user id") if form.validate_on_submit() else None
    if user_id is None:
        flash("Give the counsellor's user id.", "error")
        return _back(callback_id)
    minutes = current_app.config.get("CALLBACK_CLAIM_MINUTES", 30)
    try:
        reassign_request(db.session, _scope(), callback_id, user_id, utcnow(), minutes)
    except Conflict as exc:
        return _refused(exc, callback_id)
    db.session.commit()
    flash("Reassigned.", "success")
    return _back(callback_id)


@bp.route("/contacts/<int:contact_id>/callbacks", methods=["POST"])
@requires(Action.CALLBACKS_REQUEST)
def request_for(contact_id: int):
    """Staff ask for a call-back on the person's behalf (e.g. a walk-in)."""
    form = StaffRequestForm()
    if not form.validate_on_submit():
        flash("Keep the note under 2,000 characters.", "error")
        return redirect(url_for("contacts.show", contact_id=contact_id))
    requested = request_for_contact(
        db.session, _scope(), contact_id, (form.note.data or "").strip() or None, utcnow()
    )
    db.session.commit()
    if requested.created:
        flash("Call-back requested: it is in the queue.", "success")
    else:
        flash("This person already has an open request: your request was added to it.", "success")
    return redirect(url_for("contacts.show", contact_id=contact_id))
