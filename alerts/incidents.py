"""Incidents: one real-world event seen through several alerts.

Two alerts belong to one incident when they share a recall number, share an openFDA
event id, are the same agency page seen in two feeds, or (for recalls from different
sources, e.g. a firm's press release in RSS and the classified openFDA record) name the
same firm within a date window.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, or_, select

from alerts.models import Alert, Incident
from alerts.text import as_utc

WINDOW = timedelta(days=45)
_SUFFIXES = frozenset(
    {"llc", "l.l.c", "inc", "incorporated", "corp", "corporation", "co", "company", "ltd",
     "limited", "lp", "llp", "the", "pllc", "plc", "mfg"}
)  # fmt: skip
_DBA = re.compile(r"\s+(?:dba|d/b/a|doing business as)\s+", re.I)
_NON_WORD = re.compile(r"[^a-z0-9]+")


def firm_keys(names: list[str]) -> set[str]:
    """Normalized firm names: lower case, no punctuation, no legal suffixes, dba split."""
    keys: set[str] = set()
    for name in names:
        for part in _DBA.split(name):
            words = [w for w in _NON_WORD.split(part.lower()) if w and w not in _SUFFIXES]
            if words:
                keys.add(" ".join(words))
    return keys


def _event_day(alert: Alert) -> date | None:
    if alert.initiated_on:
        return alert.initiated_on
    return alert.published_at.date() if alert.published_at else None


def _days_apart(a: Alert, b: Alert) -> int | None:
    """Smallest distance between the two alerts' event and publication days."""
    days_a = {d for d in (_event_day(a), a.published_at and a.published_at.date()) if d}
    days_b = {d for d in (_event_day(b), b.published_at and b.published_at.date()) if d}
    if not days_a or not days_b:
        return None
    return min(abs((x - y).days) for x in days_a for y in days_b)


def _candidates(session: Session, alert: Alert) -> list[tuple[Alert, str]]:
    found: list[tuple[Alert, str]] = []
    keyed = []
    if alert.recall_number:
        keyed.append(Alert.recall_number == alert.recall_number)
    if alert.event_id:
        keyed.append(Alert.event_id == alert.event_id)
    if keyed:
        for other in session.exec(select(Alert).where(or_(*keyed), Alert.id != alert.id)):
            reason = (
                f"same recall number {alert.recall_number}"
                if alert.recall_number and other.recall_number == alert.recall_number
                else f"same recall event {alert.event_id}"
            )
            found.append((other, reason))
    if alert.url:
        same_page = select(Alert).where(Alert.url == alert.url, Alert.source != alert.source)
        for other in session.exec(same_page):
            found.append((other, "same agency page in two feeds"))
    firms = firm_keys(alert.firms)
    anchor = _event_day(alert)
    if firms and anchor and alert.kind == "recall":
        low = datetime(anchor.year, anchor.month, anchor.day) - 2 * WINDOW
        high = datetime(anchor.year, anchor.month, anchor.day) + 2 * WINDOW
        query = select(Alert).where(
            Alert.kind == "recall",
            Alert.source != alert.source,
            Alert.id != alert.id,
            col(Alert.published_at) >= as_utc(low),
            col(Alert.published_at) <= as_utc(high),
        )
        for other in session.exec(query):
            gap = _days_apart(alert, other)
            if gap is not None and gap <= WINDOW.days and firms & firm_keys(other.firms):
                shared = sorted(firms & firm_keys(other.firms))[0]
                found.append((other, f"same firm ({shared}) within {gap} days"))
    return found


def _merge(session: Session, keep: Incident, drop_id: int, now: datetime) -> None:
    for member in session.exec(select(Alert).where(Alert.incident_id == drop_id)):
        member.incident_id = keep.id
        session.add(member)
    session.flush()
    dropped = session.get(Incident, drop_id)
    if dropped is not None:
        session.delete(dropped)
    keep.updated_at = now


def link(session: Session, alerts: list[Alert], *, now: datetime) -> list[Incident]:
    """Join each alert to the incidents of matching alerts; return incidents touched."""
    touched: dict[int, Incident] = {}
    for alert in alerts:
        for other, reason in _candidates(session, alert):
            if alert.incident_id is not None and alert.incident_id == other.incident_id:
                continue
            if alert.incident_id is None and other.incident_id is None:
                incident = Incident(
                    title=alert.title, link_reason=reason, created_at=now, updated_at=now
                )
                session.add(incident)
                session.flush()
            elif alert.incident_id is None or other.incident_id is None:
                incident = session.get_one(Incident, alert.incident_id or other.incident_id)
            else:
                incident = session.get_one(Incident, alert.incident_id)
                _merge(session, incident, other.incident_id, now)
                touched.pop(other.incident_id, None)
                session.refresh(other)
            for member in (alert, other):
                member.incident_id = incident.id
                session.add(member)
            incident.updated_at = now
            session.add(incident)
            assert incident.id is not None
            touched[incident.id] = incident
    session.flush()
    for incident in touched.values():
        incident.title = _title(members(session, incident.id or 0)) or incident.title
        session.add(incident)
    session.flush()
    return list(touched.values())


def _title(alerts: list[Alert]) -> str:
    """Prefer the firm's own headline (RSS, no recall number) over a terse enforcement record."""
    headlines = [a for a in alerts if not a.recall_number]
    chosen = headlines or alerts
    return chosen[0].title if chosen else ""


def members(session: Session, incident_id: int) -> list[Alert]:
    """Alerts of an incident, oldest publication first."""
    return list(
        session.exec(
            select(Alert)
            .where(Alert.incident_id == incident_id)
            .order_by(col(Alert.published_at).asc().nulls_last(), col(Alert.id))
        )
    )
