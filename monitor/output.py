"""Plain-text tables and lines for the command line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.models import Alert, SourceState
from monitor.poll import PollOutcome
from sources.base import Source


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Left-aligned columns sized to their content."""
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _short(text: str | None, width: int) -> str:
    text = text or ""
    return text if len(text) <= width else text[: width - 1] + "…"


def _until(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    seconds = int((moment - datetime.now(UTC)).total_seconds())
    if seconds <= 0:
        return "due"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"in {seconds // size}{unit}"
    return f"in {seconds}s"


def _ago(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    seconds = int((datetime.now(UTC) - moment).total_seconds())
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{max(seconds, 0)}s ago"


def outcome_line(outcome: PollOutcome) -> str:
    if outcome.outcome == "error":
        return f"{outcome.source}: ERROR {outcome.error}"
    if outcome.outcome == "not_modified":
        return f"{outcome.source}: not modified ({outcome.duration_ms} ms)"
    return (
        f"{outcome.source}: {outcome.new} new, {outcome.revised} revised, "
        f"{outcome.unchanged} unchanged ({outcome.duration_ms} ms)"
    )


def outcome_table(outcomes: Sequence[PollOutcome]) -> str:
    rows = [
        (o.source, o.outcome, o.new, o.revised, o.unchanged, _short(o.error or "", 70))
        for o in outcomes
    ]
    return table(("SOURCE", "OUTCOME", "NEW", "REVISED", "UNCHANGED", "ERROR"), rows)


def source_dict(
    source: Source, state: SourceState | None, url: str, interval: timedelta
) -> dict[str, Any]:
    return {
        "key": source.key,
        "title": source.title,
        "agency": source.agency,
        "covers": source.covers,
        "needs_key": source.needs_key,
        "url": url,
        "every_seconds": int(interval.total_seconds()),
        "status": state.status if state else "never",
        "last_success_at": state.last_success_at.isoformat()
        if state and state.last_success_at
        else None,
        "last_error": state.last_error if state else None,
        "last_error_at": state.last_error_at.isoformat() if state and state.last_error_at else None,
        "consecutive_failures": state.consecutive_failures if state else 0,
        "next_poll_at": state.next_poll_at.isoformat() if state and state.next_poll_at else None,
        "lease_owner": state.lease_owner if state else None,
        "items_seen": state.items_seen if state else 0,
    }


def _every(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


def source_status(source: Source, state: SourceState | None, keys: Mapping[str, str]) -> str:
    """The status to show: ``needs_config`` for a source whose API key is not set."""
    if source.needs_key and not keys.get(source.needs_key):
        return "needs_config"
    return state.status if state else "never"


def _key(source: Source, keys: Mapping[str, str]) -> str:
    if not source.needs_key:
        return "-"
    return f"{source.needs_key} {'set' if keys.get(source.needs_key) else 'NOT SET'}"


def sources_table(
    rows: Sequence[tuple[Source, SourceState | None, str, timedelta]],
    keys: Mapping[str, str] | None = None,
) -> str:
    """The source catalog with health: one row per source."""
    body = []
    for source, state, _url, interval in rows:
        body.append(
            (
                source.key,
                source.agency,
                source_status(source, state, keys or {}),
                _every(interval),
                _key(source, keys or {}),
                _ago(state.last_success_at if state else None),
                _until(state.next_poll_at if state else None),
                state.consecutive_failures if state else 0,
                state.items_seen if state else 0,
                _short(state.last_error if state else "", 60),
            )
        )
    headers = (
        "SOURCE",
        "AGENCY",
        "STATUS",
        "EVERY",
        "API KEY",
        "LAST SUCCESS",
        "NEXT POLL",
        "FAILS",
        "ITEMS",
        "LAST ERROR",
    )
    return table(headers, body)


def catalog(sources: Sequence[Source]) -> str:
    """What each source covers, one block per source (the table has no room for it)."""
    lines = ["WHAT EACH SOURCE COVERS"]
    for source in sources:
        lines.append(f"  {source.key} ({source.title}): {source.covers or source.title}")
    return "\n".join(lines)


def alerts_table(alerts: Sequence[Alert]) -> str:
    rows = []
    for alert in alerts:
        marks = (f" [rev {alert.revision}]" if alert.revision > 1 else "") + (
            f" [incident {alert.incident_id}]" if alert.incident_id else ""
        )
        rows.append(
            (
                alert.published_at.date().isoformat() if alert.published_at else "-",
                alert.severity,
                alert.kind,
                alert.jurisdiction,
                alert.source,
                _short(alert.title, 80) + marks,
            )
        )
    return table(("PUBLISHED", "SEVERITY", "KIND", "WHERE", "SOURCE", "TITLE"), rows)
