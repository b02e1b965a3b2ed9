"""Voice campaigns: the prompts still missing audio (the launch check), and call stats."""

from __future__ import annotations

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from outreach.campaigns.stats import audience_by_language
from outreach.content import get_topic
from outreach.errors import Conflict
from outreach.models import (
    Call,
    CallbackRequest,
    CallStatus,
    Campaign,
    Direction,
    Response,
    ResponseKind,
)

S = CallStatus
VOICE_STAT_KEYS = (
    "queued",
    "held",
    "calling",
    "completed",
    "no_answer",
    "busy",
    "failed",
    "machine",
    "retry_pending",
    "interrupted",
)
_STAT_OF_STATUS = {
    S.QUEUED: "queued",
    S.HELD: "held",
    S.DIALING: "calling",
    S.INITIATED: "calling",
    S.RINGING: "calling",
    S.IN_PROGRESS: "calling",
    S.COMPLETED: "completed",
    S.NO_ANSWER: "no_answer",
    S.BUSY: "busy",
    S.FAILED: "failed",
    S.CANCELED: "failed",
    S.RETRY_PENDING: "retry_pending",
    S.INTERRUPTED: "interrupted",
}


def audience_languages(session: Session, campaign: Campaign) -> list[str]:
    """The languages calls of this campaign will speak: each contact's own, or for a contact
    without one, the first language of the campaign's regions."""
    languages = set(audience_by_language(session, campaign))
    if None in languages:
        languages.discard(None)
        regions = [*campaign.regions, *(lst.region for lst in campaign.lists)]
        languages.update(r.languages[0] for r in regions if r.languages)
    return sorted(languages)


def missing_audio(session: Session, campaign: Campaign, provider: str, config) -> list[dict]:
    """Every prompt a call of this campaign may play that has no audio in a language of its
    audience: `[{"language", "topic", "prompt"}]`, sorted."""
    from outreach.content.menus import prompts_used  # the voice menus (Seam 1)
    from outreach.voice.prompts import missing_prompts  # their recordings (Seam 2)

    prompts = prompts_used(get_topic(campaign.topic))
    languages = audience_languages(session, campaign)
    return missing_prompts(session, prompts, languages, provider=provider, config=config)


def check_audio(session: Session, campaign: Campaign, provider: str, config) -> None:
    """Refuse (409 `missing_audio`, the list in `details`) to launch a voice campaign while a
    prompt it may play has no audio in a language of its audience."""
    if campaign.channel != "voice":
        return
    missing = missing_audio(session, campaign, provider, config)
    if missing:
        raise Conflict(
            f"{len(missing)} prompts have no recording in a language of the audience",
            missing,
            code="missing_audio",
        )


def voice_stats(session: Session, campaign: Campaign) -> dict:
    """Each call (one per contact and run) counted once in its current state; a call answered
    by a machine counts as `machine`. Key presses, call-backs and opt-outs of the campaign."""
    counts = dict.fromkeys(VOICE_STAT_KEYS, 0)
    by_machine = and_(
        Call.status == S.COMPLETED,
        or_(Call.answered_by.like("machine%"), Call.answered_by == "fax"),
    )
    state = case((by_machine, "machine"), else_=Call.status)
    rows = session.execute(
        select(state, func.count())
        .where(Call.campaign_id == campaign.id, Call.direction == Direction.OUTBOUND)
        .group_by(state)
    )
    for status, count in rows:
        key = "machine" if status == "machine" else _STAT_OF_STATUS[S(status)]
        counts[key] += count
    audience = sum(counts.values())
    if audience == 0 and campaign.status in ("draft", "scheduled"):
        audience = sum(audience_by_language(session, campaign).values())
    presses = dict(
        session.execute(
            select(Response.kind, func.count())
            .where(Response.campaign_id == campaign.id, Response.channel == "ivr")
            .group_by(Response.kind)
        ).all()
    )
    callbacks = session.execute(
        select(func.count())
        .select_from(CallbackRequest)
        .where(CallbackRequest.campaign_id == campaign.id)
    ).scalar_one()
    return {
        "audience": audience,
        **counts,
        "key_presses": sum(presses.values()),
        "callbacks": callbacks,
        "opt_outs": presses.get(ResponseKind.OPT_OUT, 0),
    }
