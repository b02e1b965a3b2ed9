"""The phone simulator: see what a phone received and reply as it would.

A reply typed here is posted, signed exactly as Twilio signs, to the app's own inbound SMS
webhook (`/webhooks/twilio/sms`) in-process, so it takes the one code path real replies take:
keywords, options, call-backs, opt-outs. The webhook's TwiML answer is what the phone gets back.
Which phones it may answer as is `outreach.testphones.rules.phone_to_answer_as`: with real
phones only registered test phones, on the built-in simulator also the contacts of the user's
own regions. The member of staff who typed a reply goes with it, out of reach of any request,
so the inbound row, a consent change and its audit row name them.
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
from outreach.errors import Forbidden, NotFound
from outreach.extensions import db
from outreach.messaging.conversation import phone_conversation
from outreach.messaging.simulator import SimulatorProvider, in_process_delivery
from outreach.models import Contact
from outreach.permissions import Action
from outreach.testphones.rules import SimulatedPhone, phone_to_answer_as, reaches_real_phones
from outreach.testphones.service import usable_test_phones
from outreach.web.guard import requires
from outreach.web.inputs import int_arg, int_query, parse_id
from outreach.web.simulator_calls import call_panel

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
    """Find a contact or a test phone; see its messages, newest last; reply when allowed."""
    scope = _scope()
    query = request.args.get("q", "").strip()
    contact = _contact(scope, int_arg("contact"))
    phone = contact.phone if contact else request.args.get("phone", "").strip() or None
    results = (
        search_contacts(db.session, scope, ContactFilters(text=query), 1, RESULTS)
        if query
        else None
    )
    target, refusal = _may_answer(scope, contact, phone) if phone else (None, None)
    form = ReplyForm(formdata=None, contact=contact.id if contact else "", phone=phone or "")
    return render_template(
        "simulator/index.html",
        query=query,
        results=results,
        contact=contact,
        phone=phone,
        target=target,
        refusal=refusal,
        test_phones=usable_test_phones(db.session, scope),
        messages=_conversation(scope, target, phone),
        form=form,
        provider=current_app.config.get("OUTREACH_PROVIDER", "simulator"),
        real_phones=reaches_real_phones(current_app.config),
        **call_panel(scope, phone, reaches_real_phones(current_app.config)),
    )


def _conversation(scope: Scope, target: SimulatedPhone | None, phone: str | None) -> list:
    """The phone's messages in the user's regions, or every one of a test phone's."""
    if not phone:
        return []
    # A test phone's messages are staff's own, and a reply from it belongs to no region.
    if target is not None and target.test_phone is not None and target.contact is None:
        scope = Scope.everything()
    return phone_conversation(db.session, scope, phone)


def _contact(scope: Scope, contact_id: int | None) -> Contact | None:
    return get_contact(db.session, scope, contact_id) if contact_id else None


def _may_answer(scope: Scope, contact: Contact | None, phone: str):
    """(the phone to answer as, None), or (None, why the simulator may not answer as it)."""
    try:
        target = phone_to_answer_as(
            db.session,
            scope,
            contact.id if contact else None,
            phone,
            real_phones=reaches_real_phones(current_app.config),
        )
    except (Forbidden, NotFound) as exc:
        return None, exc.message
    return target, None


@bp.route("/simulator/reply", methods=["POST"])
@requires(Action.SIMULATOR)
def reply():
    """Post the typed reply to the inbound SMS webhook, signed, and show the phone again."""
    scope = _scope()
    form = ReplyForm()
    contact_id = parse_id(form.contact.data, "contact")
    phone = (form.phone.data or "").strip()
    if contact_id is None and not phone:
        abort(400, "Choose a contact or a test phone first.")
    target = phone_to_answer_as(
        db.session, scope, contact_id, phone, real_phones=reaches_real_phones(current_app.config)
    )
    back = _back(target)
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(back)
    db.session.commit()  # the webhook runs in its own app context and session
    status, answer = _post_inbound(target, form.body.data)
    if status != 200:
        flash(f"The webhook refused the reply (HTTP {status}).", "error")
    elif target.contact is None and answer:
        flash(f"The MRC answered: {answer}", "success")
    else:
        flash("Reply sent through the signed webhook, as a real SMS reply would be.", "success")
    return redirect(back)


def _back(target: SimulatedPhone) -> str:
    if target.contact is not None:
        return url_for("simulator.index", contact=target.contact.id)
    return url_for("simulator.index", phone=target.phone)


def _our_number(target: SimulatedPhone) -> str:
    """The number the phone replies to: its MRC's sender, the default sender, or ours."""
    region = target.contact.region if target.contact else None
    if region is None and target.test_phone is not None:
        region = target.test_phone.region
    region_number = region.sender_number if region else None
    return region_number or current_app.config.get("TWILIO_FROM_NUMBER") or SIMULATOR_NUMBER


def _post_inbound(target: SimulatedPhone, body: str) -> tuple[int, str | None]:
    """POST Twilio's inbound SMS form to the webhook, signed; its status and the answer text."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
    url = base.rstrip("/") + url_for("webhooks.sms_inbound")
    app = current_app._get_current_object()
    phone = SimulatorProvider(app.config, deliver=in_process_delivery(app, current_user.id))
    text = body.replace("\r\n", "\n")
    response = phone.reply_from_phone(url, target.phone, _our_number(target), text)
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
