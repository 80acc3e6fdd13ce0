"""What the timeline replay caught: expected events matched to stored alerts, as a table.

``<root>/<source key>/expected.json`` lists the timeline events a source must turn into
alerts: ``[{"date": "YYYY-MM-DD", "agency": ..., "event": ..., "uid_contains": ...,
"kind": ...}]``. ``<root>/uncovered.json`` lists the events no source here can see:
``[{"date", "agency", "event", "reason"}]``. An expected event is caught when an alert of
its source has a uid containing ``uid_contains`` (case-insensitive), the expected kind
(when given), and a revision recorded near the event: an event may be a new alert or a
change to one (an outbreak count, a page edit), so an alert that last changed years before
the event does not catch it. Otherwise the report says why the event was missed.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from alerts import incidents
from alerts.models import Alert, AlertRevision, SourceRecord


class ExpectationError(ValueError):
    """An expected.json or uncovered.json file is malformed; the message names it."""


@dataclass(frozen=True)
class PollNote:
    """One poll of the replay: the day, the source and what the poll did."""

    day: date
    source: str
    outcome: str
    new: int = 0
    revised: int = 0
    error: str | None = None


@dataclass(frozen=True)
class Expected:
    """A timeline event that ``source`` must turn into an alert."""

    date: str
    agency: str
    event: str
    source: str
    uid_contains: str
    kind: str | None = None


@dataclass(frozen=True)
class Uncovered:
    """A timeline event no source here can see, and why."""

    date: str
    agency: str
    event: str
    reason: str


@dataclass
class Row:
    """One line of the report. ``status``: caught, missed or uncovered."""

    date: str
    agency: str
    event: str
    source: str
    status: str
    alert_id: int | None = None
    kind: str | None = None
    revision: int | None = None  # the alert revision that shows the event
    seen_on: str | None = None  # the replay day that revision was recorded
    days_late: int | None = None  # set when recorded more than LATE days after the event
    incident_id: int | None = None
    incident_with: list[str] = field(default_factory=list)
    why: str = ""


def _text(item: dict[str, Any], name: str, where: str, *, required: bool = True) -> str:
    value = item.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ExpectationError(f"{where}: {name!r} must be a non-empty string")
    return value


def _items(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExpectationError(f"{path}: not readable JSON ({exc})") from None
    if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
        raise ExpectationError(f"{path}: must be a JSON list of objects")
    return data


def load_expected(root: Path) -> list[Expected]:
    """Every ``<root>/*/expected.json`` entry; ExpectationError names a malformed one."""
    found: list[Expected] = []
    for path in sorted(root.glob("*/expected.json")):
        for index, item in enumerate(_items(path)):
            where = f"{path} item {index}"
            found.append(
                Expected(
                    date=_text(item, "date", where),
                    agency=_text(item, "agency", where),
                    event=_text(item, "event", where),
                    source=path.parent.name,
                    uid_contains=_text(item, "uid_contains", where),
                    kind=_text(item, "kind", where, required=False) or None,
                )
            )
    return found


def load_uncovered(root: Path) -> list[Uncovered]:
    """The entries of ``<root>/uncovered.json`` (none when the file is absent)."""
    path = root / "uncovered.json"
    if not path.is_file():
        return []
    found = []
    for index, item in enumerate(_items(path)):
        where = f"{path} item {index}"
        found.append(
            Uncovered(
                date=_text(item, "date", where),
                agency=_text(item, "agency", where),
                event=_text(item, "event", where),
                reason=_text(item, "reason", where),
            )
        )
    return found


def _files_with(folder: Path, needle: str) -> list[str]:
    """Names (relative to ``folder``) of snapshot and page files that contain ``needle``."""
    wanted = needle.lower().encode()
    names = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != "expected.json" and wanted in path.read_bytes().lower():
            names.append(path.relative_to(folder).as_posix())
    return names


def _why_missed(session: Session, event: Expected, notes: Sequence[PollNote], root: Path) -> str:
    """Why no alert matched: missing data, a skipped item, a record without alert, errors."""
    polls = [n for n in notes if n.source == event.source]
    if not polls:
        return f"{event.source} was never polled: its folder has no dated snapshot"
    reasons: list[str] = []
    files = _files_with(root / event.source, event.uid_contains)
    if not files:
        reasons.append(f"no snapshot or page of {event.source} contains {event.uid_contains!r}")
    else:
        shown = ", ".join(files[:3]) + (" ..." if len(files) > 3 else "")
        reasons.append(f"{event.uid_contains!r} is in {shown} but no alert was stored")
    records = session.exec(
        select(SourceRecord.uid).where(SourceRecord.source == event.source)
    ).all()
    kept = [uid for uid in records if event.uid_contains.lower() in uid.lower()]
    if kept:
        reasons.append(f"kept as record {kept[0]} but derive made no alert from it")
    failed = [n for n in polls if n.outcome == "error"]
    if failed:
        reasons.append(f"{len(failed)} of {len(polls)} polls failed, last: {failed[-1].error}")
    return "; ".join(reasons)


