"""CSV and JSON exports of an alert list, for staff who take the data elsewhere.

CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return) are prefixed with an apostrophe, so agency text cannot
execute in the reader's spreadsheet. Lists are joined with ``; ``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from alerts.models import Alert
from alerts.store import as_dict

COLUMNS = (
    "id", "source", "agency", "kind", "title", "published_at", "updated_at", "revision",
    "jurisdiction", "regions", "firms", "products", "hazards", "severity", "severity_reason",
    "recall_number", "recall_class", "status", "url", "incident_id",
)  # fmt: skip
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
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for alert in alerts:
        data = as_dict(alert)
        writer.writerow([_cell(data.get(name)) for name in COLUMNS])
    return out.getvalue()


def to_json(alerts: Iterable[Alert], *, query: str, exported_at: str) -> str:
    """``{"query", "exported_at", "count", "alerts": [...]}`` with every stored fact."""
    rows = [as_dict(alert) for alert in alerts]
    document = {"query": query, "exported_at": exported_at, "count": len(rows), "alerts": rows}
    return json.dumps(document, ensure_ascii=False, indent=1)
