"""RSS 2.0, with Atom links for self, hub and paging (as WebSub and RFC 5005 ask)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from email.utils import format_datetime

from alerts.feeds.entries import Entry, FeedInfo
from alerts.feeds.xmltree import document, sub

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/rss+xml; charset=utf-8"


def render(feed: FeedInfo, entries: list[Entry], *, category_base: str) -> bytes:
    """The channel document as UTF-8 bytes."""
    root = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM})
    channel = sub(root, "channel")
    sub(channel, "title", feed.title)
    sub(channel, "link", feed.html_url)
    sub(channel, "description", feed.subtitle)
    sub(channel, "language", "en")
    sub(channel, "lastBuildDate", format_datetime(feed.updated, usegmt=True))
    sub(channel, "generator", "kratom-monitor")
    sub(channel, "ttl", "30")
    sub(channel, "atom:link", rel="self", type="application/rss+xml", href=feed.self_url)
    if feed.hub_url:
        sub(channel, "atom:link", rel="hub", href=feed.hub_url)
    if feed.first_url:
        sub(channel, "atom:link", rel="first", href=feed.first_url)
    if feed.next_url:
        sub(channel, "atom:link", rel="next", href=feed.next_url)
    for entry in entries:
        item = sub(channel, "item")
        sub(item, "title", entry.title)
        sub(item, "link", entry.page_url)
        sub(item, "guid", entry.id, isPermaLink="false")
        sub(item, "pubDate", format_datetime(entry.published, usegmt=True))
        sub(item, "atom:updated", entry.updated.isoformat(timespec="seconds"))
        for category in entry.categories:
            sub(item, "category", category.term, domain=f"{category_base}/{category.scheme}")
        sub(item, "description", entry.content_html)
        sub(item, "source", feed.title, url=feed.self_url)
    return document(root)
