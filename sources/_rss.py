"""Shared RSS/Atom parsing for agency feeds (feedparser on untrusted bytes)."""

from __future__ import annotations

import calendar
import io
import re
from datetime import UTC, datetime
from typing import Any

import feedparser

from alerts.draft import AlertDraft, Product
from alerts.text import canonical_url, clean_title, plain_text
from alerts.vocabulary import match_terms
from sources.base import ParseError

# Real feeds never declare entities; a declaration is either an attack
# (billion laughs, external entities) or not a feed we understand.
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_FIRM_CUT = re.compile(
    r"\s+(?:voluntarily\s+|issues\s+(?:a\s+)?(?:voluntary\s+|nationwide\s+)*|announces\s+(?:a\s+)?"
    r"|expands\s+|initiates\s+(?:a\s+)?)*(?:recall|recalls|recalling|expands|issues|announces|warns)\b",
    re.I,
)
_PRODUCT = re.compile(
    r"\brecall(?:s|ing)?\s+(?:of\s+)?(?P<product>.+?)"
    r"(?:\s+(?:because|due to|after|as a precaution|for)\b|$)",
    re.I,
)


def read_feed(content: bytes) -> Any:
    """Parse feed bytes; raise ParseError for anything that is not a well-formed feed."""
    if not content.strip():
        raise ParseError("empty body where an RSS feed was expected")
    if _ENTITY_DECL.search(content[:65536]):
        raise ParseError("feed declares XML entities (refused: entity expansion risk)")
    parsed = feedparser.parse(io.BytesIO(content), sanitize_html=False, resolve_relative_uris=False)
    if parsed.get("bozo"):
        problem = parsed.get("bozo_exception")
        raise ParseError(f"malformed feed: {type(problem).__name__}: {problem}")
    if not parsed.get("version"):
        raise ParseError("body is not an RSS or Atom feed")
    return parsed


def entry_time(entry: Any) -> datetime | None:
    """The entry's publication time in UTC (feedparser gives a UTC struct_time)."""
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    if not stamp:
        return None
    return datetime.fromtimestamp(calendar.timegm(stamp), tz=UTC)


def firm_from_title(title: str) -> list[str]:
    """Firm names in a press-release headline: "<Firm> Recalls ...", with a dba split."""
    match = _FIRM_CUT.search(title)
    if not match or match.start() == 0:
        return []
    firm = title[: match.start()].strip(" ,.-")
    parts = re.split(r",?\s+(?:dba|d/b/a|doing business as)\s+", firm, flags=re.I)
    return [part.strip(" ,.") for part in parts if part.strip(" ,.")]


def product_from_title(title: str) -> str | None:
    """The product phrase of a recall headline, if the headline has one."""
    match = _PRODUCT.search(title)
    if not match:
        return None
    product = match.group("product").strip(" ,.")
    return product or None


def parse_rss(
    content: bytes,
    *,
    source: str,
    agency: str,
    kind_hint: str,
    jurisdiction: str = "US",
) -> list[AlertDraft]:
    """Kratom items of an agency RSS feed as drafts; other items are skipped."""
    parsed = read_feed(content)
    drafts: list[AlertDraft] = []
    for entry in parsed.entries:
        title = clean_title(entry.get("title"))
        summary = plain_text(entry.get("summary") or entry.get("description"))
        terms = match_terms(f"{title} {summary}")
        if not terms:
            continue
        link = entry.get("link") or entry.get("id") or ""
        uid = canonical_url(entry.get("id") or link)
        if not uid:
            continue
        firms = firm_from_title(title) if kind_hint == "recall" else []
        product = product_from_title(title) if kind_hint == "recall" else None
        drafts.append(
            AlertDraft(
                source=source,
                uid=uid,
                agency=agency,
                kind=kind_hint,
                title=title,
                url=canonical_url(link) or uid,
                summary=summary,
                published_at=entry_time(entry),
                jurisdiction=jurisdiction,
                firms=firms,
                products=[Product(name=product)] if product else [],
                matched_terms=terms,
                raw={
                    "title": entry.get("title"),
                    "link": entry.get("link"),
                    "description": entry.get("summary"),
                    "pubDate": entry.get("published"),
                    "guid": entry.get("id"),
                    "creator": entry.get("author"),
                },
            )
        )
    return drafts
