"""Regulatory dates as an iCalendar feed (RFC 5545): one all-day VEVENT per alert event.

Written by hand, no library: CRLF line ends, lines folded at 75 octets without splitting
a UTF-8 character, TEXT values escaped (backslash, semicolon, comma, newline) with
control and bidirectional-override characters removed, so agency text can neither end a
property early nor disguise itself in a calendar app.

An event's UID depends only on the alert's (source, uid) and the event kind, so when the
agency revises the alert (or moves the date) calendar apps update the event in place:
SEQUENCE is the alert's revision and DTSTAMP / LAST-MODIFIED its last change.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from alerts.draft import EVENT_KINDS
from alerts.filters import AlertFilter, conditions
from alerts.models import Alert
from alerts.text import as_utc

LABELS = {
    "effective": "Effective",
    "comments_close": "Comments close",
    "hearing": "Hearing",
    "scheduling": "Scheduling takes effect",
}
assert set(LABELS) == set(EVENT_KINDS)

_SUMMARY_CHARS = 250  # calendar apps show a line; the full text is in DESCRIPTION
_DESCRIPTION_CHARS = 4000
_FOLD_OCTETS = 75
# C0 controls but tab and newlines, DEL, C1 controls, bidi embeddings/overrides/isolates,
# and lone surrogates (which cannot be written as UTF-8).
_DROP = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NEWLINES = re.compile("\r\n|[\r\n\u2028\u2029]")
_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}$")


def clean(value: str) -> str:
    """Text without the characters a calendar line must not carry; newlines become LF."""
    return _DROP.sub("", _NEWLINES.sub("\n", value)).replace("\t", " ")


def escape(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): cleaned, with ``\\ ; ,`` and newlines escaped."""
    text = clean(value)
    for raw, escaped in (("\\", "\\\\"), (";", "\\;"), (",", "\\,"), ("\n", "\\n")):
        text = text.replace(raw, escaped)
    return text


def fold(line: str) -> str:
    """One content line folded at 75 octets (3.1); a UTF-8 character is never split."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        width = len(char.encode())
        if size + width > _FOLD_OCTETS:
            parts.append("".join(current))
            current, size = [], 1  # the continuation line's leading space counts
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _stamp(moment: datetime) -> str:
    utc = as_utc(moment)
    assert utc is not None
    return utc.strftime("%Y%m%dT%H%M%SZ")


def event_uid(alert: Alert, what: str, domain: str) -> str:
    """Stable for one alert and event kind: survives revisions and a rebuilt database."""
    digest = hashlib.sha256(f"{alert.source}\n{alert.uid}".encode()).hexdigest()[:24]
    host = domain if _HOST.match(domain) else "kratom-monitor"
    return f"{digest}-{what}@{host}"


def _events(alert: Alert) -> list[tuple[str, date]]:
    """The alert's well-formed events, one per kind (the first listed); bad entries skipped."""
    found: dict[str, date] = {}
    raw: Any = alert.events
    for event in raw if isinstance(raw, list) else []:
        if not isinstance(event, dict):
            continue
        what, on = event.get("what"), event.get("on")
        if what not in LABELS or what in found or not isinstance(on, str):
            continue
        try:
            found[what] = date.fromisoformat(on)
        except ValueError:
            continue
    return list(found.items())


def _vevent(alert: Alert, what: str, on: date, *, alert_base: str, domain: str) -> list[str]:
    label = LABELS[what]
    page = clean(f"{alert_base}/{alert.id}").replace("\n", "")
    description = "\n\n".join(
        part
        for part in (
            _shorten(clean(alert.title), _DESCRIPTION_CHARS),
            _shorten(clean(alert.summary), _DESCRIPTION_CHARS),
            f"{alert.agency}: {alert.url}",
            f"Alert page: {page}",
        )
        if part
    )
    categories = [label, alert.kind.replace("_", " ").capitalize(), alert.agency]
    changed = _stamp(alert.updated_at)
    return [
        "BEGIN:VEVENT",
        f"UID:{escape(event_uid(alert, what, domain))}",
        f"DTSTAMP:{changed}",
        f"CREATED:{_stamp(alert.first_seen_at)}",
        f"LAST-MODIFIED:{changed}",
        f"SEQUENCE:{alert.revision}",
        f"DTSTART;VALUE=DATE:{on.strftime('%Y%m%d')}",
        f"DTEND;VALUE=DATE:{(on + timedelta(days=1)).strftime('%Y%m%d')}",
        f"SUMMARY:{escape(_shorten(f'{label}: {clean(alert.title)}', _SUMMARY_CHARS))}",
        f"DESCRIPTION:{escape(description)}",
        f"URL:{page}",
        f"CATEGORIES:{','.join(escape(c) for c in categories if c)}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def render(
    alerts: Iterable[Alert],
    *,
    alert_base: str,
    domain: str,
    name: str = "Kratom regulatory dates",
    description: str = "",
    refresh: timedelta = timedelta(hours=1),
) -> str:
    """The VCALENDAR text (CRLF line ends) of every event of ``alerts``, by date.

    ``alert_base`` is the public alert pages' base (``{alert_base}/{alert.id}``);
    ``domain`` names this installation in UIDs; ``refresh`` is the polling interval
    suggested to calendar apps. Events with a malformed date or kind are left out.
    """
    seconds = max(int(refresh.total_seconds()), 60)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//kratom-monitor//Regulatory dates//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{escape(name)}",
        f"NAME:{escape(name)}",
    ]
    if description:
        lines += [f"X-WR-CALDESC:{escape(description)}", f"DESCRIPTION:{escape(description)}"]
    lines += [
        f"REFRESH-INTERVAL;VALUE=DURATION:PT{seconds}S",
        f"X-PUBLISHED-TTL:PT{seconds}S",
    ]
    dated = sorted(
        ((on, alert.id or 0, what, alert) for alert in alerts for what, on in _events(alert)),
        key=lambda item: item[:3],
    )
    for on, _id, what, alert in dated:
        lines += _vevent(alert, what, on, alert_base=alert_base, domain=domain)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def alerts_with_events(session: Session, flt: AlertFilter, *, limit: int = 500) -> list[Alert]:
    """Alerts passing ``flt`` that have dated events, most recently changed first."""
    dialect = session.get_bind().dialect.name
    query = (
        select(Alert)
        .where(*conditions(flt, dialect), func.json_array_length(col(Alert.events)) > 0)
        .order_by(col(Alert.updated_at).desc(), col(Alert.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))
