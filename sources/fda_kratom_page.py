"""FDA's "FDA and Kratom" page, watched for changes to its main text.

The page has no feed: the monitor keeps its main text (the paragraphs a reader sees,
without the site's header, menus, breadcrumbs, sharing buttons, "Content current as of"
line and footer) as one record, and ``derive`` reports the last substantive change as a
readable diff. A change to the page's furniture alone (a new date, a new menu entry, another
script) gives the same record version, so it reports nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from alerts.claims.html_text import extract
from alerts.draft import AlertDraft
from alerts.text import as_utc
from alerts.vocabulary import match_terms
from sources._html_page import decode_html, long_day, refuse_bot_wall, refuse_truncated
from sources._page_diff import Changed, ParagraphDiff, describe, diff_paragraphs, normalise
from sources.base import Kept, ParseError, Record, Source

__all__ = [
    "DRAFT_UID", "PAGE_UID", "SOURCE", "URL", "Changed", "ParagraphDiff", "derive", "describe",
    "diff_paragraphs", "main_paragraphs", "normalise", "parse", "records", "text_hash",
]  # fmt: skip

PAGE_UID = "page"
DRAFT_UID = "fda-and-kratom"
URL = "https://www.fda.gov/news-events/public-health-focus/fda-and-kratom"
_WHAT = 'the "FDA and Kratom" page'
_MAX_PARAGRAPHS = 2000
_MAX_PARAGRAPH = 5000

# ------------------------------------------------------------------------------ main text

# Lines that start the page furniture fda.gov puts after (or around) the article text.
_FURNITURE = re.compile(
    r"^(?:content current as of|regulated product\(?s?\)?|topic\(?s?\)?|page last updated)"
    r"\s*:?",
    re.I,
)
_DATE_ONLY = re.compile(
    r"^(?:\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d{2}-\d{2}(?:[ T][\d:.]+Z?)?"
    r"|[A-Za-z]{3,9}\.? \d{1,2},? \d{4})$"
)
_SHARING = frozenset(
    {"share", "tweet", "post", "linkedin", "email", "e", "mail", "print", "facebook",
     "twitter", "x", "pin", "it", "pinterest", "on", "more", "sharing", "options", "this",
     "page"}
)  # fmt: skip
_CHROME = frozenset(
    {"skip to main content", "back to top", "return to top", "an official website of the "
     "united states government", "here's how you know", "here’s how you know", "search",
     "menu", "submit search", "previous", "next"}
)  # fmt: skip
_NOT_FOUND = re.compile(r"\b(?:page not found|404)\b", re.I)


def _is_boilerplate(paragraph: str) -> bool:
    text = paragraph.strip()
    if _DATE_ONLY.match(text) or text.casefold().rstrip(".") in _CHROME:
        return True
    words = re.findall(r"[a-z]+", text.casefold())
    return bool(words) and all(word in _SHARING for word in words)


def _without_boilerplate(paragraphs: list[str], headings: set[int]) -> list[str]:
    """The article's paragraphs without dates, sharing widgets and the furniture runs.

    A furniture label ("Content current as of:", "Regulated Product(s)", "Topic(s)") drops
    itself and the short items after it (dates, topic names), up to the next heading or
    sentence-length paragraph.
    """
    kept: list[str] = []
    in_furniture = False
    for index, paragraph in enumerate(paragraphs):
        if _FURNITURE.match(paragraph):
            in_furniture = True
            continue
        if in_furniture:
            if index not in headings and len(paragraph) <= 60 and len(paragraph.split()) <= 6:
                continue
            in_furniture = False
        if not _is_boilerplate(paragraph):
            kept.append(paragraph[:_MAX_PARAGRAPH])
    return kept


def main_paragraphs(content: bytes) -> list[str]:
    """The page's main text, one string per heading, paragraph or list item, in order.

    ParseError (with a message for staff) for an empty or binary body, FDA's bot wall, a
    page cut short, a "Page Not Found" page, a page without main text, a page whose text
    never mentions kratom (moved or replaced) and an implausibly long page.
    """
    markup = decode_html(content, _WHAT)
    refuse_bot_wall(markup, _WHAT)
    refuse_truncated(markup, _WHAT)
    page = extract(markup)
    if _NOT_FOUND.search(page.title) or _NOT_FOUND.search(page.first_heading):
        raise ParseError(
            f"fda.gov answered 'Page Not Found' instead of {_WHAT}: the page may have "
            "moved; check the source URL"
        )
    paragraphs = _without_boilerplate(page.paragraphs, page.headings)
    if not paragraphs:
        raise ParseError(f"{_WHAT} has no main text (only menus, scripts or footer)")
    if len(paragraphs) > _MAX_PARAGRAPHS:
        raise ParseError(f"{_WHAT} holds implausibly many paragraphs; it was not read")
    if not match_terms(" ".join(paragraphs)):
        shown = f" (title: {page.title[:80]!r})" if page.title else ""
        raise ParseError(
            f"the main text never mentions kratom{shown}: this is not {_WHAT}; "
            "it may have moved, check the source URL"
        )
    return paragraphs


def text_hash(paragraphs: Sequence[str]) -> str:
    """A short hash of the normalised main text: the record's version."""
    text = "\n".join(normalise(p) for p in paragraphs)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def records(content: bytes) -> list[Record]:
    """One record, uid "page": ``{"paragraphs": [...]}``, version ``text_hash``.

    ParseError as ``main_paragraphs``.
    """
    paragraphs = main_paragraphs(content)
    return [Record(PAGE_UID, text_hash(paragraphs), {"paragraphs": paragraphs})]


