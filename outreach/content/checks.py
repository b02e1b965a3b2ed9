"""Reading TOML content files and checking their parts, every problem named by file and node."""

from __future__ import annotations

import tomllib
from pathlib import Path
from types import MappingProxyType

from outreach.content.render import validate_template
from outreach.content.topics import Texts
from outreach.languages import LANGUAGES


class _Problems:
    """Collects `file: node: message` lines for one file."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.items: list[str] = []

    def add(self, node: str, message: str) -> None:
        self.items.append(f"{self.label}: {node}: {message}")


def _label(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _read_toml(path: Path, problems: _Problems) -> dict:
    """The parsed file, or an empty dict with the syntax error recorded."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        problems.add("(file)", f"invalid TOML: {exc}")
    except OSError as exc:
        problems.add("(file)", f"cannot read: {exc.strerror}")
    return {}


def _check_keys(data: dict, node: str, allowed: set[str], problems: _Problems) -> None:
    """Flag keys nobody reads: a typo would otherwise be silently ignored."""
    for key in sorted(set(data) - allowed):
        problems.add(f"{node}.{key}" if node else key, "unknown key")


def _string(data: dict, key: str, node: str, problems: _Problems) -> str:
    """A required non-empty string."""
    where = f"{node}.{key}" if node else key
    value = data.get(key)
    if value is None:
        problems.add(where, "missing")
    elif not isinstance(value, str) or not value.strip():
        problems.add(where, "must be a non-empty string")
    else:
        return value.strip()
    return ""


def _table(data: dict, key: str, node: str, problems: _Problems, required=True) -> dict:
    """A sub-table, or {} with the problem recorded."""
    where = f"{node}.{key}" if node else key
    value = data.get(key)
    if value is None:
        if required:
            problems.add(where, "missing")
        return {}
    if not isinstance(value, dict):
        problems.add(where, "must be a table")
        return {}
    return value


def _texts(data: dict, node: str, allowed: frozenset[str], problems: _Problems) -> Texts:
    """A text in every language, each a valid template."""
    texts: dict[str, str] = {}
    for lang in sorted(set(data) - set(LANGUAGES)):
        problems.add(f"{node}.{lang}", "unknown language")
    for lang in LANGUAGES:
        text = _string(data, lang, node, problems)
        for problem in validate_template(text, allowed):
            problems.add(f"{node}.{lang}", problem)
        texts[lang] = text
    return MappingProxyType(texts)


def _review(data: dict, problems: _Problems) -> Texts:
    """Per-language notes saying a native speaker should check the texts."""
    table = _table(data, "review", "", problems, required=False)
    for lang, note in table.items():
        if lang not in LANGUAGES:
            problems.add(f"review.{lang}", "unknown language")
        elif not isinstance(note, str) or not note.strip():
            problems.add(f"review.{lang}", "must be a non-empty note")
    return MappingProxyType({k: v for k, v in table.items() if isinstance(v, str)})
