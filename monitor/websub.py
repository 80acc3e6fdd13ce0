"""WebSub publishing: tell the configured hub when the feeds changed.

Joined to the store by data: ``feed_state.version`` moves with every new or revised
alert, ``hub_version`` records the last version the hub was told about. Any worker may
run ``ping_hub``; a short claim on the row makes one of them ping, and a failed ping is
recorded on the row (``hub_last_error``, ``hub_attempts``) and retried with back-off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Engine, or_, update
from sqlmodel import Session, col

from alerts.models import FeedState

CLAIM = timedelta(seconds=60)
MAX_BACKOFF = timedelta(hours=1)


def topics(base_url: str) -> list[str]:
    """The feed URLs announced to the hub: every unfiltered feed and the calendar."""
    return [f"{base_url}/feeds/alerts.{fmt}" for fmt in ("atom", "rss", "json")] + [
        f"{base_url}/feeds/calendar.ics"
    ]


@dataclass
class PingResult:
    version: int
    ok: bool
    error: str = ""


def _claim(engine: Engine, now: datetime) -> int | None:
    """The version to announce, when one is due and this process won the claim."""
    with Session(engine) as session:
        state = session.get(FeedState, "alerts")
        if state is None or state.version <= state.hub_version:
            return None
        claimed = session.connection().execute(
            update(FeedState)
            .where(
                col(FeedState.key) == "alerts",
                or_(
                    col(FeedState.hub_next_attempt_at).is_(None),
                    col(FeedState.hub_next_attempt_at) <= now,
                ),
            )
            .values(hub_next_attempt_at=now + CLAIM)
        )
        session.commit()
        return state.version if claimed.rowcount == 1 else None


def _post(client: httpx.Client, hub: str, topic: str) -> str:
    """An empty string on success, else what went wrong."""
    try:
        response = client.post(hub, data={"hub.mode": "publish", "hub.url": topic})
    except httpx.HTTPError as exc:
        return f"hub unreachable: {type(exc).__name__}: {str(exc)[:200]}"
    if 200 <= response.status_code < 300:
        return ""
    return f"hub answered {response.status_code} for {topic}: {response.text[:200]}"


def ping_hub(
    engine: Engine, client: httpx.Client, *, hub: str, base_url: str, now: datetime
) -> PingResult | None:
    """Announce a changed store to ``hub``; None when nothing was due (or no hub is set)."""
    if not hub:
        return None
    version = _claim(engine, now)
    if version is None:
        return None
    error = ""
    for topic in topics(base_url):
        error = _post(client, hub, topic)
        if error:
            break
    with Session(engine) as session:
        state = session.get_one(FeedState, "alerts", with_for_update=True)
        if error:
            state.hub_attempts += 1
            delay = min(timedelta(seconds=30 * 2 ** min(state.hub_attempts, 12)), MAX_BACKOFF)
            state.hub_next_attempt_at = now + delay
            state.hub_last_error = error
        else:
            state.hub_version = max(state.hub_version, version)
            state.hub_pinged_at = now
            state.hub_attempts = 0
            state.hub_next_attempt_at = None
            state.hub_last_error = None
        session.add(state)
        session.commit()
    return PingResult(version=version, ok=not error, error=error)
