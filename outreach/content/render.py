"""Safe text substitution: `{name}`-style placeholders and nothing else.

Templates are read with `string.Formatter().parse` and rebuilt by concatenation; `str.format`
is never called, so a template cannot reach attributes, indexes or conversions. A placeholder
whose value is missing or blank renders its fallback when one is given; otherwise it is left
out together with the separator before it, so `Hello {name}! …` reads `Hello! …` and
`Здравствуйте, {name}!` reads `Здравствуйте!` for a contact without a name.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping

# Every text may use these; a topic adds its own campaign fields (e.g. `event_date`).
BASE_FIELDS = frozenset({"name", "mrc_name", "mrc_phone"})

_FORMATTER = string.Formatter()
_SEPARATOR_BEFORE = re.compile(r"[,،]?[ \u00a0]*$")
_SEPARATOR_AFTER = re.compile(r"^[,،]?[ \u00a0]*")


class TemplateError(ValueError):
    """A template that cannot be rendered safely."""


def _parse(template: str) -> list[tuple[str, str | None, str | None, str | None]]:
    """The template's parts, or TemplateError for unbalanced braces."""
    try:
        return list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise TemplateError(f"bad braces: {exc}") from None


def template_fields(template: str) -> list[str]:
    """The placeholder names a template uses, in order (TemplateError for bad syntax)."""
    return [field for _, field, _, _ in _parse(template) if field is not None]


def validate_template(template: str, allowed: Iterable[str]) -> list[str]:
    """Problems with a template given the placeholders it may use; empty when it is fine."""
    try:
        parts = _parse(template)
    except TemplateError as exc:
        return [str(exc)]
    allowed = frozenset(allowed)
    problems: list[str] = []
    for _, field, spec, conversion in parts:
        if field is not None:
            problems.extend(_field_problems(field, spec, conversion, allowed))
    return problems


def _field_problems(field: str, spec: str | None, conversion: str | None, allowed) -> list[str]:
    """What is wrong with one placeholder, if anything."""
    shown = "{" + field + "}"
    if field == "" or field.isdigit():
        return [f"{shown}: positional placeholders are not allowed; use a name"]
    if not field.isidentifier():
        return [f"{shown}: only plain names are allowed (no attribute or index access)"]
    if spec or conversion:
        return [f"{shown}: conversions and format specs are not allowed"]
    if field not in allowed:
        return [f"{shown}: unknown placeholder; allowed: {', '.join(sorted(allowed))}"]
    return []


def render_text(
    template: str,
    values: Mapping[str, str],
    fallbacks: Mapping[str, str] | None = None,
) -> str:
    """The template with its placeholders replaced; blank values use fallbacks or drop out."""
    out = ""
    dropped = False
    for literal, field, spec, conversion in _parse(template):
        if dropped and not out.strip():
            literal = _SEPARATOR_AFTER.sub("", literal)
        out += literal
        if field is None:
            continue
        problems = _field_problems(field, spec, conversion, {field})
        if problems:
            raise TemplateError(problems[0])
        value = _value(field, values, fallbacks or {})
        dropped = not value
        out = _SEPARATOR_BEFORE.sub("", out) if dropped else out + value
    return out


def _value(field: str, values: Mapping[str, str], fallbacks: Mapping[str, str]) -> str:
    """The value for a field, its fallback when blank, or an empty string."""
    value = values.get(field)
    text = "" if value is None else str(value).strip()
    return text or fallbacks.get(field, "").strip()


def missing_values(template: str, values: Mapping[str, str]) -> list[str]:
    """The placeholders a template uses that have no (or a blank) value."""
    return [f for f in template_fields(template) if not str(values.get(f) or "").strip()]
