"""Audio in the form Twilio plays: checking and converting uploads, writing small WAV files.

An upload must be a real WAV or MP3 (it is decoded, not trusted by its name or Content-Type),
at most 5 MB and 3 minutes. It is stored as 16-bit mono 8 kHz PCM WAV: what a phone call
carries anyway, and a format Twilio's `<Play>` takes. Shipped placeholders are 8-bit µ-law
WAV at 8 kHz, half the size, which Twilio plays as well.
"""

from __future__ import annotations

import array
import io
import struct
import wave
from dataclasses import dataclass

import miniaudio

MAX_BYTES = 5 * 1024 * 1024
MAX_SECONDS = 180
RATE = 8000  # the telephone network's rate: anything finer is lost on the call
WAV_TYPE = "audio/wav"


class BadAudio(ValueError):
    """An upload that is not a usable recording; the message says why, for the person."""


@dataclass(frozen=True)
class Converted:
    """A recording ready to store: WAV bytes and how long it plays."""

    data: bytes
    duration: float  # seconds


def _kind(data: bytes) -> str | None:
    """'wav' or 'mp3' by the file's own first bytes, whatever it is called."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def _info(data: bytes, kind: str) -> miniaudio.SoundFileInfo:
    """The decoder's reading of the header: rate, channels, length."""
    try:
        return miniaudio.wav_get_info(data) if kind == "wav" else miniaudio.mp3_get_info(data)
    except miniaudio.MiniaudioError:
        raise BadAudio(f"This file is not a readable {kind.upper()} recording.") from None


def convert_upload(data: bytes) -> Converted:
    """The upload as 16-bit mono 8 kHz WAV, or BadAudio saying what is wrong with it."""
    if len(data) > MAX_BYTES:
        raise BadAudio(f"The file is {len(data) / 1048576:.1f} MB; the limit is 5 MB.")
    kind = _kind(data)
    if kind is None:
        raise BadAudio("This is not a WAV or MP3 recording.")
    info = _info(data, kind)
    if info.sample_rate <= 0 or info.num_frames <= 0:
        raise BadAudio("The recording is empty.")
    duration = info.num_frames / info.sample_rate
    if duration > MAX_SECONDS:
        raise BadAudio(f"The recording lasts {duration / 60:.1f} minutes; the limit is 3 minutes.")
    try:
        decoded = miniaudio.decode(data, nchannels=1, sample_rate=RATE)
    except miniaudio.MiniaudioError:
        raise BadAudio(f"This file is not a readable {kind.upper()} recording.") from None
    if not decoded.samples:
        raise BadAudio("The recording is empty.")
    return Converted(pcm_wav(decoded.samples), len(decoded.samples) / RATE)


def pcm_wav(samples: array.array) -> bytes:
    """16-bit mono 8 kHz samples as a PCM WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(samples.tobytes())
    return out.getvalue()


def decode_to_rate(data: bytes) -> array.array:
    """Any WAV or MP3 as 16-bit mono samples at 8 kHz (for the placeholder tool)."""
    return miniaudio.decode(data, nchannels=1, sample_rate=RATE).samples


def _mulaw_byte(sample: int) -> int:
    """One 16-bit sample in G.711 µ-law."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 0x84
    exponent = max(magnitude.bit_length() - 8, 0)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


_MULAW = bytes(_mulaw_byte(s) for s in range(-32768, 32768))


def mulaw_wav(samples: array.array) -> bytes:
    """16-bit mono 8 kHz samples as an 8-bit µ-law WAV file (WAVE_FORMAT_MULAW, with `fact`)."""
    body = bytes(_MULAW[s + 32768] for s in samples)
    fmt = struct.pack("<HHIIHHH", 7, 1, RATE, RATE, 1, 8, 0)  # µ-law, mono, 8-bit, cbSize 0
    chunks = (
        b"fmt " + struct.pack("<I", len(fmt)) + fmt
        + b"fact" + struct.pack("<II", 4, len(samples))
        + b"data" + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")
    )  # fmt: skip
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks
