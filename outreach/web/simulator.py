"""The phone simulator: see what a contact's phone received and reply as the person would.

A reply typed here is posted, signed exactly as Twilio signs, to the app's own inbound SMS
webhook (`/webhooks/twilio/sms`) in-process, so it takes the one code path real replies take:
keywords, options, call-backs, opt-outs. The webhook's TwiML answer is what the phone gets back.
"""

from __future__ import annotations

from xml.etree import ElementTree

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
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from outreach.access import Scope
from outreach.contacts.service import ContactFilters, get_contact, search_contacts
from outreach.extensions import db
from outreach.messaging.conversation import phone_conversation
from outreach.messaging.simulator import SimulatorProvider
from outreach.models import Contact
from outreach.permissions import Action
from outreach.web.guard import requires
from outreach.web.inputs import int_arg, int_query, parse_id
from outreach.worker import in_process_delivery

bp = Blueprint("simulator", __name__, template_folder="templates")

SIMULATOR_NUMBER = "+15005550006"  # the MRC's side when no sender number is configured
RESULTS = 20


class ReplyForm(FlaskForm):
    contact = HiddenField()
    phone = HiddenField()
    body = TextAreaField("Reply", validators=[DataRequired("Type a reply."), Length(max=1600)])


def _scope() -> Scope:
    """The user's scope; the views require `Action.SIMULATOR` (counsellors work call-backs)."""
    return Scope.for_user(current_user)


@bp.route("/simulator")
@requires(Action.SIMULATOR)
@int_query("contact")
def index():
    """Find a contact; see their phone's messages, newest last; reply."""
    scope = _scope()
    query = request.args.get("q", "").strip()
    contact = _contact(scope, int_arg("contact"))
    phone = contact.phone if contact else request.args.get("phone", "").strip() or None
    results = (
        search_contacts(db.session, scope, ContactFilters(text=query), 1, RESULTS)
        if query
        else None
    )
    form = ReplyForm(formdata=None, contact=contact.id if contact else "", phone=phone or "")
    return render_template(
        "simulator/index.html",
        query=query,
        results=results,
        contact=contact,
        phone=phone,
        messages=phone_conversation(db.session, scope, phone) if phone else [],
        form=form,
        provider=current_app.config.get("OUTREACH_PROVIDER", "simulator"),
    )


def _contact(scope: Scope, contact_id: int | None) -> Contact | None:
    return get_contact(db.session, scope, contact_id) if contact_id else None


@bp.route("/simulator/reply", methods=["POST"])
@requires(Action.SIMULATOR)
def reply():
    """Post the typed reply to the inbound SMS webhook, signed, and show the phone again."""
    scope = _scope()
    form = ReplyForm()
    contact = _contact(scope, parse_id(form.contact.data, "contact"))
    phone = contact.phone if contact else (form.phone.data or "").strip()
    if not phone:
        abort(400, "Choose a contact first.")
    if not contact and not phone_conversation(db.session, scope, phone, limit=1):
        abort(404)  # a number that is neither a contact nor a test phone of the user's regions
    back = (
        url_for("simulator.index", contact=contact.id)
        if contact
        else url_for("simulator.index", phone=phone)
    )
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(back)
    db.session.commit()  # nothing of ours is pending: the webhook runs in this same session
    status, answer = _post_inbound(phone, _our_number(contact), form.body.data)
    if status != 200:
        flash(f"The webhook refused the reply (HTTP {status}).", "error")
    elif contact is None and answer:
        flash(f"The MRC answered: {answer}", "success")
    else:
        flash("Reply sent through the signed webhook, as a real SMS reply would be.", "success")
    return redirect(back)


def _our_number(contact: Contact | None) -> str:
    """The number the person replies to: their MRC's sender, the default sender, or ours."""
    region_number = contact.region.sender_number if contact else None
    return region_number or current_app.config.get("TWILIO_FROM_NUMBER") or SIMULATOR_NUMBER


def _post_inbound(sender: str, to: str, body: str) -> tuple[int, str | None]:
    """POST Twilio's inbound SMS form to the webhook, signed; its status and the answer text."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
    url = base.rstrip("/") + url_for("webhooks.sms_inbound")
    app = current_app._get_current_object()
    phone = SimulatorProvider(app.config, deliver=in_process_delivery(app))
    response = phone.reply_from_phone(url, sender, to, body.replace("\r\n", "\n"))
    if response.status_code != 200:
        return response.status_code, None
    return 200, _twiml_text(response.get_data(as_text=True))


def _twiml_text(twiml: str) -> str | None:
    """The text of the TwiML's <Message>, if it has one."""
    try:
        root = ElementTree.fromstring(twiml)
    except ElementTree.ParseError:
        return None
    texts = [el.text or "" for el in root.iter("Message")]
    return "\n".join(texts) or None
