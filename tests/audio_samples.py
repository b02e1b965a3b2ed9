"""Audio for tests: real WAV files made here, and a small MP3 made once with an MP3 encoder."""

from __future__ import annotations

import io
import math
import struct
import wave
from pathlib import Path

MP3_SAMPLE = Path(__file__).parent / "voice" / "data" / "tone-2s-44k-stereo.mp3"


def wav_bytes(
    seconds: float = 1.0, *, rate: int = 44100, channels: int = 2, width: int = 2, hz: int = 440
) -> bytes:
    """A sine tone as a PCM WAV file."""
    frames = int(seconds * rate)
    peak = 2 ** (8 * width - 1) - 1
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        if width == 1:  # 8-bit WAV is unsigned
            frame = [
                bytes([128 + int(100 * math.sin(2 * math.pi * hz * i / rate))])
                for i in range(rate // hz)
            ]
            period = b"".join(f * channels for f in frame)
            wav.writeframes((period * (frames // len(frame) + 1))[: frames * channels])
        else:
            samples = (
                int(peak * 0.3 * math.sin(2 * math.pi * hz * i / rate)) for i in range(frames)
            )
            wav.writeframes(b"".join(struct.pack("<h", s) * channels for s in samples))
    return out.getvalue()


def read_wav(data: bytes) -> tuple[int, int, int, int]:
    """(channels, sample width, rate, frames) of a PCM WAV file."""
    with wave.open(io.BytesIO(data), "rb") as wav:
        return wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes()


def upload(key, seconds: float = 1.0, storage: str | None = None):
    """An upload of a `seconds` tone for a (topic, prompt, language), stored and committed."""
    from outreach.extensions import db
    from outreach.models import utcnow
    from outreach.voice.recordings import store_recording

    recording = store_recording(
        db.session, key, wav_bytes(seconds), user_id=None, now=utcnow(), storage=storage
    )
    db.session.commit()
    return recording
