"""Campaigns through the API: compose with a preview, launch, pause, resume, cancel, stats."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from outreach.campaigns.listing import search_campaigns
from outreach.campaigns.service import (
    CampaignInput,
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
from outreach.errors import ValidationFailed
from outreach.extensions import db
from outreach.models import Campaign, utcnow
from outreach.permissions import Action
from outreach.regions import format_minutes
from outreach.testphones.rules import reaches_real_phones
from outreach.web.api import current_scope, registry
from outreach.web.api.schemas.campaigns import (
    CampaignCreated,
    CampaignDetail,
    CampaignIn,
    CampaignOut,
    CampaignPage,
    CampaignQuery,
    CampaignStatsOut,
    NoBody,
    RetriesOut,
    RunOut,
    SendTestIn,
    SendTestOut,
    VoiceCampaignCreated,
    VoiceStatsOut,
    WindowOut,
)
from outreach.web.api.schemas.common import ErrorOut

CAMPAIGN = "/campaigns/<int:campaign_id>"
ACTION_ERRORS = {409: ErrorOut}


def campaign_out(campaign: Campaign) -> CampaignOut:
    """A campaign's settings as the API shows them."""
    voice = campaign.channel == "voice"
    window = None
    if campaign.window_start is not None:
        window = WindowOut(
            start=format_minutes(campaign.window_start),
            end=format_minutes(campaign.window_end if campaign.window_end is not None else 1440),
        )
    return CampaignOut(
        id=campaign.id,
        name=campaign.name,
        topic=campaign.topic,
        channel=str(campaign.channel),
        status=str(campaign.status),
        send_at=campaign.send_at,
        recurrence=campaign.recurrence or None,
        window=window,
        rate_per_second=campaign.rate_per_second,
        calls_per_second=campaign.calls_per_second if voice else None,
        retries=RetriesOut(max=campaign.retry_max, interval_minutes=campaign.retry_interval_minutes)
        if voice
        else None,
        machine=campaign.machine if voice else None,
        regions=sorted(r.code for r in campaign.regions),
        lists=sorted(lst.id for lst in campaign.lists),
        next_run_at=campaign.next_run_at,
        created_at=campaign.created_at,
        launched_at=campaign.launched_at,
        finished_at=campaign.finished_at,
    )


def campaign_detail(campaign: Campaign) -> CampaignDetail:
    """A campaign with its texts, stats by current message status, and runs."""
    runs = [
        RunOut(
            id=run.id,
            scheduled_for=run.scheduled_for,
            status=str(run.status),
            started_at=run.started_at,
            fanned_out_at=run.fanned_out_at,
            finished_at=run.finished_at,
        )
        for run in campaign.runs
    ]
    return CampaignDetail(
        **campaign_out(campaign).model_dump(),
        texts=dict(campaign.texts or {}),
        fields=dict(campaign.fields or {}),
        stats=VoiceStatsOut(**voice_stats(db.session, campaign))
        if campaign.channel == "voice"
        else CampaignStatsOut(**campaign_stats(db.session, campaign)),
        runs=runs,
    )


def _problems_as_list(exc: ValidationFailed) -> ValidationFailed:
    """The service's `{field: problem}` as the API's list of `{field, message}`."""
    if isinstance(exc.details, dict) and "field" not in exc.details:
        details = [{"field": f, "message": m} for f, m in exc.details.items()]
        return ValidationFailed(exc.message, details, code=exc.code)
    return exc


@registry.route(
    "POST",
    "/campaigns",
    body=CampaignIn,
    responses={201: CampaignCreated | VoiceCampaignCreated},
    tag="campaigns",
    action=Action.CAMPAIGNS_MANAGE,
)
def post_campaign(body: CampaignIn):
    """Compose a draft campaign; answers its audience, segments and estimated cost."""
    scope = current_scope()
    data = CampaignInput(
        name=body.name,
        topic=body.topic,
        channel=body.channel,
        regions=body.regions,
        lists=body.lists,
        texts=body.texts,
        fields=body.fields,
        send_at=body.send_at,
        recurrence=body.recurrence,
        window_start=body.window.start if body.window else None,
        window_end=body.window.end if body.window else None,
        rate_per_second=body.rate_per_second,
        calls_per_second=body.calls_per_second,
        retry_max=body.retries.max if body.retries else None,
        retry_interval_minutes=body.retries.interval_minutes if body.retries else None,
        machine=body.machine,
    )
    try:
        campaign = create_campaign(db.session, scope, data, scope.user_id)
    except ValidationFailed as exc:
        raise _problems_as_list(exc) from None
    if campaign.channel == "voice":
        return _voice_created(campaign), 201
    summary = preview(db.session, campaign)
    db.session.commit()
    return CampaignCreated(id=campaign.id, status=str(campaign.status), **summary), 201


