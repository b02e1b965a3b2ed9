"""Campaigns: compose (validated against the topic's content), preview, launch, pause, resume."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.campaigns.lifecycle import CampaignEvent, apply_event
from outreach.campaigns.scheduling import cancel_pending_messages
from outreach.contacts.lists import get_list
from outreach.content import UnknownTopic, get_topic, validate_template
from outreach.errors import NotFound, ValidationFailed
from outreach.languages import parse_language
from outreach.models import (
    Campaign,
    CampaignStatus,
    Channel,
    Recurrence,
)
from outreach.regions import parse_minutes, region_by_code

MIN_RATE, MAX_RATE, DEFAULT_RATE = 1.0, 100.0, 10.0
MIN_CALLS, MAX_CALLS, DEFAULT_CALLS = 0.1, 20.0, 1.0
MAX_RETRIES, DEFAULT_RETRIES, DEFAULT_RETRY_MINUTES = 5, 2, 30.0
MACHINE_CHOICES = ("message", "hangup")


@dataclass
class CampaignInput:
    """What a coordinator composes; texts override the topic's per language."""

    name: str
    topic: str
    channel: str = "sms"
    regions: list[str] = field(default_factory=list)
    lists: list[int] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    send_at: datetime | None = None
    recurrence: str | None = None
    window_start: str | None = None
    window_end: str | None = None
    rate_per_second: float | None = None
    # Voice only
    calls_per_second: float | None = None
    retry_max: int | None = None
    retry_interval_minutes: float | None = None
    machine: str | None = None


def create_campaign(
    session: Session, scope: Scope, data: CampaignInput, user_id: int | None
) -> Campaign:
    """A draft campaign; every problem is reported at once, by field."""
    problems: dict[str, str] = {}
    topic = _topic(data.topic, problems)
    campaign = Campaign(
        name=_name(data.name, problems),
        topic=data.topic,
        channel=_channel(data.channel, problems),
        status=CampaignStatus.DRAFT,
        regions=_found(_region(session, scope, code, problems) for code in data.regions),
        lists=_found(_list(session, scope, list_id, problems) for list_id in data.lists),
        send_at=_send_at(data.send_at, problems),
        recurrence=_recurrence(data.recurrence, problems),
        rate_per_second=_rate(data.rate_per_second, problems),
        created_by_id=user_id,
    )
    campaign.window_start, campaign.window_end = _window(data, problems)
    if not data.regions and not data.lists:
        problems["regions"] = "choose at least one region or list"
    voice = data.channel == Channel.VOICE
    if voice:
        _voice_settings(campaign, data, problems)
    else:
        _no_voice_settings(data, problems)
    if topic is not None:
        campaign.texts = {} if voice else _texts(topic, data.texts, problems)
        campaign.fields = _fields(topic, data.fields, problems)
        if voice and getattr(topic, "voice", True) is None:
            problems["topic"] = f"the topic {data.topic!r} has no voice menu"
    if problems:
        raise ValidationFailed("the campaign has problems", problems)
    session.add(campaign)
    session.flush()
    return campaign


def _found(items) -> list:
    """The regions or lists found, each once: one named twice would break the link table."""
    found: dict[int, object] = {}
    for item in items:
        if item is not None:
            found.setdefault(item.id, item)
    return list(found.values())


def _topic(topic_id: str, problems: dict):
    try:
        return get_topic(topic_id)
    except UnknownTopic:
        problems["topic"] = f"unknown topic {topic_id!r}"
        return None


def _name(name: str, problems: dict) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        problems["name"] = "a name of 1 to 200 characters"
    return name


def _channel(channel: str, problems: dict) -> str:
    if channel not in set(Channel):
        problems["channel"] = "sms or voice"
    return channel


def _voice_settings(campaign: Campaign, data: CampaignInput, problems: dict) -> None:
    """A voice campaign's pace, retries and machine choice; it has no texts nor SMS rate."""
    if data.texts:
        problems["texts"] = "a voice campaign plays its topic's menu: no texts"
    if data.rate_per_second is not None:
        problems["rate_per_second"] = "a voice campaign is paced by calls_per_second"
    calls = DEFAULT_CALLS if data.calls_per_second is None else data.calls_per_second
    if not MIN_CALLS <= calls <= MAX_CALLS:
        problems["calls_per_second"] = f"between {MIN_CALLS:g} and {MAX_CALLS:g} calls a second"
    retries = DEFAULT_RETRIES if data.retry_max is None else data.retry_max
    if not 0 <= retries <= MAX_RETRIES:
        problems["retries.max"] = f"from 0 to {MAX_RETRIES} retries"
    minutes = DEFAULT_RETRY_MINUTES
    if data.retry_interval_minutes is not None:
        minutes = data.retry_interval_minutes
    if not 0 <= minutes <= 7 * 24 * 60:
        problems["retries.interval_minutes"] = "minutes from 0 to a week"
    if data.machine not in (None, *MACHINE_CHOICES):
        problems["machine"] = "message, hangup or null"
    campaign.calls_per_second, campaign.retry_max = calls, retries
    campaign.retry_interval_minutes, campaign.machine = minutes, data.machine


