"""Reading an inbound text: a common keyword (STOP, START, HELP) or a topic's reply option.

How an inbound text is read, first match wins:
1. opt-out — the words of *every* language plus the English ones: missing a STOP is worse
   than anything else, whatever language we think the sender speaks;
2. opt-in — the English words and those of the sender's language;
3. help — likewise; `INFO` is a help keyword (as at Twilio), so a topic's "more information"
   option answers to `1` and words such as MORE / ПОДРОБНЕЕ instead;
4. the latest topic's reply options — the key (`1`, `١`, `۱`, `1.`) or a keyword of the
   sender's language or English;
5. otherwise unrecognised, kept for the coordinator.
The loader rejects any keyword that means two things (a topic keyword that is also a common
keyword, one word in two common lists), so the order above never has to break a tie.
"""

from __future__ import annotations

from outreach.content.library import load_common
from outreach.content.normalise import normalise_reply
from outreach.content.topics import CommonTexts, KeywordAction, ReplyOption, Topic


def keyword_action(
    text: str, language: str | None, common: CommonTexts | None = None
) -> KeywordAction | None:
    """`opt_out`, `opt_in` or `help` when the text is one of those keywords, else None."""
    word = normalise_reply(text)
    if not word:
        return None
    common = common or load_common()
    for action in KeywordAction:  # declared in precedence order
        if word in common.words_for(action, language):
            return action
    return None


def match_reply_option(topic: Topic, text: str, language: str | None) -> ReplyOption | None:
    """The option a reply chooses: its key (any digits) or a keyword in this language or English."""
    word = normalise_reply(text)
    if not word:
        return None
    for option in topic.options:
        words = option.match_words.get(language or "", frozenset())
        if word == option.key.casefold() or word in words | option.match_words.get("en", set()):
            return option
    return None
