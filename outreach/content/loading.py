"""Reading and validating `campaigns/*.toml`: every problem named by file and node."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from outreach.content.checks import (
    _check_keys,
    _label,
    _Problems,
    _read_toml,
    _review,
    _string,
    _table,
    _texts,
)
from outreach.content.discretion import indiscretions
from outreach.content.menu_loading import load_common_voice, load_menu
from outreach.content.normalise import normalise_reply
from outreach.content.render import BASE_FIELDS
from outreach.content.topics import (
    ALL_LANGUAGES,
    COMMON_FILE,
    CommonTexts,
    Content,
    ContentError,
    KeywordAction,
    Keywords,
    OptionAction,
    ReplyOption,
    Topic,
)
from outreach.languages import LANGUAGES


def _keywords(data: dict, node: str, problems: _Problems) -> Keywords:
    """Keyword lists per language (or `all`), each a list of non-empty strings."""
    result: dict[str, tuple[str, ...]] = {}
    for lang, words in data.items():
        where = f"{node}.{lang}"
        if lang != ALL_LANGUAGES and lang not in LANGUAGES:
            problems.add(where, "unknown language")
        elif not isinstance(words, list) or not all(
            isinstance(w, str) and normalise_reply(w) for w in words
        ):
            problems.add(where, "must be a list of words")
        else:
            result[lang] = tuple(w.strip() for w in words)
    return MappingProxyType(result)


def _normalised(keywords: Keywords) -> Mapping[str, frozenset[str]]:
    return MappingProxyType(
        {lang: frozenset(map(normalise_reply, w)) for lang, w in keywords.items()}
    )


COMMON_TEXTS = (
    "help",
    "opted_out",
    "opted_in",
    "unknown",
    "callback_requested",
    "callback_unreachable",
)


def _load_common(path: Path) -> tuple[CommonTexts, list[str]]:
    """common.toml as CommonTexts, and its problems."""
    problems = _Problems(_label(path))
    data = _read_toml(path, problems)
    if not data:
        return _empty_common(), problems.items
    _check_keys(data, "", {"texts", "keywords", "review", "voice"}, problems)
    texts_table = _table(data, "texts", "", problems)
    _check_keys(texts_table, "texts", set(COMMON_TEXTS), problems)
    texts = {
        name: _texts(
            _table(texts_table, name, "texts", problems), f"texts.{name}", BASE_FIELDS, problems
        )
        for name in COMMON_TEXTS
    }
    keywords_table = _table(data, "keywords", "", problems)
    _check_keys(keywords_table, "keywords", {a.value for a in KeywordAction}, problems)
    keywords = {
        action: _keywords(
            _table(keywords_table, action.value, "keywords", problems),
            f"keywords.{action}",
            problems,
        )
        for action in KeywordAction
    }
    _check_common_clashes(keywords, problems)
    prompts, hotline_topics = load_common_voice(data, problems)
    common = CommonTexts(
        **texts,
        keywords=MappingProxyType(keywords),
        review=_review(data, problems),
        match_words=MappingProxyType({a: _normalised(k) for a, k in keywords.items()}),
        prompts=prompts,
        hotline_topics=hotline_topics,
    )
    return common, problems.items


def _empty_common() -> CommonTexts:
    empty = MappingProxyType({})
    no_words = MappingProxyType({a: empty for a in KeywordAction})
    return CommonTexts(
        **dict.fromkeys(COMMON_TEXTS, empty), keywords=no_words, review=empty, match_words=no_words
    )


def _check_common_clashes(keywords: dict[KeywordAction, Keywords], problems: _Problems) -> None:
    """One word must not be both, say, an opt-out and an opt-in keyword, in any language."""
    seen: dict[str, str] = {}
    for action, table in keywords.items():
        for lang, words in table.items():
            for word in words:
                key, where = normalise_reply(word), f"keywords.{action}.{lang}"
                if key in seen and not seen[key].startswith(f"keywords.{action}."):
                    problems.add(where, f"{word!r} is also in {seen[key]}")
                seen.setdefault(key, where)


# A topic's id names its file, its audio folder and its campaigns' rows: URL and file safe.
TOPIC_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
TOPIC_KEYS = {"id", "title", "description", "fields", "sms", "options", "review", "voice"} | {
    "sensitive",
    "sensitive_words",
}
OPTION_KEYS = {"key", "action", "keywords", "reply"}


def _load_topic(path: Path, common: CommonTexts) -> tuple[Topic | None, list[str]]:
    """One topic file as a Topic, and its problems."""
    problems = _Problems(_label(path))
    data = _read_toml(path, problems)
    if not data:
        return None, problems.items
    _check_keys(data, "", TOPIC_KEYS, problems)
    topic_id = _string(data, "id", "", problems)
    if topic_id and topic_id != path.stem:
        problems.add("id", f"{topic_id!r} does not match the file name {path.stem!r}")
    elif topic_id and not TOPIC_ID.match(topic_id):
        problems.add("id", f"{topic_id!r}: use lower-case letters, digits, '-' and '_'")
    fields = _fields(data, problems)
    allowed = BASE_FIELDS | frozenset(fields)
    sms = _table(data, "sms", "", problems)
    _check_keys(sms, "sms", {"texts"}, problems)
    menu, prompts = load_menu(data, topic_id or path.stem, problems)
    sensitive, sensitive_words = _sensitivity(data, problems)
    topic = Topic(
        id=topic_id,
        title=_string(data, "title", "", problems),
        description=_string(data, "description", "", problems),
        fields=fields,
        texts=_texts(_table(sms, "texts", "sms", problems), "sms.texts", allowed, problems),
        options=_options(data, allowed, common, problems),
        review=_review(data, problems),
        source=str(path),
        voice=menu,
        prompts=prompts,
        sensitive=sensitive,
        sensitive_words=sensitive_words,
    )
    if sensitive:
        for node, problem in indiscretions(_first_contact(topic), sensitive_words):
            problems.add(node, problem)
    return topic, problems.items


def _sensitivity(data: dict, problems: _Problems) -> tuple[bool, tuple[str, ...]]:
    """`sensitive` (a boolean) and the `sensitive_words` a sensitive topic must list."""
    sensitive = data.get("sensitive", False)
    if not isinstance(sensitive, bool):
        problems.add("sensitive", "must be true or false")
        sensitive = True  # check what we can: a typo must not switch discretion off
    words = data.get("sensitive_words", [])
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        problems.add("sensitive_words", "must be a list of words")
        words = []
    if sensitive and not words:
        problems.add("sensitive_words", "a sensitive topic lists the words that name it")
    return sensitive, tuple(w.strip() for w in words)


def _first_contact(topic: Topic) -> dict[str, Mapping[str, str]]:
    """What someone other than the person may see or hear: node → language → text."""
    places: dict[str, Mapping[str, str]] = {"sms.texts": topic.texts}
    menu = topic.voice
    if menu is None:
        return places
    start = menu.nodes.get(menu.start)
    for name in ((start.prompt if start else None), menu.voicemail):
        if name in topic.prompts:
            places[f"voice.prompts.{name}"] = topic.prompts[name].texts
    return places


def _fields(data: dict, problems: _Problems) -> tuple[str, ...]:
    """The campaign fields the topic's texts use, e.g. `event_date`."""
    fields = data.get("fields", [])
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        problems.add("fields", "must be a list of names")
        return ()
    for f in fields:
        if not f.isidentifier() or f in BASE_FIELDS:
            problems.add("fields", f"{f!r} is not a usable field name")
    return tuple(fields)


