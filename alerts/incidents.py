"""Incidents: one real-world event seen through several alerts.

Two alerts belong to one incident when they share a recall number, share an openFDA
event id, are the same agency page seen in two feeds, or (for recalls from different
sources, e.g. a firm's press release in RSS and the classified openFDA record) name the
same firm within a date window, or (a letter round) one is a warning letter whose firm the
other, an announcement of letters, names within 45 days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from alerts.models import Alert, Incident
from alerts.text import as_utc

WINDOW = timedelta(days=45)
LETTER_WINDOW = timedelta(days=45)  # letters are often posted weeks after they are issued
_LETTERS = ("warning_letter", "ftc_joint")
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


@dataclass
class _Pool:
    """Alerts that could match a batch, indexed the ways alerts are matched."""

    by_recall: dict[str, list[Alert]] = field(default_factory=dict)
    by_event: dict[str, list[Alert]] = field(default_factory=dict)
    by_url: dict[str, list[Alert]] = field(default_factory=dict)
    by_firm: dict[str, list[Alert]] = field(default_factory=dict)
    letters: list[Alert] = field(default_factory=list)  # letter kinds near the batch's days

    def add(self, alert: Alert) -> None:
        for index, key in (
            (self.by_recall, alert.recall_number),
            (self.by_event, alert.event_id),
            (self.by_url, alert.url),
        ):
            if key and alert not in index.setdefault(key, []):
                index[key].append(alert)
        if alert.kind == "recall":
            for firm in firm_keys(alert.firms):
                bucket = self.by_firm.setdefault(firm, [])
                if alert not in bucket:
                    bucket.append(alert)
        if alert.kind in _LETTERS and alert not in self.letters:
            self.letters.append(alert)


def _chunks(values: set[str]) -> list[list[str]]:
    ordered = sorted(values)
    return [ordered[i : i + 500] for i in range(0, len(ordered), 500)]


def _pool(session: Session, alerts: list[Alert]) -> _Pool:
    """Load every possible partner of the batch in a few queries (not a few per alert)."""
    pool = _Pool()
    for column, values in (
        (Alert.recall_number, {a.recall_number for a in alerts if a.recall_number}),
        (Alert.event_id, {a.event_id for a in alerts if a.event_id}),
        (Alert.url, {a.url for a in alerts if a.url}),
    ):
        for chunk in _chunks(values):
            for other in session.exec(select(Alert).where(col(column).in_(chunk))):
                pool.add(other)
    days = [d for a in alerts if a.kind == "recall" and a.firms for d in [_event_day(a)] if d]
    if days:
        low = datetime(min(days).year, min(days).month, min(days).day) - 2 * WINDOW
        high = datetime(max(days).year, max(days).month, max(days).day) + 2 * WINDOW
        window = select(Alert).where(
            Alert.kind == "recall",
            col(Alert.published_at) >= as_utc(low),
            col(Alert.published_at) <= as_utc(high),
        )
        for other in session.exec(window):
            pool.add(other)
    letter_days = [a.published_at for a in alerts if a.kind in _LETTERS and a.published_at]
    if letter_days:
        window = select(Alert).where(
            col(Alert.kind).in_(_LETTERS),
            col(Alert.published_at) >= min(letter_days) - LETTER_WINDOW,
            col(Alert.published_at) <= max(letter_days) + LETTER_WINDOW,
        )
        for other in session.exec(window):
            pool.add(other)
    return pool


def _words(text: str) -> str:
    return f" {' '.join(w for w in _NON_WORD.split(text.lower()) if w)} "


def _names_firm(letter: Alert, other: Alert) -> str | None:
    """The letter's firm when ``other`` (an announcement) names it in its title or summary."""
    text = _words(f"{other.title} {other.summary}")
    for firm in sorted(firm_keys(letter.firms)):
        if len(firm) >= 4 and f" {firm} " in text:
            return firm
    return None


def _letter_round(pool: _Pool, alert: Alert) -> list[tuple[Alert, str]]:
    """Warning letters and the announcements that name their firms, within the window."""
    found: list[tuple[Alert, str]] = []
    for other in pool.letters:
        if other.id == alert.id or other.source == alert.source:
            continue
        gap = _days_apart(alert, other)
        if gap is None or gap > LETTER_WINDOW.days:
            continue
        firm = _names_firm(alert, other) or _names_firm(other, alert)
        if firm is not None:
            found.append((other, f"warning letter to {firm} announced within {gap} days"))
    return found


def _candidates(pool: _Pool, alert: Alert) -> list[tuple[Alert, str]]:
    found: list[tuple[Alert, str]] = []
    if alert.recall_number:
        for other in pool.by_recall.get(alert.recall_number, []):
            if other.id != alert.id:
                found.append((other, f"same recall number {alert.recall_number}"))
    if alert.event_id:
        for other in pool.by_event.get(alert.event_id, []):
            if other.id != alert.id:
                what = (
                    "Federal Register document"
                    if alert.event_id.startswith("FR ")
                    else ("recall event")
                )
                found.append((other, f"same {what} {alert.event_id.removeprefix('FR ')}"))
    for other in pool.by_url.get(alert.url, []):
        if other.source != alert.source:
            found.append((other, "same agency page in two feeds"))
    if alert.kind == "recall":
        for firm in sorted(firm_keys(alert.firms)):
            for other in pool.by_firm.get(firm, []):
                if other.source == alert.source or other.id == alert.id:
                    continue
                gap = _days_apart(alert, other)
                if gap is not None and gap <= WINDOW.days:
                    found.append((other, f"same firm ({firm}) within {gap} days"))
    if alert.kind in _LETTERS:
        found += _letter_round(pool, alert)
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
    if not alerts:
        return []
    pool = _pool(session, alerts)
    for alert in alerts:
        for other, reason in _candidates(pool, alert):
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
