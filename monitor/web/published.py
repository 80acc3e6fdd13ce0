"""What a web process knows about the published alert store: its version, re-read rarely.

Every new or revised alert moves ``feed_state.version`` (``alerts.store.mark_changed``).
A web process reads that one row at most once per ``check_seconds`` and keys its caches
and ETags on it, so a warm feed costs no query and a change shows within that interval.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from alerts import store

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Version:
    """The store's version and when it last changed (Last-Modified of every feed)."""

    number: int
    changed_at: datetime


class Published:
    """The current ``Version``, cached for ``check_seconds`` (0: read every time)."""

    def __init__(
        self,
        engine: Engine,
        *,
        check_seconds: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._check = check_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._known: Version | None = None
        self._read_at = 0.0

    def current(self) -> Version:
        """The version, from memory when read less than ``check_seconds`` ago."""
        now = self._monotonic()
        with self._lock:
            if self._known is not None and now - self._read_at < self._check:
                return self._known
        with Session(self._engine) as session:
            number, changed_at = store.feed_version(session)
        known = Version(number, changed_at or _EPOCH)
        with self._lock:
            self._known, self._read_at = known, now
        return known

    async def fresh(self) -> Version:
        """``current()`` for request handlers: no thread hop while the memory is fresh."""
        known = self.cached()
        if known is not None:
            return known
        return await run_in_threadpool(self.current)

    def cached(self) -> Version | None:
        """The version without touching the database, if still fresh; else None."""
        with self._lock:
            if self._known is not None and self._monotonic() - self._read_at < self._check:
                return self._known
        return None
