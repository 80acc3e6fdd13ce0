"""Atom 1.0 (RFC 4287) with RFC 5005 paging and WebSub discovery links."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from alerts.feeds.entries import Entry, FeedInfo, rfc3339
from alerts.feeds.xmltree import document, sub

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"


def render(feed: FeedInfo, entries: list[Entry], *, category_base: str) -> bytes:
    """The feed document as UTF-8 bytes."""
    root = ET.Element("feed", {"xmlns": ATOM, "xml:lang": "en"})
    sub(root, "id", feed.id)
    sub(root, "title", feed.title)
    sub(root, "subtitle", feed.subtitle)
    sub(root, "updated", rfc3339(feed.updated))
    sub(root, "generator", "kratom-monitor")
    sub(root, "link", rel="self", type="application/atom+xml", href=feed.self_url)
    sub(root, "link", rel="alternate", type="text/html", href=feed.html_url)
    for media_type, url in feed.related.items():
        sub(root, "link", rel="alternate", type=media_type, href=url)
    if feed.hub_url:
        sub(root, "link", rel="hub", href=feed.hub_url)
    if feed.first_url:
        sub(root, "link", rel="first", href=feed.first_url)
    if feed.next_url:
        sub(root, "link", rel="next", href=feed.next_url)
    author = sub(root, "author")
    sub(author, "name", "Kratom regulatory alert monitor")
    for item in entries:
        node = sub(root, "entry")
        sub(node, "id", item.id)
        sub(node, "title", item.title, type="text")
        sub(node, "published", rfc3339(item.published))
        sub(node, "updated", rfc3339(item.updated))
        sub(node, "link", rel="alternate", type="text/html", href=item.page_url)
        sub(node, "link", rel="via", href=item.agency_url)
        writer = sub(node, "author")
        sub(writer, "name", item.agency)
        for category in item.categories:
            sub(
                node, "category", term=category.term, label=category.label,
                scheme=f"{category_base}/{category.scheme}",
            )  # fmt: skip
        sub(node, "summary", item.summary, type="text")
        sub(node, "content", item.content_html, type="html")
    return document(root)
