"""The campaign form: its fields (one text per language, the topics' own fields, the voice
settings), and parsing.

Parsing turns the form into the service's `CampaignInput`; the send time is read in the time
zone of the first region ticked (or of the first list's region) and becomes an aware UTC
datetime. A voice campaign plays its topic's menu: its text areas and SMS rate are ignored, and
an SMS campaign's voice settings are. Problems found while parsing and the service's problems
are shown together.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import (
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import Length

from outreach.campaigns.service import (
    DEFAULT_CALLS,
    DEFAULT_RATE,
    DEFAULT_RETRIES,
    DEFAULT_RETRY_MINUTES,
    CampaignInput,
)
from outreach.content import SAMPLE_VALUES, TemplateError, Topic, render_text
from outreach.languages import LANGUAGES, language_name
from outreach.messaging.segments import GSM_SINGLE, UCS2_SINGLE, count_segments
from outreach.models import ContactList, Region

SEND_AT_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")
FIELD_HELP = {
    "event_date": (
        "As people say it, e.g. “30 April, 10:00” — it goes into every language's text as written."
    ),
    "event_place": "The venue, e.g. “MRC Lahore, 12 Davis Road”.",
}


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class CampaignFormBase(FlaskForm):
    name = StringField("Name", validators=[Length(max=200)])
    channel = RadioField(
        "Channel",
        choices=[
            SelectChoice(value="sms", label="SMS: a text in each contact's language"),
            SelectChoice(
                value="voice", label="Voice call: a menu spoken in each contact's language"
            ),
        ],
        default="sms",
        validate_choice=False,  # the service names a wrong channel with the other problems
    )
    topic = SelectField("Topic", validate_choice=False)
    regions = CheckboxesField("Regions (every opted-in contact of the MRC)")
    lists = CheckboxesField("Lists (their opted-in members)", coerce=int)
    when = RadioField(
        "Send",
        choices=[
            SelectChoice(value="now", label="As soon as it is launched"),
            SelectChoice(value="at", label="Once, at a date and time"),
            SelectChoice(value="recurring", label="Again and again: daily, weekly or monthly"),
        ],
        default="now",
    )
    send_at = StringField("Date and time")
    recurrence = SelectField(
        "Repeat",
        choices=[
            SelectChoice(value="daily", label="Every day"),
            SelectChoice(value="weekly", label="Every week"),
            SelectChoice(value="monthly", label="Every month"),
        ],
        default="weekly",
    )
    window_start = StringField("From")
    window_end = StringField("Until")
    rate = StringField("Messages per second per sender", default=f"{DEFAULT_RATE:g}")
    calls_per_second = StringField("Calls per second", default=f"{DEFAULT_CALLS:g}")
    retry_max = StringField("Retries (no answer or busy)", default=str(DEFAULT_RETRIES))
    retry_interval = StringField("Minutes between tries", default=f"{DEFAULT_RETRY_MINUTES:g}")
    machine = RadioField(
        "Answering machine",
        choices=[
            SelectChoice(value="", label="Do not detect machines (a person never hears silence)"),
            SelectChoice(value="message", label="Leave the short voicemail message; no retry"),
            SelectChoice(value="hangup", label="Hang up and try again later, as for no answer"),
        ],
        default="",
        validate_choice=False,
    )


def text_field_name(language: str) -> str:
    """The form field holding one language's text: `text_fa_AF`."""
    return "text_" + language.replace("-", "_")


def topic_field_name(name: str) -> str:
    """The form field holding one of a topic's own fields: `field_event_date`."""
    return "field_" + name


def all_languages(topics: dict[str, Topic]) -> list[str]:
    """Every language some topic has a text in, in the app's usual order."""
    found = {lang for topic in topics.values() for lang in topic.texts}
    return [lang for lang in LANGUAGES if lang in found] + sorted(found - set(LANGUAGES))


def all_topic_fields(topics: dict[str, Topic]) -> list[str]:
    """Every campaign field some topic needs (event_date, event_place, …)."""
    return sorted({name for topic in topics.values() for name in topic.fields})


def campaign_form_class(topics: dict[str, Topic]) -> type[CampaignFormBase]:
    """The form with a text area per language and an input per topic field."""
    attrs: dict = {}
    for lang in all_languages(topics):
        label = f"{lang} · {language_name(lang)}"
        if lang in LANGUAGES:
            label += f" · {LANGUAGES[lang][1]}" if LANGUAGES[lang][1] != language_name(lang) else ""
        attrs[text_field_name(lang)] = TextAreaField(label)
    for name in all_topic_fields(topics):
        attrs[topic_field_name(name)] = StringField(name.replace("_", " ").capitalize())
    return type("CampaignForm", (CampaignFormBase,), attrs)


def fill_topic(form: CampaignFormBase, topic: Topic, languages: list[str]) -> None:
    """Put the topic's texts into the text areas (replacing what was there)."""
    form.topic.data = topic.id
    for lang in languages:
        form[text_field_name(lang)].data = topic.texts.get(lang, "")


def describe_segments(text: str, fields: dict[str, str]) -> str:
    """`UCS-2 · 2 segments · 134 characters`, counted with sample values in the placeholders."""
    try:
        rendered = render_text(text.replace("\r\n", "\n"), {**SAMPLE_VALUES, **fields})
    except TemplateError:
        rendered = text
    counted = count_segments(rendered)
    if counted.segments == 0:
        return "empty — nothing to send"
    if counted.segments == 1:
        single = GSM_SINGLE if counted.encoding == "GSM-7" else UCS2_SINGLE
        return f"{counted.encoding} · 1 segment · {counted.units}/{single} characters"
    return f"{counted.encoding} · {counted.segments} segments · {counted.units} characters"


