"""The claims a warning letter quotes, each tagged with claim topics, and the products it names.

Letters quote the seller's own words in quotation marks: straight or curly, sometimes one of
each (FDA's pages mix ``"`` and ``”`` in one list). Product names are quoted the same way
(``“Green Bali Powder,” “Red Indo Powder”``), so a quoted passage is read as a cited claim only

1. inside a claims section: from a paragraph that announces claims and ends in a colon
   ("Examples of claims on your website include:") through the paragraphs of quotes and short
   sub-headings ("On your Facebook page:") that follow it; or
2. when the letter announces no such section, a quoted passage that reads like a sentence
   (``_SENTENCE_WORDS`` words or more, mostly lower case).

Quoted passages outside claims sections that read like names are the products. Everything here
is pure string work on plain paragraphs; the cost is linear in their length.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from alerts.claims import cues as rules
from alerts.claims.detect import detect, normalise

MAX_CLAIMS = 40
MAX_PRODUCTS = 60
MAX_QUOTE = 600  # characters kept of one quoted passage
_SENTENCE_WORDS = 6
_SUBHEADING_WORDS = 12  # an unquoted paragraph this short keeps a claims section open

# An opening mark, then anything but a quotation mark, then a closing mark. Excluding every
# mark from the middle keeps each attempt short, so a page of stray quotes costs linear time.
_QUOTED = re.compile(r"[\"“]([^\"“”]{1,1500})[\"”]")
_CLAIM_WORD = re.compile(r"\b(?:claims?|statements?|representations?)\b", re.I)
_ANNOUNCES = re.compile(r":\s*(?:[\"“]|$)")
_PRODUCT_WORD = re.compile(r"\bproducts?\b", re.I)
_EDGE = " \t,;:.\u2026"


def quoted(paragraph: str) -> list[str]:
    """Quoted passages of ``paragraph``, trimmed of edge punctuation and cut to ``MAX_QUOTE``."""
    found = []
    for match in _QUOTED.finditer(paragraph):
        text = " ".join(match.group(1).split()).strip(" \t,;:")
        if text:
            found.append(_cut(text))
    return found


def _cut(text: str) -> str:
    if len(text) <= MAX_QUOTE:
        return text
    return text[:MAX_QUOTE].rsplit(" ", 1)[0] + "…"


def _announces_claims(paragraph: str) -> bool:
    return bool(_CLAIM_WORD.search(paragraph)) and bool(_ANNOUNCES.search(paragraph))


def _sentence_like(text: str) -> bool:
    words = text.split()
    capitalised = sum(1 for word in words if word[:1].isupper())
    return len(words) >= _SENTENCE_WORDS and capitalised * 2 < len(words)


def _cue_topics(text: str) -> list[str]:
    """Topics whose cues fire anywhere in ``text``, whatever the detector's verdict."""
    folded = normalise(text)
    return [
        topic
        for topic in rules.TOPICS
        if rules.TOPIC_GATES[topic].search(folded)
        and any(cue.pattern.search(folded) for cue in rules.TOPIC_CUES[topic])
    ]


def topics_of(text: str) -> list[str]:
    """Claim topics of one quoted passage, in the taxonomy's order.

    The detector's topics when it reads the passage as a claim. A regulator quoting a passage
    already says it is a claim, so when the detector declines (a passage cut from its context
    lacks the "kratom" that anchors it) the topic cues still tag it; [] when none fires.
    """
    found = {topic for claim in detect(text) for topic in claim.topics}
    if found:
        return [topic for topic in rules.TOPICS if topic in found]
    return _cue_topics(text)


def _walk(paragraphs: Sequence[str]) -> Iterator[tuple[str, bool]]:
    """Each paragraph with whether it lies in a claims section. An announcing paragraph
    yields only its part from the colon on (quotes may follow the colon), as in a section.
    """
    in_section = False
    for paragraph in paragraphs:
        if _announces_claims(paragraph):
            in_section = True
            yield paragraph[paragraph.find(":") :], True
            continue
        if (
            in_section
            and len(paragraph.split()) > _SUBHEADING_WORDS
            and not _QUOTED.search(paragraph)
        ):
            in_section = False
        yield paragraph, in_section


def _unique(texts: Sequence[str], limit: int) -> list[str]:
    seen: set[str] = set()
    kept = []
    for text in texts:
        key = text.casefold()
        if key not in seen:
            seen.add(key)
            kept.append(text)
        if len(kept) == limit:
            break
    return kept


def cited_claims(paragraphs: Sequence[str]) -> list[dict[str, Any]]:
    """``[{"text": ..., "topics": [...]}]`` for the claims the letter quotes, in letter order,
    without repeats, at most ``MAX_CLAIMS``. A passage no topic fits keeps ``topics: []``.
    """
    walked = list(_walk(paragraphs))
    if any(in_section for _, in_section in walked):
        texts = [q for part, inside in walked if inside for q in quoted(part)]
        texts = [text for text in texts if len(text.split()) >= 2]
    else:
        texts = [q for part, _ in walked for q in quoted(part) if _sentence_like(q)]
    return [{"text": text, "topics": topics_of(text)} for text in _unique(texts, MAX_CLAIMS)]


def product_names(paragraphs: Sequence[str]) -> list[str]:
    """Quoted names the letter lists as the firm's products (outside claims sections, not
    sentences, in a paragraph that speaks of products), at most ``MAX_PRODUCTS``.
    """
    names = [
        q.rstrip(_EDGE)
        for part, inside in _walk(paragraphs)
        if not inside and _PRODUCT_WORD.search(part)
        for q in quoted(part)
        if not _sentence_like(q)
    ]
    return _unique([name for name in names if name], MAX_PRODUCTS)
