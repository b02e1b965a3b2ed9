"""TwiML for a step of the call flow, built with the twilio SDK's `VoiceResponse`.

Each prompt is played by the rule the prompts agree on: an uploaded recording when there is
one; with Twilio, text-to-speech where the language has a voice; else a placeholder recording;
else `<Say>` (the simulator shows the text). A node's prompts sit inside its `<Gather>`, so a
key pressed while they play is taken at once; with `actionOnEmptyResult` silence is posted too,
so the flow decides what silence does.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from twilio.twiml.voice_response import Gather, VoiceResponse

from outreach.voice.flow import Said, Step
from outreach.voice.prompts import PromptAudio

GATHER_TIMEOUT = 7  # seconds of silence before the gather posts an empty result
CALL_PATH = "/webhooks/twilio/voice/call/"
# Twilio's <Say> speaks these; a language without a voice is never given to <Say> as such.
SAY_LANGUAGES = {"en": "en-GB", "ru": "ru-RU"}

Speaker = Callable[[Said], PromptAudio]


def node_url(base_url: str, call_id: int, node: str, tries: int, confirming: bool) -> str:
    """Where the keys pressed at `node` are posted."""
    url = f"{base_url.rstrip('/')}{CALL_PATH}{call_id}/{quote(node, safe='')}?tries={tries}"
    return url + ("&confirm=1" if confirming else "")


def step_twiml(step: Step, call_id: int, speak: Speaker, base_url: str, provider: str) -> str:
    """The TwiML answer for a step: its prompts in a `<Gather>`, or followed by `<Hangup/>`."""
    response = VoiceResponse()
    if step.gather is None:
        for said in step.said:
            _play(response, speak(said), base_url, provider)
        response.hangup()
        return str(response)
    action = node_url(base_url, call_id, step.gather, step.tries, step.confirming)
    gather = Gather(
        num_digits=1,
        timeout=GATHER_TIMEOUT,
        action=action,
        method="POST",
        action_on_empty_result=True,
    )
    for said in step.said:
        _play(gather, speak(said), base_url, provider)
    response.append(gather)
    return str(response)


def gather_twiml(action: str, audios: list[PromptAudio], base_url: str, provider: str) -> str:
    """Prompts in a `<Gather>` posting to `action` (the hotline's language choice)."""
    response = VoiceResponse()
    gather = Gather(
        num_digits=1,
        timeout=GATHER_TIMEOUT,
        action=action,
        method="POST",
        action_on_empty_result=True,
    )
    for audio in audios:
        _play(gather, audio, base_url, provider)
    response.append(gather)
    return str(response)


def said_then_hangup(audios: list[PromptAudio], base_url: str, provider: str) -> str:
    """Prompts, then the end of the call."""
    response = VoiceResponse()
    for audio in audios:
        _play(response, audio, base_url, provider)
    response.hangup()
    return str(response)


def reject_busy() -> str:
    """A call refused as busy before it is answered: the caller pays nothing."""
    response = VoiceResponse()
    response.reject(reason="busy")
    return str(response)


def hangup() -> str:
    """Nothing to say: the end of the call."""
    response = VoiceResponse()
    response.hangup()
    return str(response)


def _play(verb, audio: PromptAudio, base_url: str, provider: str) -> None:
    """`<Play>` the recording or `<Say>` the text, by the prompts' rule."""
    uploaded = audio.recording == "uploaded" and audio.url
    spoken = provider == "twilio" and audio.tts
    if audio.url and (uploaded or not spoken):
        verb.play(_absolute(base_url, audio.url))
    else:
        verb.say(audio.text, language=SAY_LANGUAGES.get(audio.language, audio.language))


def _absolute(base_url: str, url: str) -> str:
    return url if "://" in url else base_url.rstrip("/") + url
