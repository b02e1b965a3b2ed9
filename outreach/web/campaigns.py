"""Campaigns in the web UI: the list, the form, the pre-launch summary, test send, launch.

A voice campaign's summary lists its audience by language and every prompt still without audio
in one of those languages; launching it is refused while that list is not empty.

Everyone sees the campaigns of their own regions; only coordinators and admins compose, test,
launch, pause, resume or cancel them (counsellors read).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from outreach.access import Scope
from outreach.accounts.directory import emails_by_id
from outreach.campaigns.activity import message_counts, recent_messages, recent_responses
from outreach.campaigns.lifecycle import MOVES, CampaignEvent
from outreach.campaigns.listing import search_campaigns
from outreach.campaigns.service import (
    cancel_campaign,
    create_campaign,
    get_campaign,
    launch_campaign,
    pause_campaign,
    resume_campaign,
)
from outreach.campaigns.stats import campaign_stats, preview
from outreach.campaigns.testsend import send_test_message
from outreach.campaigns.voice import check_audio, missing_audio, voice_stats
from outreach.contacts.lists import lists_with_counts
from outreach.content import SAMPLE_VALUES, UnknownTopic, get_topic, load_topics
from outreach.errors import Conflict, NotFound, TooManyRequests, ValidationFailed
from outreach.extensions import db
from outreach.models import CampaignStatus, utcnow
from outreach.permissions import Action, may
from outreach.regions import list_regions
from outreach.testphones.rules import reaches_real_phones
from outreach.web.campaign_forms import (
    FIELD_HELP,
    all_languages,
    all_topic_fields,
    attach_problems,
    campaign_form_class,
    describe_segments,
    fill_topic,
    text_field_name,
    to_input,
    topic_field_name,
)
from outreach.web.guard import requires
from outreach.web.inputs import int_query
from outreach.web.layout import page_arg

bp = Blueprint("campaigns", __name__, template_folder="templates")

PER_PAGE = 50
ACTIONS = {
    "launch": (launch_campaign, "Launched."),
    "pause": (pause_campaign, "Paused: no more messages go out until you resume."),
    "resume": (resume_campaign, "Resumed: sending goes on from where it paused."),
    "cancel": (cancel_campaign, "Cancelled: nothing more is sent and no run is to come."),
}
EVENTS = {
    "launch": (CampaignEvent.LAUNCH_NOW, CampaignEvent.LAUNCH_LATER),
    "pause": (CampaignEvent.PAUSE,),
    "resume": (CampaignEvent.RESUME,),
    "cancel": (CampaignEvent.CANCEL,),
}


class TestSendForm(FlaskForm):
    phone = StringField("Phone number", validators=[DataRequired(), Length(max=32)])
    language = SelectField("Language")


class ActionForm(FlaskForm):
    """Only the CSRF token: launch, pause, resume and cancel have no other input."""


def _may_manage() -> bool:
    return may(current_user.role, Action.CAMPAIGNS_MANAGE)


@bp.route("/campaigns")
@requires(Action.CAMPAIGNS_READ)
@int_query("page")
def index():
    """The campaigns of the user's regions, newest first, with their message counts."""
    scope = Scope.for_user(current_user)
    status = request.args.get("status", "").strip()
    page = search_campaigns(
        db.session, scope, status if status in set(CampaignStatus) else None, page_arg(), PER_PAGE
    )
    return render_template(
        "campaigns/index.html",
        page=page,
        status=status,
        statuses=list(CampaignStatus),
        counts=message_counts(db.session, (c.id for c in page.items)),
        topics=load_topics(),
        may_manage=_may_manage(),
    )


