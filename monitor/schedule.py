"""When sources are due, and which worker polls them.

Timing decisions are pure functions of ``now`` (tests pass a fixed clock). Claims are
leases on the source's row, taken with a compare-and-set UPDATE: on PostgreSQL two
workers racing for the same row serialize on it, and the loser's UPDATE matches no
row, so each due poll runs on exactly one worker. A killed worker's lease expires
and the next claim takes the source over.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, update
from sqlmodel import Session, col, select

from alerts.models import SourceState

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
JITTER = 0.1  # +/- share of the interval, so sources drift apart instead of bunching
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*(\d+)", re.I)


def first_poll_at(
    now: datetime, interval: timedelta, spread: timedelta, rng: random.Random
) -> datetime:
    """A first poll within the next ``spread`` (or interval): a restart does not stampede."""
    window = min(interval, spread)
    return now + timedelta(seconds=rng.uniform(0, window.total_seconds()))


def next_after_success(
    now: datetime, interval: timedelta, rng: random.Random, max_age: int | None = None
) -> datetime:
    """The next poll after a success: the interval with jitter, never before ``max-age``."""
    jittered = interval.total_seconds() * (1 + rng.uniform(-JITTER, JITTER))
    due = now + timedelta(seconds=jittered)
    if max_age is not None:
        due = max(due, now + timedelta(seconds=max_age))
    return due


def backoff_delay(
    failures: int, interval: timedelta, rng: random.Random, retry_after: float | None = None
) -> timedelta:
    """Exponential backoff after ``failures`` consecutive failures, honouring Retry-After.

    Starts at a minute (or the interval, if shorter), doubles per failure, stops at the
    larger of six hours and the interval, and never undercuts the server's Retry-After.
    """
    base = min(BACKOFF_BASE, interval)
    cap = max(BACKOFF_CAP, interval)
    delay = min(base * int(2 ** max(failures - 1, 0)), cap)
    delay = delay * (1 + rng.uniform(0, JITTER))
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def cache_max_age(headers: Mapping[str, str]) -> int | None:
    """Seconds from ``Cache-Control: max-age`` (or ``s-maxage``); None without one."""
    value = headers.get("cache-control", "")
    if "no-store" in value.lower():
        return None
    match = _MAX_AGE.search(value)
    return int(match.group(1)) if match else None


def ensure_states(
    engine: Engine,
    intervals: Mapping[str, timedelta],
    *,
    now: datetime,
    spread: timedelta,
    rng: random.Random,
) -> None:
    """Give every enabled source a row and a first due time, spread out."""
    with Session(engine) as session:
        known = {s.key: s for s in session.exec(select(SourceState))}
        for key, interval in intervals.items():
            state = known.get(key)
            if state is None:
                state = SourceState(key=key)
            if state.next_poll_at is None:
                state.next_poll_at = first_poll_at(now, interval, spread, rng)
                session.add(state)
        try:
            session.commit()
        except Exception:  # another worker inserted the same rows first: theirs stand
            session.rollback()


def claim_due(
    engine: Engine,
    *,
    owner: str,
    keys: Iterable[str],
    now: datetime,
    ttl: timedelta,
    limit: int,
) -> list[str]:
    """Lease up to ``limit`` due sources to ``owner`` in one statement; returns the keys won.

    The UPDATE repeats the due-and-free test, so of two workers racing for a row only
    one matches it (PostgreSQL re-checks the condition once the first commits); on
    PostgreSQL the candidates are also picked with ``FOR UPDATE SKIP LOCKED`` so
    workers do not queue behind each other's rows.
    """
    if limit <= 0:
        return []
    free = or_(col(SourceState.lease_expires_at).is_(None), col(SourceState.lease_expires_at) < now)
    due = (col(SourceState.key).in_(list(keys)), col(SourceState.next_poll_at) <= now, free)
    with Session(engine) as session:
        pick = (
            select(SourceState.key).where(*due).order_by(col(SourceState.next_poll_at)).limit(limit)
        )
        if engine.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        candidates = list(session.exec(pick).all())
        if not candidates:
            session.rollback()
            return []
        result = session.connection().execute(
            update(SourceState)
            .where(col(SourceState.key).in_(candidates), *due)
            .values(lease_owner=owner, lease_expires_at=now + ttl)
            .returning(col(SourceState.key))
        )
        won = [str(row[0]) for row in result]
        session.commit()
    return won


def renew(engine: Engine, *, key: str, owner: str, until: datetime) -> bool:
    """Extend our lease (between pages of a long poll); False if it is no longer ours."""
    with Session(engine) as session:
        result = session.connection().execute(
            update(SourceState)
            .where(col(SourceState.key) == key, col(SourceState.lease_owner) == owner)
            .values(lease_expires_at=until)
        )
        session.commit()
        return bool(result.rowcount == 1)


def release_all(engine: Engine, *, owner: str, keys: Sequence[str] | None = None) -> int:
    """Drop this worker's leases (on shutdown); returns how many were held."""
    with Session(engine) as session:
        query = update(SourceState).where(col(SourceState.lease_owner) == owner)
        if keys is not None:
            query = query.where(col(SourceState.key).in_(list(keys)))
        result = session.connection().execute(query.values(lease_owner=None, lease_expires_at=None))
        session.commit()
        return int(result.rowcount or 0)
