"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""

from __future__ import annotations

import json
from typing import Any

from alerts.feeds.entries import Entry, FeedInfo, rfc3339

VERSION = "https://jsonfeed.org/version/1.1"
MEDIA_TYPE = "application/feed+json"


def document(feed: FeedInfo, entries: list[Entry]) -> dict[str, Any]:
    """The feed as a JSON-ready dict."""
    data: dict[str, Any] = {
        "version": VERSION,
        "title": feed.title,
        "description": feed.subtitle,
        "home_page_url": feed.html_url,
        "feed_url": feed.self_url,
        "language": "en",
        "authors": [{"name": "Kratom regulatory alert monitor"}],
    }
    if feed.next_url:
        data["next_url"] = feed.next_url
    if feed.hub_url:
        data["hubs"] = [{"type": "WebSub", "url": feed.hub_url}]
    data["items"] = [
        {
            "id": entry.id,
            "url": entry.page_url,
            "external_url": entry.agency_url,
            "title": entry.title,
            "summary": entry.summary,
            "content_html": entry.content_html,
            "content_text": entry.content_text,
            "date_published": rfc3339(entry.published),
            "date_modified": rfc3339(entry.updated),
            "authors": [{"name": entry.agency}],
            "tags": [f"{c.scheme}:{c.term}" for c in entry.categories],
        }
        for entry in entries
    ]
    return data


def render(feed: FeedInfo, entries: list[Entry]) -> bytes:
    """The feed as UTF-8 JSON bytes.

    ``<``, ``>`` and ``&`` are written as \\u escapes (the same JSON), so a consumer that
    pastes the document into a page cannot be tricked by agency text.
    """
    encoded = json.dumps(document(feed, entries), ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        encoded = encoded.replace(char, escape)
    return encoded.encode()