@bp.route("/campaigns/new", methods=["GET", "POST"])
@requires(Action.CAMPAIGNS_MANAGE)
def new():
    """Compose a draft: choose a topic (its texts fill the form), the audience, time and pace."""
    scope = Scope.for_user(current_user)
    topics = dict(load_topics())
    languages = all_languages(topics)
    regions = list_regions(db.session, scope)
    lists = [lst for lst, _count in lists_with_counts(db.session, scope)]
    form = campaign_form_class(topics)()
    form.topic.choices = [("", "— choose a topic —")] + [(t.id, t.title) for t in topics.values()]
    form.regions.choices = [(r.code, f"{r.code} · {r.name}") for r in regions]
    form.lists.choices = [(lst.id, f"{lst.name} ({lst.region.code})") for lst in lists]
    topic = topics.get(form.topic.data or request.args.get("topic", ""))
    general: list[str] = []
    if request.method == "GET" and topic is not None:
        fill_topic(form, topic, languages)
    elif request.method == "POST" and request.form.get("choose_topic"):
        if topic is not None:  # the two-step path for browsers without scripts
            fill_topic(form, topic, languages)
    elif request.method == "POST":
        created = _create(form, scope, topic, languages, regions, lists, general)
        if created is not None:
            return created
    status = 422 if request.method == "POST" and not request.form.get("choose_topic") else 200
    return render_template(
        "campaigns/new.html",
        form=form,
        topic=topic,
        topics=topics,
        topics_data=_topics_data(topics),
        languages=languages,
        topic_fields=all_topic_fields(topics),
        text_field_name=text_field_name,
        topic_field_name=topic_field_name,
        counters=_counters(form, topic, languages),
        sample_values=SAMPLE_VALUES,
        regions=regions,
        zones={r.code: r.timezone for r in regions},
        zone_label=_zone_label(form, regions),
        field_help=FIELD_HELP,
        general_errors=general,
    ), status


