"""Uploads are decoded, not trusted: real WAV and MP3 become 8 kHz mono WAV; the rest is refused."""

from __future__ import annotations

import miniaudio
import pytest
from audio_samples import MP3_SAMPLE, read_wav, wav_bytes

from outreach.voice.audio import BadAudio, convert_upload, mulaw_wav


def test_a_stereo_44k_wav_becomes_16_bit_mono_8k():
    converted = convert_upload(wav_bytes(1.5, rate=44100, channels=2))
    assert read_wav(converted.data) == (1, 2, 8000, 12000)
    assert converted.duration == pytest.approx(1.5, abs=0.01)


def test_an_mp3_is_decoded_and_converted():
    converted = convert_upload(MP3_SAMPLE.read_bytes())
    channels, width, rate, frames = read_wav(converted.data)
    assert (channels, width, rate) == (1, 2, 8000)
    assert converted.duration == pytest.approx(2.0, abs=0.1)  # the encoder pads a frame or so
    assert frames == round(converted.duration * 8000)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Hello, I am a text file named recording.wav\n" * 20, "not a WAV or MP3"),
        (b"", "not a WAV or MP3"),
        (b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk", "not a readable WAV"),
        (b"ID3" + b"\x00" * 500, "not a readable MP3"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not a WAV or MP3"),
    ],
)
def test_what_is_not_audio_is_refused_with_a_reason(data, message):
    with pytest.raises(BadAudio, match=message):
        convert_upload(data)


def test_a_file_over_5_mb_is_refused_before_it_is_decoded():
    with pytest.raises(BadAudio, match=r"6\.0 MB; the limit is 5 MB"):
        convert_upload(b"RIFF" + b"\x00" * (6 * 1024 * 1024 - 4))


def test_a_recording_over_3_minutes_is_refused():
    four_minutes = wav_bytes(240, rate=8000, channels=1, width=1)
    assert len(four_minutes) < 5 * 1024 * 1024  # the length, not the size, refuses it
    with pytest.raises(BadAudio, match=r"4\.0 minutes; the limit is 3 minutes"):
        convert_upload(four_minutes)


def test_mulaw_wav_is_a_valid_g711_file_that_decodes_back():
    source = miniaudio.decode(wav_bytes(0.5, rate=8000, channels=1), nchannels=1, sample_rate=8000)
    data = mulaw_wav(source.samples)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert int.from_bytes(data[20:22], "little") == 7  # WAVE_FORMAT_MULAW
    assert len(data) < 0.5 * 8000 + 100  # one byte a sample
    back = miniaudio.decode(data, nchannels=1, sample_rate=8000).samples
    assert len(back) == len(source.samples)
    worst = max(abs(a - b) for a, b in zip(source.samples, back, strict=True))
    assert worst <= max(abs(s) for s in source.samples) // 16  # µ-law's coarse steps, no more
