"""Topic content as data — texts, reply options, keywords — and the rendering of messages.

It stands below campaigns and messaging (and voice menus to come), which both read it, and
imports none of them: only `outreach.models` and `outreach.languages`.
"""

from outreach.content.keywords import keyword_action, match_reply_option
from outreach.content.library import (
    clear_cache,
    get_topic,
    load_common,
    load_content,
    load_topics,
)
from outreach.content.render import TemplateError, render_text, validate_template
from outreach.content.topics import (
    CommonTexts,
    Content,
    ContentError,
    KeywordAction,
    OptionAction,
    ReplyOption,
    Topic,
    UnknownTopic,
)
from outreach.content.values import SAMPLE_VALUES, message_values

__all__ = [
    "SAMPLE_VALUES",
    "CommonTexts",
    "Content",
    "ContentError",
    "KeywordAction",
    "OptionAction",
    "ReplyOption",
    "TemplateError",
    "Topic",
    "UnknownTopic",
    "clear_cache",
    "get_topic",
    "keyword_action",
    "load_common",
    "load_content",
    "load_topics",
    "match_reply_option",
    "message_values",
    "render_text",
    "validate_template",
]