def _create(form, scope, topic, languages, regions, lists, general: list[str]):
    """Save the draft and go to its page; None (problems put on the form) when it cannot be."""
    valid = form.validate()
    if form.errors.get("csrf_token"):
        return None
    data, problems = to_input(form, topic, languages, regions, lists, utcnow())
    try:
        campaign = create_campaign(db.session, scope, data, current_user.id)
    except ValidationFailed as exc:
        problems = {**(exc.details or {}), **problems}
    if problems or not valid:
        db.session.rollback()
        general.extend(attach_problems(form, problems))
        return None
    db.session.commit()
    flash(f"Draft “{campaign.name}” saved. Check the summary, send a test, then launch.", "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


def _zone_label(form, regions) -> str:
    """Which time zone the send time is read in, as the form stands."""
    ticked = [r for r in regions if r.code in (form.regions.data or [])]
    first = (ticked or regions or [None])[0]
    return f"{first.timezone} ({first.code})" if first else "UTC"


def _topics_data(topics) -> dict:
    """What the form's script needs to fill the texts when a topic is picked."""
    return {
        t.id: {
            "title": t.title,
            "description": t.description,
            "texts": dict(t.texts),
            "review": dict(t.review),
            "fields": list(t.fields),
        }
        for t in topics.values()
    }


def _counters(form, topic, languages) -> dict[str, str]:
    fields = {
        name: form[topic_field_name(name)].data or ""
        for name in (topic.fields if topic is not None else ())
    }
    return {
        lang: describe_segments(form[text_field_name(lang)].data or "", fields)
        for lang in languages
    }


@bp.route("/campaigns/<int:campaign_id>")
@requires(Action.CAMPAIGNS_READ)
def show(campaign_id: int):
    """The summary before launch, the test send, the moves allowed now, then the results."""
    campaign = get_campaign(db.session, Scope.for_user(current_user), campaign_id)
    return _render_show(campaign, _test_form(campaign, formdata=None))


def _test_form(campaign, formdata=...) -> TestSendForm:
    form = TestSendForm() if formdata is ... else TestSendForm(formdata=formdata)
    form.language.choices = [(lang, lang) for lang in sorted(campaign.texts)]
    region = (campaign.regions or [lst.region for lst in campaign.lists] or [None])[0]
    if not form.language.data and region is not None:
        form.language.data = region.default_language
    return form


def _voice_summary(campaign) -> dict | None:
    """A voice campaign's languages, the prompts they still lack and its call stats."""
    if campaign.channel != "voice":
        return None
    config = current_app.config
    try:
        missing = missing_audio(db.session, campaign, config["OUTREACH_PROVIDER"], config)
    except (NotFound, UnknownTopic):
        missing = []  # a topic gone from the campaign files: the page still shows the rest
    by_language = preview(db.session, campaign)["audience"]["by_language"]
    return {
        "audience": sorted((lang or "", count) for lang, count in by_language.items()),
        "missing": missing,
        "stats": voice_stats(db.session, campaign),
        "provider": config["OUTREACH_PROVIDER"],
    }


def _render_show(campaign, test_form: TestSendForm, status: int = 200):
    scope, now = Scope.for_user(current_user), utcnow()
    summary = preview(db.session, campaign)
    voice = _voice_summary(campaign)
    allowed = {event for (state, event) in MOVES if state == campaign.status}
    moves = [name for name, events in EVENTS.items() if allowed.intersection(events)]
    places = [*campaign.regions, *(lst.region for lst in campaign.lists)]
    zone = places[0].timezone
    zones = list(dict.fromkeys(region.timezone for region in places))
    try:
        topic = get_topic(campaign.topic)
    except UnknownTopic:
        topic = None
    return render_template(
        "campaigns/show.html",
        campaign=campaign,
        topic=topic,
        zone=zone,
        zones=zones,
        summary=summary,
        stats=voice["stats"] if voice else campaign_stats(db.session, campaign),
        voice=voice,
        messages=recent_messages(db.session, scope, campaign, now),
        responses=recent_responses(db.session, scope, campaign, now),
        creator=emails_by_id(db.session, [campaign.created_by_id]).get(campaign.created_by_id),
        moves=moves if _may_manage() else [],
        may_manage=_may_manage(),
        test_form=test_form,
        action_form=ActionForm(),
    ), status


@bp.route("/campaigns/<int:campaign_id>/test", methods=["POST"])
@requires(Action.CAMPAIGNS_MANAGE)
def test_send(campaign_id: int):
    """Queue one copy of the text to a staff phone; it is not part of the campaign's stats."""
    scope = Scope.for_user(current_user)
    campaign = get_campaign(db.session, scope, campaign_id)
    form = _test_form(campaign)
    status = 422
    if form.validate_on_submit():
        try:
            message = send_test_message(
                db.session,
                scope,
                campaign.id,
                form.phone.data,
                form.language.data,
                utcnow(),
                real_phones=reaches_real_phones(current_app.config),
            )
        except (ValidationFailed, TooManyRequests) as exc:
            db.session.rollback()
            form.phone.errors = [*form.phone.errors, exc.message]
            status = exc.status
        else:
            db.session.commit()
            flash(
                f"Test message queued to {message.to_phone} ({message.language}). "
                "The worker sends it within seconds.",
                "success",
            )
            return redirect(
                url_for("campaigns.show", campaign_id=campaign.id, tested=message.to_phone)
            )
    return _render_show(campaign, form, status)


@bp.route("/campaigns/<int:campaign_id>/<action>", methods=["POST"])
@requires(Action.CAMPAIGNS_MANAGE)
def move(campaign_id: int, action: str):
    """Launch, pause, resume or cancel; a move the campaign's status does not allow is refused."""
    if action not in ACTIONS:
        abort(404)
    scope = Scope.for_user(current_user)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    apply, done = ACTIONS[action]
    try:
        if action == "launch":
            _check_audio(scope, campaign_id)
        campaign = apply(db.session, scope, campaign_id, utcnow())
    except Conflict as exc:
        db.session.rollback()
        flash(f"Not done: {exc.message}.", "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign_id))
    db.session.commit()
    if campaign.channel == "voice" and action == "launch":
        done = "Launched: calls start within the calling window, at the pace set."
    if campaign.status == CampaignStatus.SCHEDULED and action == "launch":
        done = "Scheduled: it starts at its send time."
    flash(done, "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


def _check_audio(scope: Scope, campaign_id: int) -> None:
    """Refuse to launch a voice campaign while a prompt lacks audio (the summary lists them)."""
    config = current_app.config
    campaign = get_campaign(db.session, scope, campaign_id)
    check_audio(db.session, campaign, config["OUTREACH_PROVIDER"], config)
