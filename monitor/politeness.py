"""Per-host politeness: concurrency, spacing between requests, and daily quotas.

Limits come from what agencies publish: openFDA allows 240 requests a minute and 1,000
a day without a key; the Federal Register asks for at most 5 a second. fda.gov's bot
protection dislikes bursts, so it gets one request at a time. Limits apply within one
process; with several workers each keeps its own, and the cadences are far below them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit


class QuotaExhaustedError(RuntimeError):
    """The host's daily quota is spent; ``retry_after`` is seconds to the next UTC day."""

    def __init__(self, host: str, retry_after: float) -> None:
        super().__init__(f"daily request quota for {host} reached; resumes at 00:00 UTC")
        self.retry_after = retry_after


@dataclass(frozen=True)
class HostLimit:
    concurrency: int = 2
    min_interval: float = 0.0  # seconds between request starts
    daily_quota: int | None = None


KNOWN_HOSTS: dict[str, HostLimit] = {
    "api.fda.gov": HostLimit(concurrency=2, min_interval=0.25, daily_quota=1000),
    "www.federalregister.gov": HostLimit(concurrency=2, min_interval=0.2),
    "www.fda.gov": HostLimit(concurrency=1, min_interval=1.0),
    "recalls-rappels.canada.ca": HostLimit(concurrency=1, min_interval=1.0),
}


@dataclass
class _HostState:
    slots: threading.Semaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_start: float = 0.0
    day: str = ""
    used_today: int = 0


class HostGate:
    """Hands out request slots per host, honouring each host's limits."""

    def __init__(
        self,
        limits: dict[str, HostLimit] | None = None,
        default: HostLimit | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.limits = dict(KNOWN_HOSTS if limits is None else limits)
        self.default = default or HostLimit()
        self._hosts: dict[str, _HostState] = {}
        self._lock = threading.Lock()
        self._monotonic, self._sleep, self._clock = monotonic, sleep, clock

    def limit_for(self, host: str) -> HostLimit:
        return self.limits.get(host, self.default)

    def _state(self, host: str) -> _HostState:
        with self._lock:
            if host not in self._hosts:
                self._hosts[host] = _HostState(
                    threading.Semaphore(self.limit_for(host).concurrency)
                )
            return self._hosts[host]

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        """Hold one of the host's request slots for the duration of a request."""
        host = (urlsplit(url).hostname or "").lower()
        limit, state = self.limit_for(host), self._state(host)
        with state.slots:
            with state.lock:
                now = self._clock()
                if limit.daily_quota is not None:
                    today = now.date().isoformat()
                    if state.day != today:
                        state.day, state.used_today = today, 0
                    if state.used_today >= limit.daily_quota:
                        midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(
                            days=1
                        )
                        raise QuotaExhaustedError(host, (midnight - now).total_seconds())
                    state.used_today += 1
                wait = state.next_start - self._monotonic()
                if wait > 0:
                    self._sleep(wait)
                state.next_start = self._monotonic() + limit.min_interval
            yield
