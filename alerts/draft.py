"""The alert draft: what a source makes of one agency item before it is stored.

Drafts are plain data. Sources build them from agency payloads; ``alerts.classify``
fills in kind, hazards and severity; ``alerts.store`` turns them into stored alerts.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

KINDS = (
    "warning_letter",
    "ftc_joint",
    "advisory",
    "recall",
    "outbreak",
    "lab_results",
    "import_alert",
    "seizure",
    "scheduling",
    "state_law",
    "adverse_event",
    "notice",
)

SEVERITIES = ("info", "low", "moderate", "high", "critical")

# The user-visible facts of an alert, in display order.
FACT_FIELDS = (
    "agency", "kind", "title", "url", "summary", "published_at", "jurisdiction", "regions",
    "firms", "products", "hazards", "severity", "severity_reason", "recall_number",
    "recall_class", "status", "event_id", "initiated_on", "matched_terms", "events",
    "details",
)  # fmt: skip
# Facts left out of the compared facts while empty, so alerts stored before the field
# existed keep their hash and get no spurious revision.
OPTIONAL_FACTS = ("events", "details")
# What a dated regulatory event can be (``AlertDraft.events``).
EVENT_KINDS = ("effective", "comments_close", "hearing", "scheduling")


@dataclass
class Product:
    """A product named by an alert, with the lot codes and UPCs the agency gave."""

    name: str
    lots: list[str] = field(default_factory=list)
    upcs: list[str] = field(default_factory=list)


@dataclass
class AlertDraft:
    """One agency item, normalized. ``uid`` is stable per source across polls."""

    source: str
    uid: str
    agency: str
    kind: str
    title: str
    url: str
    summary: str = ""
    published_at: datetime | None = None
    jurisdiction: str = "US"
    regions: list[str] = field(default_factory=list)
    firms: list[str] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    hazards: list[str] = field(default_factory=list)
    severity: str = "info"
    severity_reason: str = ""
    recall_number: str | None = None
    recall_class: str | None = None
    status: str | None = None
    event_id: str | None = None
    initiated_on: date | None = None
    matched_terms: list[str] = field(default_factory=list)
    # Dated regulatory events: [{"on": "2027-01-01", "what": "effective"}], what in EVENT_KINDS.
    events: list[dict[str, str]] = field(default_factory=list)
    # Facts only some sources have, JSON-ready, shown by name: a warning letter's MARCS-CMS
    # number and cited claims, a rule's stage and docket, a signal's counts and baseline.
    details: dict[str, Any] = field(default_factory=dict)
    # Text used for classification only (may be longer than the summary); not stored.
    body: str = ""
    # True when the source itself knows the kind (a bill's status, a signal): ``classify``
    # then keeps it instead of reading the kind from the text. Not stored.
    kind_decided: bool = False
    # The agency's own record for this item, JSON-ready, kept as evidence.
    raw: dict[str, Any] = field(default_factory=dict)

    def facts(self) -> dict[str, Any]:
        """The stored, user-visible facts: what a revision compares (JSON-ready)."""
        data = {name: getattr(self, name) for name in FACT_FIELDS}
        for name, value in data.items():
            if isinstance(value, list):
                data[name] = list(value)
        data["products"] = [asdict(p) for p in self.products]
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        data["initiated_on"] = self.initiated_on.isoformat() if self.initiated_on else None
        data["events"] = [dict(e) for e in self.events]
        data["details"] = copy.deepcopy(self.details)
        return drop_empty_optional(data)


def drop_empty_optional(facts: dict[str, Any]) -> dict[str, Any]:
    """``facts`` without the optional facts that are empty (see ``OPTIONAL_FACTS``)."""
    for name in OPTIONAL_FACTS:
        if not facts.get(name):
            facts.pop(name, None)
    return facts