def parse(content: bytes) -> list[AlertDraft]:
    """No drafts from the page alone: ``records`` and ``derive`` make them."""
    return []


# -------------------------------------------------------------------------------- derive


def _paragraphs(data: dict[str, Any] | None) -> list[str]:
    value = (data or {}).get("paragraphs")
    return [str(p) for p in value] if isinstance(value, list) else []


def _utc(moment: datetime) -> datetime:
    converted = as_utc(moment)
    assert converted is not None
    return converted


def derive(kept: Sequence[Kept], now: datetime) -> list[AlertDraft]:
    """One advisory draft, uid "fda-and-kratom", about the page's last substantive change.

    Without a kept "page" record there is nothing yet. At the first reading (no previous
    text) the draft says the page is now watched; after a change its summary is the
    ``describe``d diff of the previous text against the current one, dated when the change
    was seen (``changed_at``). The same kept record always gives the same draft.
    """
    page = next((k for k in kept if k.uid == PAGE_UID), None)
    if page is None:
        return []
    current = _paragraphs(page.data)
    seen = _utc(page.changed_at)
    text = " ".join(current)
    if page.previous is None:
        title = "FDA and Kratom page: now watched"
        summary = (
            f'The monitor now reads the main text of FDA\'s "FDA and Kratom" page and '
            f"reports every change to it. The page has {len(current)} paragraphs "
            f"(first read {long_day(seen.date())})."
        )
        details: dict[str, Any] = {
            "watched_since": _utc(page.first_seen_at).date().isoformat(),
            "paragraph_count": len(current),
            "current_hash": text_hash(current),
        }
    else:
        previous = _paragraphs(page.previous)
        diff = diff_paragraphs(previous, current)
        title = f"FDA and Kratom page updated (seen {long_day(seen.date())})"
        summary = f'FDA changed the text of its "FDA and Kratom" page: {describe(diff)}'
        details = {
            "changed_on": seen.date().isoformat(),
            "paragraphs_added": len(diff.added),
            "paragraphs_removed": len(diff.removed),
            "paragraphs_changed": len(diff.changed),
            "previous_hash": text_hash(previous),
            "current_hash": text_hash(current),
        }
    return [
        AlertDraft(
            source=SOURCE.key,
            uid=DRAFT_UID,
            agency="FDA",
            kind="advisory",
            kind_decided=True,
            title=title,
            url=URL,
            summary=summary,
            published_at=seen,
            jurisdiction="US",
            matched_terms=match_terms(f"{title} {text}"),
            details=details,
            raw={"paragraphs": current},
        )
    ]


SOURCE = Source(
    key="fda_kratom_page",
    title='FDA "FDA and Kratom" page',
    agency="FDA",
    kind_hint="advisory",
    url=URL,
    every=timedelta(hours=12),
    parse=parse,
    format="html",
    max_bytes=4 * 1024 * 1024,
    covers=(
        "FDA's public-health page on kratom: each change to its text, shown as the "
        "paragraphs added, removed or reworded"
    ),
    records=records,
    derive=derive,
    headers={
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "Accept-Language": "en-US,en;q=0.9",
    },
)
