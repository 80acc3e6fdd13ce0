"""CSV and JSON exports of an alert list, and CSV of subscribers and of the audit log, for
staff who take the data elsewhere.

CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return) are prefixed with an apostrophe, so agency text cannot
execute in the reader's spreadsheet. Lists are joined with ``; ``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from alerts.audit import compact
from alerts.models import Alert, AuditEntry, Subscriber
from alerts.store import as_dict

COLUMNS = (
    "id", "source", "agency", "kind", "title", "published_at", "updated_at", "revision",
    "jurisdiction", "regions", "firms", "products", "hazards", "severity", "severity_reason",
    "recall_number", "recall_class", "status", "url", "incident_id",
)  # fmt: skip
SUBSCRIBER_COLUMNS = (
    "email", "status", "paused", "delivery", "kinds", "jurisdictions", "hazards",
    "min_severity", "timezone", "send_hour", "created_at", "confirmed_at",
)  # fmt: skip
AUDIT_COLUMNS = ("at", "user", "action", "target", "before", "after", "ip")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        parts = [str(v.get("name", "")) if isinstance(v, dict) else str(v) for v in value]
        text = "; ".join(parts)
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(alerts: Iterable[Alert]) -> str:
    """A header row and one row per alert, in ``COLUMNS`` order (RFC 4180 quoting)."""
    return _table(COLUMNS, ([data.get(name) for name in COLUMNS] for data in map(as_dict, alerts)))


def _table(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _subscriber_row(s: Subscriber) -> list[Any]:
    return [
        s.email, s.status, "yes" if s.paused else "no", s.delivery, s.kinds, s.jurisdictions,
        s.hazards, s.min_severity, s.timezone, s.send_hour, _when(s.created_at),
        _when(s.confirmed_at),
    ]  # fmt: skip


def subscribers_to_csv(subscribers: Iterable[Subscriber]) -> str:
    """A header row and one row per subscriber, in ``SUBSCRIBER_COLUMNS`` order; times in
    UTC (ISO 8601), an empty list (any kind, place or hazard) as an empty cell."""
    return _table(SUBSCRIBER_COLUMNS, (_subscriber_row(s) for s in subscribers))


def audit_to_csv(entries: Iterable[AuditEntry], emails: Mapping[int, str]) -> str:
    """A header row and one row per entry, in ``AUDIT_COLUMNS`` order. ``user`` is the
    email from ``emails`` (``command line`` when no one signed in acted)."""

    def row(e: AuditEntry) -> list[Any]:
        who = "command line" if e.user_id is None else emails.get(e.user_id, f"#{e.user_id}")
        return [_when(e.at), who, e.action, e.target, compact(e.before), compact(e.after), e.ip]

    return _table(AUDIT_COLUMNS, (row(e) for e in entries))


def to_json(alerts: Iterable[Alert], *, query: str, exported_at: str) -> str:
    """``{"query", "exported_at", "count", "alerts": [...]}`` with every stored fact."""
    rows = [as_dict(alert) for alert in alerts]
    document = {"query": query, "exported_at": exported_at, "count": len(rows), "alerts": rows}
    return json.dumps(document, ensure_ascii=False, indent=1)
