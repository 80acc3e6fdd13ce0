"""Atom 1.0 (RFC 4287) with RFC 5005 paging and WebSub discovery links."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from alerts.feeds.entries import Entry, FeedInfo

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def render(feed: FeedInfo, entries: list[Entry], *, category_base: str) -> bytes:
    """The feed document as UTF-8 bytes."""
    root = ET.Element("feed", {"xmlns": ATOM, "xml:lang": "en"})
    _sub(root, "id", feed.id)
    _sub(root, "title", feed.title)
    _sub(root, "subtitle", feed.subtitle)
    _sub(root, "updated", _when(feed.updated))
    _sub(root, "generator", "kratom-monitor")
    _sub(root, "link", rel="self", type="application/atom+xml", href=feed.self_url)
    _sub(root, "link", rel="alternate", type="text/html", href=feed.html_url)
    for media_type, url in feed.related.items():
        _sub(root, "link", rel="alternate", type=media_type, href=url)
    if feed.hub_url:
        _sub(root, "link", rel="hub", href=feed.hub_url)
    if feed.first_url:
        _sub(root, "link", rel="first", href=feed.first_url)
    if feed.next_url:
        _sub(root, "link", rel="next", href=feed.next_url)
    author = _sub(root, "author")
    _sub(author, "name", "Kratom regulatory alert monitor")
    for item in entries:
        node = _sub(root, "entry")
        _sub(node, "id", item.id)
        _sub(node, "title", item.title, type="text")
        _sub(node, "published", _when(item.published))
        _sub(node, "updated", _when(item.updated))
        _sub(node, "link", rel="alternate", type="text/html", href=item.page_url)
        _sub(node, "link", rel="via", href=item.agency_url)
        writer = _sub(node, "author")
        _sub(writer, "name", item.agency)
        for category in item.categories:
            _sub(
                node, "category", term=category.term, label=category.label,
                scheme=f"{category_base}/{category.scheme}",
            )  # fmt: skip
        _sub(node, "summary", item.summary, type="text")
        _sub(node, "content", item.content_html, type="html")
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
