"""Text helpers: agency HTML and entities to plain text, URL canonical form, dates."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit, urlunsplit

_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s+")
_TAG_HINT = re.compile(r"<[a-zA-Z/!]")


class _TextCollector(HTMLParser):
    _SKIP = frozenset({"script", "style", "template", "noscript", "iframe", "object"})
    _BREAK = frozenset({"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "td"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def squash(text: str) -> str:
    """Collapse runs of whitespace (tabs, newlines, doubled spaces) to one space.

    Control characters go too: no reader wants them, XML cannot carry them and
    PostgreSQL refuses NUL in text.
    """
    return _SPACE.sub(" ", _CONTROL.sub("", text)).strip()


def plain_text(value: str | None) -> str:
    """Agency text that may hold HTML tags or entities, as one line of plain text.

    Script and style contents are dropped; entities (also double-escaped ones such
    as ``&amp;quot;``) are decoded.
    """
    if not value:
        return ""
    text = value
    if _TAG_HINT.search(text):
        collector = _TextCollector()
        collector.feed(text)
        collector.close()
        text = "".join(collector.parts)
    else:
        text = html.unescape(text)
    if "&" in text:
        text = html.unescape(text)
    return squash(text)


def clean_title(value: str | None) -> str:
    """A title as plain text without the literal quotes some agencies wrap it in."""
    text = plain_text(value)
    while len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, https for known agency hosts, no fragment.

    The same FDA page is linked as ``http://www.fda.gov/x`` and ``https://www.fda.gov/x``;
    both become one URL so they dedupe.
    """
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    scheme = parts.scheme.lower() or "https"
    host = (parts.hostname or "").lower()
    if scheme == "http":
        scheme = "https"
    netloc = host
    if parts.port and parts.port not in (80, 443):
        netloc = f"{host}:{parts.port}"
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def parse_day(value: str | None) -> date | None:
    """A date from ``YYYYMMDD`` or ``YYYY-MM-DD`` (openFDA uses both); None if absent or bad."""
    if not value:
        return None
    text = value.strip()
    for fmt in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(text[:10] if "-" in text else text[:8], fmt).date()
        except ValueError:
            continue
    return None


def day_start_utc(day: date | None) -> datetime | None:
    """Midnight UTC of a date-only agency timestamp."""
    if day is None:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """A datetime in UTC; naive values (as SQLite returns them) are taken as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