# A revision this long before the event still counts (an item posted a little early);
# one recorded longer after it counts, but the report says how late.
EARLY = 31
LATE = 31


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _nearest(
    session: Session, alerts: Sequence[Alert], event_day: date | None
) -> tuple[Alert, AlertRevision] | None:
    """The alert revision recorded nearest the event day, not more than EARLY days before.

    An event may be a new alert or a change to one (an outbreak update, a page edit): the
    revision recorded for it shows that the replay saw it. Without a day, the first one.
    """
    best: tuple[int, Alert, AlertRevision] | None = None
    for alert in alerts:
        query = select(AlertRevision).where(AlertRevision.alert_id == alert.id)
        for revision in session.exec(query.order_by(col(AlertRevision.revision))):
            if event_day is None:
                return alert, revision
            gap = (revision.recorded_at.date() - event_day).days
            if gap >= -EARLY and (best is None or abs(gap) < best[0]):
                best = (abs(gap), alert, revision)
    return (best[1], best[2]) if best else None


def _caught(
    session: Session, row: Row, alert: Alert, revision: AlertRevision, event_day: date | None
) -> None:
    row.status = "caught"
    row.alert_id, row.kind, row.revision = alert.id, alert.kind, revision.revision
    seen = revision.recorded_at.date()
    row.seen_on = seen.isoformat()
    if event_day is not None and (seen - event_day).days > LATE:
        row.days_late = (seen - event_day).days
    if alert.incident_id is not None:
        row.incident_id = alert.incident_id
        others = [m for m in incidents.members(session, alert.incident_id) if m.id != alert.id]
        row.incident_with = [f"{m.source} #{m.id}" for m in others]


def _stale(session: Session, alert: Alert, event: Expected) -> str:
    query = select(AlertRevision).where(AlertRevision.alert_id == alert.id)
    last = session.exec(query.order_by(col(AlertRevision.revision).desc())).first()
    when = f"revision {last.revision} on {last.recorded_at.date()}" if last else "none"
    return (
        f"alert #{alert.id} matches, but nothing was recorded for it near {event.date} "
        f"(its last change: {when})"
    )


def match_one(
    session: Session,
    event: Expected,
    notes: Sequence[PollNote],
    *,
    root: Path,
    registered: Collection[str],
) -> Row:
    """The report row for one expected event."""
    row = Row(event.date, event.agency, event.event, event.source, status="missed")
    if event.source not in registered:
        row.why = f"no registered source {event.source} (not in sources/registry.py)"
        return row
    query = select(Alert).where(Alert.source == event.source).order_by(col(Alert.id))
    needle = event.uid_contains.lower()
    found = [a for a in session.exec(query) if needle in a.uid.lower()]
    right = [a for a in found if event.kind is None or a.kind == event.kind]
    event_day = _day(event.date)
    nearest = _nearest(session, right, event_day)
    if nearest is not None:
        _caught(session, row, *nearest, event_day)
    elif right:
        row.alert_id, row.kind = right[0].id, right[0].kind
        row.why = _stale(session, right[0], event)
    elif found:
        row.alert_id, row.kind = found[0].id, found[0].kind
        row.why = f"alert #{found[0].id} came out as {found[0].kind}, expected {event.kind}"
    else:
        row.why = _why_missed(session, event, notes, root)
    return row


def _order(row: Row) -> tuple[bool, str, str]:
    # Events with an unknown date ("(not found)") go last.
    return (not row.date[:1].isdigit(), row.date, row.source)


def match(
    session: Session,
    expected: Sequence[Expected],
    uncovered: Sequence[Uncovered],
    notes: Sequence[PollNote],
    *,
    root: Path,
    registered: Collection[str],
) -> list[Row]:
    """Report rows for every expected and uncovered event, in date order."""
    rows = [match_one(session, e, notes, root=root, registered=registered) for e in expected]
    rows += [
        Row(u.date, u.agency, u.event, source="-", status="uncovered", why=u.reason)
        for u in uncovered
    ]
    return sorted(rows, key=_order)


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _caught_cell(row: Row) -> str:
    if row.status == "caught":
        revised = f" rev {row.revision}" if row.revision and row.revision > 1 else ""
        late = f" ({row.days_late} days after)" if row.days_late else ""
        return f"yes: #{row.alert_id} {row.kind}{revised}, seen {row.seen_on}{late}"
    return "not covered" if row.status == "uncovered" else "**NO**"


def summary(rows: Sequence[Row]) -> dict[str, int]:
    """Counts by status."""
    counts = {"caught": 0, "missed": 0, "uncovered": 0}
    for row in rows:
        counts[row.status] += 1
    return counts


def to_markdown(rows: Sequence[Row]) -> str:
    """The report as a Markdown table and a one-line summary."""
    lines = [
        "| date | agency | event | source | caught? | in an incident with | missed, why |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        linked = f"#{row.incident_id}: {', '.join(row.incident_with)}" if row.incident_id else ""
        why = row.why if row.status != "caught" else ""
        cells = [row.date, row.agency, row.event, row.source, _caught_cell(row), linked, why]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    counts = summary(rows)
    covered = counts["caught"] + counts["missed"]
    lines.append("")
    lines.append(
        f"{covered} covered events: {counts['caught']} caught, {counts['missed']} missed; "
        f"{counts['uncovered']} events have no source here."
    )
    return "\n".join(lines)


def to_json(rows: Sequence[Row], notes: Sequence[PollNote]) -> str:
    """The report as one JSON document: events, summary counts and every poll."""
    polls = [{**asdict(n), "day": n.day.isoformat()} for n in notes]
    document = {"events": [asdict(r) for r in rows], "summary": summary(rows), "polls": polls}
    return json.dumps(document, ensure_ascii=False, indent=2)