def _options(
    data: dict, allowed, common: CommonTexts, problems: _Problems
) -> tuple[ReplyOption, ...]:
    """The topic's reply options, with keys and keywords unique and clear of common words."""
    raw = data.get("options")
    if not isinstance(raw, list) or not raw or not all(isinstance(o, dict) for o in raw):
        problems.add("options", "must be one or more [[options]] tables")
        return ()
    options = tuple(_option(o, f"options[{i}]", allowed, problems) for i, o in enumerate(raw))
    _check_option_clashes(options, common, problems)
    return options


def _option(data: dict, node: str, allowed, problems: _Problems) -> ReplyOption:
    """One [[options]] table."""
    _check_keys(data, node, OPTION_KEYS, problems)
    key = _string(data, "key", node, problems)
    if key and not (key.isascii() and key.isalnum()):
        problems.add(f"{node}.key", f"{key!r} must be ASCII letters or digits")
    action = _string(data, "action", node, problems)
    if action and action not in OptionAction._value2member_map_:
        problems.add(f"{node}.action", f"{action!r} is not one of: info, callback")
        action = ""
    keywords = _keywords(
        _table(data, "keywords", node, problems, required=False), f"{node}.keywords", problems
    )
    replies = _texts(_table(data, "reply", node, problems), f"{node}.reply", allowed, problems)
    match = {
        lang: frozenset({key.casefold()}) | words for lang, words in _normalised(keywords).items()
    }
    match.setdefault("en", frozenset({key.casefold()}))
    return ReplyOption(
        key=key,
        action=OptionAction(action) if action else OptionAction.INFO,
        keywords=keywords,
        replies=replies,
        match_words=_normalised(keywords),
    )


