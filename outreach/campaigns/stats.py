"""What a coordinator sees before launch (audience, segments, cost) and after (stats)."""

from __future__ import annotations

from decimal import Decimal

import phonenumbers
from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from outreach.campaigns.fanout import audience_filter
from outreach.content import SAMPLE_VALUES, render_text
from outreach.messaging.segments import count_segments
from outreach.models import (
    CallbackRequestSource,
    Campaign,
    Contact,
    Direction,
    Message,
    MessageStatus,
    Response,
    ResponseKind,
    SegmentPrice,
)

STAT_KEYS = (
    "queued",
    "held",
    "sending",
    "sent",
    "delivered",
    "failed",
    "undelivered",
    "interrupted",
)


_CONSENT_KINDS = (ResponseKind.OPT_OUT, ResponseKind.OPT_IN)


def audience_by_language(session: Session, campaign: Campaign) -> dict[str, int]:
    """Opted-in contacts in the audience now, by their language."""
    rows = session.execute(
        select(Contact.language, func.count())
        .where(audience_filter(campaign))
        .group_by(Contact.language)
    )
    return {language: count for language, count in rows}


def segments_by_language(campaign: Campaign) -> dict[str, dict]:
    """Encoding and number of segments of each language's text."""
    values = {**SAMPLE_VALUES, **(campaign.fields or {})}
    result = {}
    for language, text in sorted(campaign.texts.items()):
        counted = count_segments(render_text(text, values))
        result[language] = {"encoding": counted.encoding, "segments": counted.segments}
    return result


def _country_of_prefix(prefix: str) -> str:
    digits = prefix.lstrip("+")
    for size in (1, 2, 3):
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(digits[:size] or 0))
        if regions:
            return regions[0]
    return "ZZ"


def estimate_cost(session: Session, campaign: Campaign) -> dict:
    """Segments to each country (by the recipients' numbers) times the admin's price there."""
    segments = {lang: s["segments"] for lang, s in segments_by_language(campaign).items()}
    # Literal bounds: with bound parameters PostgreSQL does not see that the grouped expression
    # and the selected one are the same.
    prefix = func.substr(Contact.phone, literal_column("1"), literal_column("4"))
    rows = session.execute(
        select(prefix, Contact.language, func.count())
        .where(audience_filter(campaign))
        .group_by(prefix, Contact.language)
    )
    per_country: dict[str, int] = {}
    for prefix, language, count in rows:
        country = _country_of_prefix(prefix)
        parts = segments.get(language) or segments.get("en") or 1
        per_country[country] = per_country.get(country, 0) + parts * count
    prices = {p.country: p for p in session.execute(select(SegmentPrice)).scalars()}
    total = sum(
        (Decimal(n) * prices[c].price for c, n in per_country.items() if c in prices), Decimal(0)
    )
    return {
        "amount": float(round(total, 4)),
        "currency": next(iter(prices.values())).currency if prices else "USD",
        "segments_by_country": per_country,
        "unpriced_countries": sorted(c for c in per_country if c not in prices),
    }


def preview(session: Session, campaign: Campaign) -> dict:
    """The pre-launch summary: audience by language, segments per language, estimated cost."""
    by_language = audience_by_language(session, campaign)
    cost = estimate_cost(session, campaign)
    return {
        "audience": {"total": sum(by_language.values()), "by_language": by_language},
        "segments": segments_by_language(campaign),
        "estimated_cost": cost["amount"],
        "cost": cost,
        "regions_without_phone": regions_without_phone(campaign),
    }


def regions_without_phone(campaign: Campaign) -> list[str]:
    """Codes of the campaign's regions with no MRC phone while its texts mention `{mrc_phone}`.

    Those texts would reach people with the number missing; an admin sets it on the region.
    """
    if not any("{mrc_phone}" in text for text in campaign.texts.values()):
        return []
    regions = {r.code: r for r in campaign.regions}
    regions.update({lst.region.code: lst.region for lst in campaign.lists})
    return sorted(code for code, r in regions.items() if not (r.phone or r.sender_number))


def campaign_stats(session: Session, campaign: Campaign) -> dict:
    """Each message counted once, in the status it has now; replies, opt-outs and call-backs."""
    counts = dict.fromkeys(STAT_KEYS, 0)
    rows = session.execute(
        select(Message.status, func.count())
        .where(Message.campaign_id == campaign.id, Message.direction == Direction.OUTBOUND)
        .group_by(Message.status)
    )
    for status, count in rows:
        counts[MessageStatus(status).value] = count
    messages = sum(counts.values())
    if messages == 0 and campaign.status in ("draft", "scheduled"):
        messages = sum(audience_by_language(session, campaign).values())
    kinds = dict(
        session.execute(
            select(Response.kind, func.count())
            .where(Response.campaign_id == campaign.id)
            .group_by(Response.kind)
        ).all()
    )
    # A person who asked during this campaign counts, even when their request was opened
    # earlier (their ask is a source of it).
    callbacks = session.execute(
        select(func.count(func.distinct(CallbackRequestSource.request_id))).where(
            CallbackRequestSource.campaign_id == campaign.id
        )
    ).scalar_one()
    return {
        "audience": messages,
        **counts,
        "replies": sum(n for k, n in kinds.items() if k not in _CONSENT_KINDS),
        "opt_outs": kinds.get(ResponseKind.OPT_OUT, 0),
        "callbacks": callbacks,
    }
