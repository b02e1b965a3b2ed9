"""Make the placeholder recordings: `audio/<language>/<topic>/<prompt>.wav` for every prompt.

    python -m tools.make_placeholder_audio          # (re)make missing or outdated files
    python -m tools.make_placeholder_audio --check  # list missing or outdated ones; exit 1 if any

Each prompt (topic `common` for the shared ones) in every language is spoken by espeak-ng where
it has a voice for the language, and is a short tone otherwise, then stored as 8-bit µ-law WAV
at 8 kHz — small, and what Twilio plays. `audio/placeholders.toml` lists every file made here,
how it was made and a hash of the text it speaks, so the app tells a placeholder from a real
recording (a shipped file not in the list is one), and so an edited text is noticed. Run it
after editing prompt texts; the files are committed, so nothing else needs espeak-ng.
"""

from __future__ import annotations

import argparse
import array
import hashlib
import math
import subprocess
import sys
import tomllib
from pathlib import Path

from outreach.content import load_content
from outreach.content.render import render_text
from outreach.languages import LANGUAGES
from outreach.voice.audio import RATE, decode_to_rate, mulaw_wav

ROOT = Path(__file__).resolve().parents[1]
AUDIO_DIR = ROOT / "audio"
MANIFEST = "placeholders.toml"
ESPEAK_VOICES = {"en": "en", "ur": "ur", "fa-AF": "fa", "ru": "ru", "ky": "ky", "uz": "uz"}
# A recording holds no campaign values: the MRC is "MRC", and language_choice says the key
# that language has in the languages list (English 1 … Uzbek 8).
VALUES = {"mrc_name": "MRC", "mrc_phone": ""}
KEYS = {lang: str(i) for i, lang in enumerate(LANGUAGES, start=1)}


def spoken_text(text: str, language: str) -> str:
    """What a placeholder says for a prompt text in a language."""
    return render_text(text, {**VALUES, "key": KEYS[language]})


def text_hash(text: str, language: str) -> str:
    """A short hash of the spoken text and the way it is made, to notice edits."""
    how = ESPEAK_VOICES.get(language, "tone")
    return hashlib.sha256(f"{how}\n{spoken_text(text, language)}".encode()).hexdigest()[:16]


def every_prompt(campaigns: Path | None = None):
    """(topic, prompt name, language, text) for every prompt the content has."""
    content = load_content(campaigns)
    for prompt in content.common.prompts.values():
        for lang, text in prompt.texts.items():
            yield "common", prompt.name, lang, text
    for topic in content.topics.values():
        for prompt in topic.prompts.values():
            for lang, text in prompt.texts.items():
                yield topic.id, prompt.name, lang, text


def relative_path(topic: str, prompt: str, language: str) -> str:
    """Where a prompt's shipped file lives under audio/."""
    return f"{language}/{topic}/{prompt}.wav"


def tone(seconds: float = 0.8, hertz: float = 440.0) -> array.array:
    """A soft tone with short fades, so it does not click."""
    count, fade = int(RATE * seconds), RATE // 50
    samples = array.array("h")
    for i in range(count):
        gain = min(1.0, i / fade, (count - i) / fade)
        samples.append(int(8000 * gain * math.sin(2 * math.pi * hertz * i / RATE)))
    return samples


def speak(text: str, language: str) -> array.array:
    """The text spoken by espeak-ng (16-bit mono at 8 kHz), or a tone without a voice."""
    voice = ESPEAK_VOICES.get(language)
    if voice is None:
        return tone()
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "165", "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    return decode_to_rate(wav)


def read_manifest(audio_dir: Path) -> dict[str, dict]:
    """The placeholder list: relative path → {made_with, text}."""
    path = audio_dir / MANIFEST
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh).get("placeholders", {})


def write_manifest(audio_dir: Path, entries: dict[str, dict]) -> None:
    """The placeholder list, sorted, one line a file."""
    lines = [
        "# Placeholder recordings made by tools/make_placeholder_audio.py (espeak-ng, or a tone",
        "# where espeak-ng has no voice for the language). A shipped file listed here is a",
        "# placeholder; one that is not is a real recording. Do not edit by hand.",
        "",
        "[placeholders]",
    ]
    for rel in sorted(entries):
        e = entries[rel]
        lines.append(f'"{rel}" = {{ made_with = "{e["made_with"]}", text = "{e["text"]}" }}')
    (audio_dir / MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")


def outdated(audio_dir: Path, campaigns: Path | None = None) -> list[tuple[str, str, str, str]]:
    """The prompts whose placeholder is missing or speaks an older text."""
    manifest = read_manifest(audio_dir)
    todo = []
    for topic, prompt, lang, text in every_prompt(campaigns):
        rel = relative_path(topic, prompt, lang)
        entry = manifest.get(rel)
        if not (audio_dir / rel).exists():
            todo.append((topic, prompt, lang, text))
        elif entry is not None and entry.get("text") != text_hash(text, lang):
            todo.append((topic, prompt, lang, text))  # a real recording (no entry) is kept
    return todo


def make(audio_dir: Path, todo) -> None:
    """Write a placeholder for each prompt in `todo` and record it in the manifest."""
    manifest = read_manifest(audio_dir)
    for topic, prompt, lang, text in todo:
        rel = relative_path(topic, prompt, lang)
        target = audio_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(mulaw_wav(speak(spoken_text(text, lang), lang)))
        made_with = f"espeak-ng {ESPEAK_VOICES[lang]}" if lang in ESPEAK_VOICES else "tone"
        manifest[rel] = {"made_with": made_with, "text": text_hash(text, lang)}
        print(f"made {rel} ({made_with})")
    write_manifest(audio_dir, manifest)


def main(argv: list[str] | None = None) -> int:
    """Make or check the placeholders; 1 when --check finds any missing or outdated."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only list what is missing")
    parser.add_argument("--audio-dir", type=Path, default=AUDIO_DIR)
    args = parser.parse_args(argv)
    todo = outdated(args.audio_dir)
    if args.check:
        for topic, prompt, lang, _ in todo:
            print(f"missing or outdated: {relative_path(topic, prompt, lang)}")
        return 1 if todo else 0
    make(args.audio_dir, todo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
