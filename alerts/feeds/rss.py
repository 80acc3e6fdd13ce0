"""RSS 2.0, with Atom links for self, hub and paging (as WebSub and RFC 5005 ask)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from email.utils import format_datetime

from alerts.feeds.entries import Entry, FeedInfo

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/rss+xml; charset=utf-8"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def render(feed: FeedInfo, entries: list[Entry], *, category_base: str) -> bytes:
    """The channel document as UTF-8 bytes."""
    root = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM})
    channel = _sub(root, "channel")
    _sub(channel, "title", feed.title)
    _sub(channel, "link", feed.html_url)
    _sub(channel, "description", feed.subtitle)
    _sub(channel, "language", "en")
    _sub(channel, "lastBuildDate", format_datetime(feed.updated, usegmt=True))
    _sub(channel, "generator", "kratom-monitor")
    _sub(channel, "ttl", "30")
    _sub(channel, "atom:link", rel="self", type="application/rss+xml", href=feed.self_url)
    if feed.hub_url:
        _sub(channel, "atom:link", rel="hub", href=feed.hub_url)
    if feed.first_url:
        _sub(channel, "atom:link", rel="first", href=feed.first_url)
    if feed.next_url:
        _sub(channel, "atom:link", rel="next", href=feed.next_url)
    for entry in entries:
        item = _sub(channel, "item")
        _sub(item, "title", entry.title)
        _sub(item, "link", entry.page_url)
        _sub(item, "guid", entry.id, isPermaLink="false")
        _sub(item, "pubDate", format_datetime(entry.published, usegmt=True))
        _sub(item, "atom:updated", entry.updated.isoformat(timespec="seconds"))
        for category in entry.categories:
            _sub(item, "category", category.term, domain=f"{category_base}/{category.scheme}")
        _sub(item, "description", entry.content_html)
        _sub(item, "source", feed.title, url=feed.self_url)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
