"""A polling worker: claims due sources and polls them on a small thread pool."""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine

from monitor import schedule
from monitor.poll import PollContext, PollOutcome, poll_source
from sources.base import Source

log = logging.getLogger("monitor.worker")


def worker_id() -> str:
    """A name for this process in leases: host, pid and a random tail."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    """Claims due sources (leases) and runs their polls, at most ``threads`` at once.

    With ``threads=0`` polls run inline in ``tick`` (for tests with an injected clock).
    """

    def __init__(
        self,
        engine: Engine,
        sources: list[Source],
        *,
        client: httpx.Client,
        urls: dict[str, str],
        ctx: PollContext,
        intervals: dict[str, timedelta],
        threads: int = 4,
        evidence_keep_bytes: int = 2 * 1024 * 1024,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
    ) -> None:
        self.engine = engine
        self.sources = {s.key: s for s in sources}
        self.client, self.urls, self.intervals = client, urls, intervals
        self.ctx = ctx
        self.owner = ctx.owner or worker_id()
        self.threads = threads
        self.keep = evidence_keep_bytes
        self.clock = clock
        self.rng = rng or random.Random()
        self._executor = ThreadPoolExecutor(threads, "poll") if threads > 0 else None
        self._running: set[str] = set()
        self._lock = threading.Lock()
        self.accepting = True
        self.outcomes: list[PollOutcome] = []

    def prepare(self, spread: timedelta) -> None:
        """Give every source a first due time, spread over ``spread``."""
        schedule.ensure_states(
            self.engine, self.intervals, now=self.clock(), spread=spread, rng=self.rng
        )

    def tick(self) -> list[str]:
        """Claim what is due (up to free threads) and start polling it; returns keys claimed."""
        if not self.accepting:
            return []
        with self._lock:
            free = self.threads - len(self._running) if self.threads else len(self.sources)
        keys = schedule.claim_due(
            self.engine, owner=self.owner, keys=list(self.sources), now=self.clock(),
            ttl=self.ctx.lease_ttl, limit=free,
        )  # fmt: skip
        for key in keys:
            with self._lock:
                self._running.add(key)
            if self._executor is None:
                self._poll(key)
            else:
                future: Future[None] = self._executor.submit(self._poll, key)
                future.add_done_callback(lambda f: f.exception())
        return keys

    def _poll(self, key: str) -> None:
        try:
            source = self.sources[key]
            ctx = replace(self.ctx, owner=self.owner, interval=self.intervals.get(key))
            outcome = poll_source(
                source, engine=self.engine, client=self.client, url=self.urls.get(key),
                evidence_keep_bytes=self.keep, ctx=ctx,
            )  # fmt: skip
            with self._lock:
                self.outcomes = [*self.outcomes[-99:], outcome]
        except Exception:  # a poll never takes the worker down
            log.exception("poll task crashed", extra={"source": key})
        finally:
            with self._lock:
                self._running.discard(key)

    def running(self) -> set[str]:
        with self._lock:
            return set(self._running)

    def stop(self) -> int:
        """Take no more work, let in-flight polls finish, release leases; returns leases freed."""
        self.accepting = False
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        return schedule.release_all(self.engine, owner=self.owner)