def to_input(
    form: CampaignFormBase,
    topic: Topic | None,
    languages: list[str],
    regions: list[Region],
    lists: list[ContactList],
    now: datetime,
) -> tuple[CampaignInput, dict[str, str]]:
    """The service's input from the form, and the problems found while reading it."""
    problems: dict[str, str] = {}
    fields = {
        name: (form[topic_field_name(name)].data or "").strip()
        for name in (topic.fields if topic else ())
    }
    send_at, recurrence = _schedule(form, _zone(form, regions, lists), now, problems)
    channel = form.channel.data or "sms"
    data = CampaignInput(
        name=form.name.data or "",
        topic=form.topic.data or "",
        channel=channel,
        regions=list(form.regions.data or []),
        lists=list(form.lists.data or []),
        fields=fields,
        send_at=send_at,
        recurrence=recurrence,
        window_start=(form.window_start.data or "").strip() or None,
        window_end=(form.window_end.data or "").strip() or None,
    )
    if channel == "voice":
        _voice(form, data, problems)
    else:
        data.texts = _texts(form, topic, languages)
        data.rate_per_second = _number(form.rate.data, "rate_per_second", problems)
    return data, problems


NUMBER_HELP = {
    "rate_per_second": "a number of messages a second, e.g. 10",
    "calls_per_second": "a number of calls a second, e.g. 1 or 0.5",
    "retries.max": "a whole number of retries, from 0 to 5",
    "retries.interval_minutes": "a number of minutes, e.g. 30",
}


def _voice(form: CampaignFormBase, data: CampaignInput, problems: dict) -> None:
    """The voice settings as numbers; the service checks their ranges."""
    data.calls_per_second = _number(form.calls_per_second.data, "calls_per_second", problems)
    retries = _number(form.retry_max.data, "retries.max", problems)
    if retries is not None and not retries.is_integer():
        problems["retries.max"] = NUMBER_HELP["retries.max"]
        retries = None
    data.retry_max = int(retries) if retries is not None else None
    minutes = _number(form.retry_interval.data, "retries.interval_minutes", problems)
    data.retry_interval_minutes = minutes
    data.machine = form.machine.data or None


def _texts(form: CampaignFormBase, topic: Topic | None, languages: list[str]) -> dict[str, str]:
    """Each language's text area (browsers send CRLF; an SMS has LF)."""
    texts = {}
    for lang in languages:
        text = (form[text_field_name(lang)].data or "").replace("\r\n", "\n")
        if text.strip() or (topic is not None and lang in topic.texts):
            texts[lang] = text
    return texts


def _zone(form: CampaignFormBase, regions: list[Region], lists: list[ContactList]) -> str:
    """The time zone of the first region ticked, else of the first list's region, else UTC."""
    by_code = {r.code: r for r in regions}
    by_id = {lst.id: lst for lst in lists}
    for code in form.regions.data or []:
        if code in by_code:
            return by_code[code].timezone
    for list_id in form.lists.data or []:
        if list_id in by_id:
            return by_id[list_id].region.timezone
    return regions[0].timezone if regions else "UTC"


def _schedule(form, zone: str, now: datetime, problems: dict) -> tuple[datetime | None, str | None]:
    when = form.when.data or "now"
    if when == "now":
        return None, None
    recurrence = form.recurrence.data if when == "recurring" else None
    raw = (form.send_at.data or "").strip()
    if not raw:
        if when == "at":
            problems["send_at"] = "choose the date and time to send"
        return None, recurrence
    local = _parse_local(raw)
    if local is None:
        problems["send_at"] = f"{raw!r} is not a date and time (YYYY-MM-DD HH:MM)"
        return None, recurrence
    send_at = local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    if send_at <= now:
        problems["send_at"] = f"{raw} ({zone}) has already passed"
    return send_at, recurrence


def _parse_local(raw: str) -> datetime | None:
    for fmt in SEND_AT_FORMATS:
        try:
            return datetime.strptime(raw, fmt)
        except ValueError:
            continue
    return None


def _number(raw: str | None, key: str, problems: dict) -> float | None:
    """A finite number typed in the form (a decimal comma allowed); None when left empty."""
    raw = (raw or "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        problems[key] = NUMBER_HELP[key]
        return None
    return value


def attach_problems(form: CampaignFormBase, problems: dict[str, str]) -> list[str]:
    """Put each problem on its field; the ones that belong to no field are returned."""
    simple = {
        "name": "name",
        "topic": "topic",
        "regions": "regions",
        "lists": "lists",
        "send_at": "send_at",
        "recurrence": "recurrence",
        "window": "window_end",
        "rate_per_second": "rate",
        "channel": "channel",
        "calls_per_second": "calls_per_second",
        "retries.max": "retry_max",
        "retries.interval_minutes": "retry_interval",
        "machine": "machine",
    }
    left = []
    for key, message in problems.items():
        prefix, _, rest = key.partition(".")
        name = simple.get(key)
        if prefix == "texts":
            name = text_field_name(rest)
        elif prefix == "fields":
            name = topic_field_name(rest)
        field = form._fields.get(name) if name else None
        if field is None:
            left.append(f"{key}: {message}")
        else:
            field.errors = [*field.errors, message]
    return left
