"""What the staff alert page shows, gathered in one read: facts, history with evidence,
the incident timeline, triage, notes, deliveries and the correction form's values.

Plain data for the template (``Detail``), so nothing is loaded lazily after the session.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from alerts import dossier, incidents, store, triage
from alerts.claims import records as claim_records
from alerts.draft import FACT_FIELDS
from alerts.models import Alert, AlertRevision, Incident, StaffUser
from alerts.overrides import LIST_FIELDS, CorrectionError, validated
from alerts.triage import MOVES
from monitor.web.details import detail_rows

RECALL_CLASSES = ("", "I", "II", "III")
_LABELS = {"url": "Agency page", "published_at": "Published", "event_id": "Recall event id"}


def local_time(moment: datetime | None, zone: str) -> str:
    """``moment`` in the time zone ``zone`` (UTC when the zone is unknown)."""
    if moment is None:
        return "—"
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def value_text(value: Any) -> str:
    """A fact's value as one line of text."""
    if value is None or value in ("", []):
        return "—"
    if isinstance(value, list):
        return "; ".join(_item_text(v) for v in value)
    return str(value)


def _item_text(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    if "name" in item:  # a product
        text = str(item["name"])
        if item.get("lots"):
            text += " · lots " + ", ".join(str(v) for v in item["lots"])
        if item.get("upcs"):
            text += " · UPC " + ", ".join(str(v) for v in item["upcs"])
        return text
    if "on" in item:  # a dated event
        return f"{item.get('what', '')} {item['on']}".strip()
    return json.dumps(item, ensure_ascii=False, sort_keys=True)


def correction_values(alert: Alert) -> dict[str, Any]:
    """The correction form, filled with the alert's current facts (as the form shows them).

    Text is on one line (staff forms refuse line breaks); firms are one field each, as a
    firm's name may hold a comma.
    """

    def line(text: str | None) -> str:
        return " ".join((text or "").split())

    return {
        "title": line(alert.title), "summary": line(alert.summary), "kind": alert.kind,
        "severity": alert.severity, "severity_reason": line(alert.severity_reason),
        "hazards": list(alert.hazards), "jurisdiction": alert.jurisdiction,
        "regions": ", ".join(alert.regions), "firms": list(alert.firms),
        "status": line(alert.status), "recall_class": alert.recall_class or "",
    }  # fmt: skip


def same_value(name: str, given: Any, shown: Any) -> bool:
    """True when a submitted field means what the form showed (the person left it alone)."""
    try:
        a, b = validated(name, given), validated(name, shown)
    except CorrectionError:
        return False
    if name in LIST_FIELDS:
        return sorted(a) == sorted(b)
    return bool(a == b)


@dataclass
class Detail:
    """Everything the alert page shows."""

    alert: Alert
    facts: list[tuple[str, str]]
    revisions: list[dict[str, Any]]
    incident: Incident | None
    timeline: list[dict[str, Any]]
    status: str
    assignee_id: int | None
    assignee: str
    moves: list[str]
    people: list[tuple[int, str]]
    notes: list[dict[str, str]]
    sent: dict[str, int]
    correction: dict[str, Any] = field(default_factory=dict)
    # Stored claims in articles that this alert bears on (alerts.claims).
    claims: list[dict[str, Any]] = field(default_factory=list)


def _facts(alert: Alert, zone: str) -> list[tuple[str, str]]:
    facts = store.facts_of(alert)
    shown = [("Source", alert.source), ("Item id", alert.uid)]
    for name in FACT_FIELDS:
        if name == "details":
            shown += detail_rows(alert.details)
            continue
        value = local_time(alert.published_at, zone) if name == "published_at" else facts.get(name)
        label = _LABELS.get(name) or name.replace("_", " ").capitalize()
        shown.append((label, value_text(value)))
    shown += [
        ("First seen", local_time(alert.first_seen_at, zone)),
        ("Last changed", local_time(alert.updated_at, zone)),
        ("Revision", str(alert.revision)),
    ]
    return shown


def _change(change: dict[str, Any]) -> dict[str, str]:
    name = str(change.get("field", "")).replace("_", " ")
    if change.get("op") == "list":
        before = "removed: " + (", ".join(map(str, change.get("removed") or [])) or "nothing")
        after = "added: " + (", ".join(map(str, change.get("added") or [])) or "nothing")
        return {"field": name, "old": before, "new": after}
    return {
        "field": name,
        "old": value_text(change.get("old")),
        "new": value_text(change.get("new")),
    }


def _revisions(session: Session, rows: list[AlertRevision], zone: str) -> list[dict[str, Any]]:
    evidence = dossier.evidence_of(session, [r.evidence_id for r in rows])
    kept = dossier.archived(session, evidence)
    shown = []
    for rev in reversed(rows):
        found = evidence.get(rev.evidence_id or 0)
        shown.append(
            {
                "number": rev.revision, "recorded": local_time(rev.recorded_at, zone),
                "changes": [_change(c) for c in rev.changes],
                "corrected_by": _corrector(rev.raw) if found is None else None,
                "raw": json.dumps(rev.raw, indent=2, ensure_ascii=False, sort_keys=True),
                "raw_sha256": rev.raw_sha256,
                "evidence": found and {
                    "id": found.id, "retrieved": local_time(found.retrieved_at, zone),
                    "url": found.url, "sha256": found.sha256, "size": found.size,
                    "status_code": found.status_code, "content_type": found.content_type or "—",
                    "etag": found.etag or "—", "last_modified": found.last_modified or "—",
                    "kept": found.id in kept,
                },
            }
        )  # fmt: skip
    return shown


def _corrector(raw: dict[str, Any]) -> str | None:
    """Who made a correction revision (its record names them), else None."""
    made = raw.get("correction")
    return str(made.get("by") or "staff") if isinstance(made, dict) else None


def _timeline(session: Session, alert: Alert, zone: str) -> list[dict[str, Any]]:
    if alert.incident_id is None:
        return []
    return [
        {
            "id": other.id, "title": other.title, "agency": other.agency, "kind": other.kind,
            "date": local_time(other.published_at or other.first_seen_at, zone),
            "this": other.id == alert.id,
        }
        for other in incidents.members(session, alert.incident_id)
    ]  # fmt: skip


def _assignees(
    session: Session, current: int | None, emails: dict[int, str]
) -> list[tuple[int, str]]:
    """Who the alert can go to; its assignee too when they no longer could (kept as is)."""
    choices = [(int(p.id or 0), p.email) for p in dossier.assignable(session)]
    if current is not None and current not in {i for i, _ in choices}:
        choices.append((current, f"{emails.get(current, 'someone')} (no longer assignable)"))
    return choices


def load(session: Session, alert_id: int, user: StaffUser) -> Detail | None:
    """The alert page's content, or None when there is no such alert."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        return None
    zone = user.time_zone
    state = triage.state_of(session, alert_id)
    notes = triage.notes_of(session, alert_id)
    people = dossier.emails(session, [state.assignee_id, *(n.user_id for n in notes)])
    return Detail(
        alert=alert, facts=_facts(alert, zone),
        revisions=_revisions(session, store.revisions_of(session, alert_id), zone),
        incident=session.get(Incident, alert.incident_id) if alert.incident_id else None,
        timeline=_timeline(session, alert, zone), status=state.status,
        assignee_id=state.assignee_id, assignee=people.get(state.assignee_id or 0, ""),
        moves=[state.status, *MOVES[state.status]],
        people=_assignees(session, state.assignee_id, people),
        notes=[
            {"by": people.get(n.user_id or 0, "someone"), "at": local_time(n.at, zone),
             "text": n.text}
            for n in notes
        ],
        sent=dossier.sent_counts(session, alert_id), correction=correction_values(alert),
        claims=[
            {"document_id": d.id, "title": d.title or "Untitled article", "text": c.text,
             "claim_id": c.id, "reason": k.reason, "rank": k.rank}
            for c, d, k in claim_records.claims_on_alert(session, alert_id)
        ],
    )  # fmt: skip
