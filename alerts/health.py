"""Source health, judged from a source's own record: ok, degraded, failing, stale.

- ``degraded``: the last poll failed, fewer than ``FAILING_AFTER`` times in a row.
- ``failing``: ``FAILING_AFTER`` or more consecutive failures.
- ``stale``: polls succeed but the agency's response has not changed for longer than
  this source's usual gap between changes allows (with a floor, so a source that
  changes every few minutes is not called stale after a quiet hour).
- ``ok``: otherwise. ``never`` before the first poll.

Pure functions: the caller passes ``now``.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

FAILING_AFTER = 3
GAP_HISTORY = 20  # change gaps remembered per source
MIN_GAPS = 3  # gaps needed before history, rather than the floor alone, sets the limit
STALE_FACTOR = 3.0  # silent for this many times the usual (90th percentile) gap


def record_change(gaps: list[int], last_changed_at: datetime | None, now: datetime) -> list[int]:
    """The gap history after the response changed at ``now``."""
    if last_changed_at is None:
        return list(gaps)
    gap = int((now - last_changed_at).total_seconds())
    return [*gaps, max(gap, 0)][-GAP_HISTORY:]


def stale_after(gaps: list[int], floor: timedelta) -> timedelta:
    """How long a source may stay unchanged before it counts as stale."""
    if len(gaps) < MIN_GAPS:
        return floor
    ordered = sorted(gaps)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    usual = max(p90, statistics.median(ordered))
    return max(floor, timedelta(seconds=STALE_FACTOR * usual))


def status_for(
    *,
    consecutive_failures: int,
    last_changed_at: datetime | None,
    gaps: list[int],
    floor: timedelta,
    now: datetime,
) -> str:
    """The health status of a source after its latest poll."""
    if consecutive_failures >= FAILING_AFTER:
        return "failing"
    if consecutive_failures > 0:
        return "degraded"
    if last_changed_at is not None and now - last_changed_at > stale_after(gaps, floor):
        return "stale"
    return "ok"


def alarm_change(alarm_open: bool, status: str) -> str | None:
    """``"open"`` when an alarm mail is due, ``"close"`` for a recovery mail, else None.

    One mail when a source turns failing or stale, one when it is ok again; nothing
    for each further poll in the same state, nothing for a merely degraded source.
    """
    if not alarm_open and status in ("failing", "stale"):
        return "open"
    if alarm_open and status == "ok":
        return "close"
    return None
