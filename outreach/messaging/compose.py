"""What a claimed message becomes just before it is sent: its language, text, sender and limits."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from outreach.content import message_values, render_text
from outreach.messaging.window import Window
from outreach.models import Campaign, Contact, Message, Region

DEFAULT_RATE = 10.0


@dataclass(frozen=True)
class Prepared:
    """A message ready for the provider."""

    message_id: int
    to: str
    body: str
    sender: str | None
    messaging_service_sid: str | None
    rate: float
    status_callback: str | None

    @property
    def sender_key(self) -> str:
        """What the rate limit counts per: the sender number or the messaging service."""
        return self.sender or self.messaging_service_sid or "default"


def pick_language(texts: dict[str, str], contact_language: str | None, region: Region) -> str:
    """The contact's language when the campaign speaks it, else the region's, else English."""
    for candidate in (contact_language, *region.languages, "en"):
        if candidate and candidate in texts:
            return candidate
    return next(iter(texts))


def campaign_window(campaign: Campaign | None, region: Region) -> Window:
    """The campaign's sending window, or the region's when the campaign has none."""
    if campaign is not None and campaign.window_start is not None:
        return Window(campaign.window_start, campaign.window_end or 1440)
    return Window(region.window_start, region.window_end)


def render_for(message: Message, contact: Contact | None, region: Region, campaign: Campaign):
    """The message's language and text, with the contact's name and the MRC's details."""
    language = pick_language(campaign.texts, contact.language if contact else None, region)
    values = message_values(region, contact, campaign.fields)
    return language, render_text(campaign.texts[language], values)


def sender_for(region: Region, config: dict) -> tuple[str | None, str | None]:
    """(sender number, messaging service SID): the region's own number first."""
    if region.sender_number:
        return region.sender_number, None
    if config.get("TWILIO_FROM_NUMBER"):
        return config["TWILIO_FROM_NUMBER"], None
    if config.get("TWILIO_MESSAGING_SERVICE_SID"):
        return None, config["TWILIO_MESSAGING_SERVICE_SID"]
    return f"MRC {region.code}", None


def app_base_url(config: dict) -> str:
    """Where the provider reaches the app: PUBLIC_BASE_URL, else the local server's URL."""
    base = config.get("PUBLIC_BASE_URL") or config.get("LOCAL_BASE_URL") or "http://127.0.0.1:5000"
    return base.rstrip("/")


def status_callback_url(config: dict, message_id: int) -> str:
    """Where the provider reports this message's status; the id ties it to its row."""
    return f"{app_base_url(config)}/webhooks/twilio/sms/status?m={message_id}"


def region_zone(region: Region) -> ZoneInfo:
    return ZoneInfo(region.timezone)