def _check_option_clashes(options, common: CommonTexts, problems: _Problems) -> None:
    """Keys unique; no keyword shared by two options or with a common keyword."""
    reserved = {w: a for a in KeywordAction for ws in common.match_words[a].values() for w in ws}
    keys: set[str] = set()
    owners: dict[tuple[str, str], int] = {}
    for i, option in enumerate(options):
        if option.key in keys:
            problems.add(f"options[{i}].key", f"duplicate key {option.key!r}")
        if option.key.casefold() in reserved:
            problems.add(
                f"options[{i}].key",
                f"{option.key!r} is a keyword for {reserved[option.key.casefold()]}",
            )
        keys.add(option.key)
        for lang, words in option.keywords.items():
            for word in words:
                norm, where = normalise_reply(word), f"options[{i}].keywords.{lang}"
                if norm in reserved:
                    problems.add(where, f"{word!r} is already a keyword for {reserved[norm]}")
                if owners.setdefault((lang, norm), i) != i:
                    problems.add(where, f"{word!r} is also options[{owners[(lang, norm)]}]")


def load_dir(directory: Path) -> Content:
    """Every topic and the common texts of one directory; ContentError lists all problems."""
    common, problems = _load_common(directory / COMMON_FILE)
    topics: dict[str, Topic] = {}
    for path in sorted(directory.glob("*.toml")):
        if path.name == COMMON_FILE:
            continue
        topic, topic_problems = _load_topic(path, common)
        problems += topic_problems
        if topic is not None:
            topics[topic.id] = topic
    if not topics and not problems:
        problems.append(f"{directory}: no topic files")
    problems += _check_hotline_topics(directory / COMMON_FILE, common, topics)
    if problems:
        raise ContentError(problems)
    return Content(MappingProxyType(topics), common)


def _check_hotline_topics(
    path: Path, common: CommonTexts, topics: Mapping[str, Topic]
) -> list[str]:
    """The hotline offers only topics that exist and have a voice menu, each once."""
    problems = _Problems(_label(path))
    for i, topic_id in enumerate(common.hotline_topics):
        where = f"voice.hotline_topics[{i}]"
        if topic_id not in topics:
            # A topic whose own file has problems is reported there, not once more here.
            if not (path.parent / f"{topic_id}.toml").exists():
                problems.add(where, f"{topic_id!r} is not a topic")
        elif topics[topic_id].voice is None:
            problems.add(where, f"{topic_id!r} has no voice menu")
        elif topic_id in common.hotline_topics[:i]:
            problems.add(where, f"{topic_id!r} is listed twice")
        elif topics[topic_id].sensitive and "hotline_topics" in common.prompts:
            # Whoever stands next to a caller hears the hotline's list of topics too.
            texts = {"voice.prompts.hotline_topics": common.prompts["hotline_topics"].texts}
            for node, problem in indiscretions(texts, topics[topic_id].sensitive_words):
                problems.add(node, problem)
    return problems.items