def _no_voice_settings(data: CampaignInput, problems: dict) -> None:
    voice_only = {
        "calls_per_second": data.calls_per_second,
        "retries": data.retry_max if data.retry_max is not None else data.retry_interval_minutes,
        "machine": data.machine,
    }
    for name, value in voice_only.items():
        if value is not None:
            problems[name] = "only for voice campaigns"


def _region(session, scope, code, problems):
    try:
        return region_by_code(session, scope, code)
    except NotFound:
        problems["regions"] = f"unknown region {code!r}"
        return None


def _list(session, scope, list_id, problems):
    try:
        return get_list(session, scope, int(list_id))
    except (NotFound, TypeError, ValueError):
        problems["lists"] = f"unknown list {list_id!r}"
        return None


def _send_at(send_at: datetime | None, problems: dict) -> datetime | None:
    if send_at is not None and send_at.tzinfo is None:
        problems["send_at"] = "a date and time with its UTC offset"
        return None
    if send_at is not None and not 2000 <= send_at.year <= 2100:
        problems["send_at"] = "a date between the years 2000 and 2100"
        return None
    return send_at


def _recurrence(recurrence: str | None, problems: dict) -> str | None:
    if recurrence in (None, ""):
        return None
    if recurrence not in set(Recurrence):
        problems["recurrence"] = "daily, weekly, monthly or none"
    return recurrence


def _rate(rate: float | None, problems: dict) -> float:
    if rate is None:
        return DEFAULT_RATE
    if not MIN_RATE <= rate <= MAX_RATE:
        problems["rate_per_second"] = f"between {MIN_RATE:g} and {MAX_RATE:g} messages a second"
    return rate


def _window(data: CampaignInput, problems: dict) -> tuple[int | None, int | None]:
    if not data.window_start and not data.window_end:
        return None, None
    try:
        start = parse_minutes(data.window_start or "")
        end = parse_minutes(data.window_end or "", allow_end_of_day=True)
    except ValidationFailed as exc:
        problems["window"] = exc.message
        return None, None
    if end <= start:
        problems["window"] = "the window must end after it starts (24:00 is allowed as an end)"
    return start, end


def _texts(topic, overrides: dict[str, str], problems: dict) -> dict[str, str]:
    texts = dict(topic.texts)
    for raw_language, text in (overrides or {}).items():
        language = parse_language(raw_language)
        if language is None:
            problems[f"texts.{raw_language}"] = "unknown language"
            continue
        found = validate_template(text or "", topic.placeholders)
        if not (text or "").strip():
            found.append("the text is empty")
        if found:
            problems[f"texts.{language}"] = "; ".join(found)
        texts[language] = text
    return texts


def _fields(topic, values: dict[str, str], problems: dict) -> dict[str, str]:
    given = {k: str(v).strip() for k, v in (values or {}).items() if str(v).strip()}
    for name in topic.fields:
        if name not in given:
            problems[f"fields.{name}"] = "this topic's texts need it"
    return {k: v for k, v in given.items() if k in topic.fields}


def get_campaign(session: Session, scope: Scope, campaign_id: int) -> Campaign:
    """A campaign every one of whose regions and lists the user may see."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or not _visible(scope, campaign):
        raise NotFound("campaign not found")
    return campaign


def _visible(scope: Scope, campaign: Campaign) -> bool:
    region_ids = [r.id for r in campaign.regions] + [lst.region_id for lst in campaign.lists]
    return all(scope.allows(region_id) for region_id in region_ids)


def launch_campaign(session: Session, scope: Scope, campaign_id: int, now: datetime) -> Campaign:
    """Launch now, or at `send_at` when that is still ahead."""
    campaign = get_campaign(session, scope, campaign_id)
    if campaign.send_at is not None and campaign.send_at > now:
        apply_event(campaign, CampaignEvent.LAUNCH_LATER, now)
        campaign.next_run_at = campaign.send_at
    else:
        apply_event(campaign, CampaignEvent.LAUNCH_NOW, now)
        campaign.next_run_at = now
    return campaign


def pause_campaign(session: Session, scope: Scope, campaign_id: int, now: datetime) -> Campaign:
    """Stop sending; messages already with the provider go on, the rest wait."""
    campaign = get_campaign(session, scope, campaign_id)
    apply_event(campaign, CampaignEvent.PAUSE, now)
    return campaign


def resume_campaign(session: Session, scope: Scope, campaign_id: int, now: datetime) -> Campaign:
    """Send again from where it paused."""
    campaign = get_campaign(session, scope, campaign_id)
    apply_event(campaign, CampaignEvent.RESUME, now)
    return campaign


def cancel_campaign(session: Session, scope: Scope, campaign_id: int, now: datetime) -> Campaign:
    """Stop for good: nothing more is sent and no run is to come."""
    campaign = get_campaign(session, scope, campaign_id)
    apply_event(campaign, CampaignEvent.CANCEL, now)
    campaign.next_run_at = None
    cancel_pending_messages(session, campaign, now)
    return campaign
