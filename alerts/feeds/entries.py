"""What a feed says about one alert, whatever the format.

Entry ids never change for an alert (a name-based UUID of its source and uid, so they
survive a new host name or a database restore). ``updated`` is the time of the alert's
last revision, and a revised alert's summary and content open with what changed, so a
reader that resurfaces the entry shows the correction.

All text is agency text and untrusted: characters XML cannot carry and bidirectional
overrides are removed, and the HTML content is built here from escaped text, never
passed through from an agency.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape

from alerts.messages import change_line, material_changes
from alerts.models import Alert

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://kratom-monitor.invalid/alerts")
# C0 controls but tab/newline/return, DEL and C1, surrogates, U+FFFE/U+FFFF: not XML 1.0;
# embedding, override and isolate controls can make a title read backwards.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
)
TITLE_LIMIT = 300
SUMMARY_LIMIT = 1000


def clean(text: str | None) -> str:
    """``text`` without characters a feed must not carry."""
    return _UNSAFE.sub("", text or "")


def one_line(text: str | None, limit: int) -> str:
    """Cleaned, whitespace collapsed, cut at a word boundary to ``limit`` characters."""
    flat = " ".join(clean(text).split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


def rfc3339(moment: datetime) -> str:
    """``2026-03-02T15:00:00Z``: the date form Atom and JSON Feed use."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def entry_id(source: str, uid: str) -> str:
    """The permanent id of an alert in every feed: ``urn:uuid:...``."""
    name = source + "\x1f" + uid
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, name)}"


@dataclass(frozen=True)
class Category:
    scheme: str  # kind | hazard | place | agency
    term: str
    label: str


@dataclass
class Entry:
    """One alert as every feed format needs it."""

    id: str
    title: str
    page_url: str  # our alert page (the permanent link)
    agency_url: str
    published: datetime
    updated: datetime
    summary: str  # plain text
    content_html: str
    content_text: str
    agency: str
    categories: list[Category] = field(default_factory=list)
    correction: str = ""  # plain text, empty unless revised


def _correction(alert: Alert, changes: list[dict[str, object]]) -> str:
    if alert.revision <= 1:
        return ""
    worth = material_changes(changes) or changes
    lines = "; ".join(one_line(change_line(c), 300) for c in worth[:6])
    when = alert.updated_at.strftime("%Y-%m-%d")
    return f"Updated {when}: {lines or 'details revised'}."


def _facts(alert: Alert) -> list[tuple[str, str]]:
    facts: list[tuple[str, str]] = []
    if alert.firms:
        facts.append(("Firm", ", ".join(alert.firms)))
    for product in alert.products[:10]:
        text = str(product.get("name", ""))
        if product.get("lots"):
            text += " · lots " + ", ".join(str(v) for v in product["lots"])
        facts.append(("Product", text))
    if alert.hazards:
        facts.append(("Hazard", ", ".join(h.replace("_", " ") for h in alert.hazards)))
    places = list(dict.fromkeys([alert.jurisdiction, *alert.regions]))
    facts.append(("Where", ", ".join(places)))
    facts.append(("Severity", f"{alert.severity} ({alert.severity_reason})"))
    if alert.recall_class or alert.recall_number:
        recall = " · ".join(
            v for v in (f"Class {alert.recall_class}" if alert.recall_class else "",
                        alert.recall_number or "", alert.status or "") if v
        )  # fmt: skip
        facts.append(("Recall", recall))
    return [(name, one_line(value, SUMMARY_LIMIT)) for name, value in facts]


def categories(alert: Alert) -> list[Category]:
    found = [Category("kind", alert.kind, alert.kind.replace("_", " "))]
    found += [Category("hazard", h, h.replace("_", " ")) for h in alert.hazards]
    for place in dict.fromkeys([alert.jurisdiction, *alert.regions]):
        found.append(Category("place", place, place))
    found.append(Category("agency", clean(alert.agency), clean(alert.agency)))
    return found


def entry(alert: Alert, *, page_url: str, changes: list[dict[str, object]]) -> Entry:
    """The feed entry for ``alert``; ``changes`` are those of its latest revision."""
    correction = _correction(alert, changes)
    summary = one_line(alert.summary or alert.title, SUMMARY_LIMIT)
    facts = _facts(alert)
    lead = f"{correction} {summary}" if correction else summary
    html = []
    if correction:
        html.append(f"<p><strong>{escape(correction)}</strong></p>")
    html.append(f"<p>{escape(summary)}</p>")
    html.append(
        "<ul>"
        + "".join(f"<li>{escape(name)}: {escape(value)}</li>" for name, value in facts)
        + "</ul>"
    )
    html.append(
        f'<p><a href="{escape(alert.url)}">The agency\'s original</a> · '
        f'<a href="{escape(page_url)}">Alert page with its history</a></p>'
    )
    text = "\n".join(
        [*([correction] if correction else []), summary, "", *(f"{n}: {v}" for n, v in facts),
         "", f"Agency: {alert.url}", f"History: {page_url}"]
    )  # fmt: skip
    return Entry(
        id=entry_id(alert.source, alert.uid),
        title=one_line(alert.title, TITLE_LIMIT) or "(untitled)",
        page_url=page_url,
        agency_url=clean(alert.url),
        published=alert.published_at or alert.first_seen_at,
        updated=alert.updated_at,
        summary=lead,
        content_html="".join(html),
        content_text=text,
        agency=one_line(alert.agency, 120),
        categories=categories(alert),
        correction=correction,
    )


@dataclass
class FeedInfo:
    """The feed as a whole: its identity, links and paging."""

    id: str
    title: str
    subtitle: str
    self_url: str
    html_url: str  # the site page showing the same filter
    updated: datetime
    hub_url: str = ""
    first_url: str = ""
    next_url: str = ""  # older entries (RFC 5005 paged feed)
    related: dict[str, str] = field(default_factory=dict)  # other formats of the same view