def _voice_created(campaign: Campaign) -> VoiceCampaignCreated:
    """The new voice draft: its audience and the prompts still missing audio."""
    config = current_app.config
    missing = missing_audio(db.session, campaign, config["OUTREACH_PROVIDER"], config)
    audience = preview(db.session, campaign)["audience"]
    db.session.commit()
    return VoiceCampaignCreated(
        id=campaign.id,
        status=str(campaign.status),
        audience=audience,
        prompts={"missing": missing},
    )


@registry.route(
    "GET",
    "/campaigns",
    query=CampaignQuery,
    responses={200: CampaignPage},
    tag="campaigns",
    action=Action.CAMPAIGNS_READ,
)
def get_campaigns(query: CampaignQuery):
    """Campaigns the user may see, newest first, optionally of one status."""
    page = search_campaigns(db.session, current_scope(), query.status, query.page, query.per_page)
    return CampaignPage(
        items=[campaign_out(c) for c in page.items], total=page.total, page=page.page
    ), 200


@registry.route(
    "GET", CAMPAIGN, responses={200: CampaignDetail}, tag="campaigns", action=Action.CAMPAIGNS_READ
)
def get_one_campaign(campaign_id: int):
    """One campaign with its stats (each message once, in its current status) and runs."""
    campaign = get_campaign(db.session, current_scope(), campaign_id)
    return campaign_detail(campaign), 200


def _act(campaign_id: int, action: Callable):
    scope = current_scope()
    campaign = action(db.session, scope, campaign_id, utcnow())
    db.session.commit()
    return campaign_detail(campaign), 200


@registry.route(
    "POST",
    CAMPAIGN + "/launch",
    body=NoBody,
    responses={200: CampaignDetail, **ACTION_ERRORS},
    tag="campaigns",
    action=Action.CAMPAIGNS_MANAGE,
)
def launch(campaign_id: int, body: NoBody):
    """Launch a draft: at `send_at` when that is ahead (scheduled), else now (running).

    A voice campaign with a prompt lacking audio in a language of its audience: 409
    `missing_audio`, the list in `details`.
    """
    config = current_app.config
    campaign = get_campaign(db.session, current_scope(), campaign_id)
    check_audio(db.session, campaign, config["OUTREACH_PROVIDER"], config)
    return _act(campaign_id, launch_campaign)


@registry.route(
    "POST",
    CAMPAIGN + "/pause",
    body=NoBody,
    responses={200: CampaignDetail, **ACTION_ERRORS},
    tag="campaigns",
    action=Action.CAMPAIGNS_MANAGE,
)
def pause(campaign_id: int, body: NoBody):
    """Pause a scheduled or running campaign; messages already with the provider go on."""
    return _act(campaign_id, pause_campaign)


@registry.route(
    "POST",
    CAMPAIGN + "/resume",
    body=NoBody,
    responses={200: CampaignDetail, **ACTION_ERRORS},
    tag="campaigns",
    action=Action.CAMPAIGNS_MANAGE,
)
def resume(campaign_id: int, body: NoBody):
    """Resume a paused campaign from where it stopped."""
    return _act(campaign_id, resume_campaign)


@registry.route(
    "POST",
    CAMPAIGN + "/cancel",
    body=NoBody,
    responses={200: CampaignDetail, **ACTION_ERRORS},
    tag="campaigns",
    action=Action.CAMPAIGNS_MANAGE,
)
def cancel(campaign_id: int, body: NoBody):
    """Cancel for good: messages not yet sent are not sent, and no run is to come."""
    return _act(campaign_id, cancel_campaign)


@registry.route(
    "POST",
    CAMPAIGN + "/test-send",
    body=SendTestIn,
    responses={202: SendTestOut, 429: ErrorOut},
    tag="campaigns",
    action=Action.CAMPAIGNS_MANAGE,
)
def send_test(campaign_id: int, body: SendTestIn):
    """Queue one copy of the text (marked [TEST]) to one number; not part of the stats.

    Only to a mobile number that is not an opted-out contact nor another region's; with real
    phones, only to a registered test phone; at most 20 an hour per user (429 past that).
    """
    scope = current_scope()
    message = send_test_message(
        db.session,
        scope,
        campaign_id,
        body.phone,
        body.language or None,
        utcnow(),
        real_phones=reaches_real_phones(current_app.config),
    )
    db.session.commit()
    return SendTestOut(
        message_id=message.id, status="queued", phone=message.to_phone, language=message.language
    ), 202
