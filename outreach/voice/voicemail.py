"""The short message left on an answering machine (`"machine": "message"`), as TwiML.

Played on the live call once machine detection heard the greeting end (DetectMessageEnd), so
the message is recorded from its start. What plays follows the rule of every prompt: an uploaded
recording; else, with Twilio, text-to-speech where the language has a voice; else the
placeholder recording; else plain `<Say>`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from outreach.content import get_topic, message_values
from outreach.messaging.compose import app_base_url
from outreach.models import Call, Campaign, Region


def voicemail_twiml(session: Session, call: Call, provider: str, config: dict) -> str:
    """The TwiML that leaves the campaign topic's voicemail prompt and hangs up."""
    # Prompts and their audio are the voice-content part (Seams 1 and 2).
    from outreach.voice.prompts import prompt_audio

    campaign = session.get(Campaign, call.campaign_id)
    region = session.get(Region, call.region_id)
    topic = get_topic(campaign.topic)
    fields = message_values(region, None, campaign.fields)
    audio = prompt_audio(
        session, campaign.topic, topic.voice.voicemail, call.language, config=config, fields=fields
    )
    response = VoiceResponse()
    tts_first = provider == "twilio" and audio.tts and audio.recording != "uploaded"
    if audio.url and not tts_first:
        response.play(app_base_url(config) + audio.url)
    elif audio.tts:
        response.say(audio.text, language=audio.language)
    else:
        response.say(audio.text)
    response.hangup()
    return str(response)
