"""A per-client token bucket for the public API, and the ASGI middleware that applies it.

Each client address (``scope["client"]``, which uvicorn's proxy-header handling
decides) has a bucket of ``burst`` tokens that refills at ``per_minute`` tokens a
minute; a request takes one. An empty bucket means 429 with ``Retry-After``. Every
answer carries ``RateLimit-Limit`` and ``RateLimit-Remaining``.

Memory stays bounded: a bucket left alone long enough to refill is the same as no
bucket, so it is dropped, and at most ``max_clients`` buckets are kept at all.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class Decision:
    """One request's fate: allowed or not, and what to tell the client."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # whole seconds until a token is back; 0 when allowed

    def headers(self) -> dict[str, str]:
        found = {"RateLimit-Limit": str(self.limit), "RateLimit-Remaining": str(self.remaining)}
        if not self.allowed:
            found["Retry-After"] = str(self.retry_after)
        return found


class TokenBuckets:
    """Token buckets by client key; thread-safe. ``per_minute=0`` means unlimited."""

    def __init__(
        self,
        *,
        per_minute: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        self.capacity = max(int(burst), 1)
        self._rate = per_minute / 60.0  # tokens per second
        self._clock = clock
        self._max = max_clients
        self._lock = threading.Lock()
        # key -> (tokens, last update), least recently updated first
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    @property
    def unlimited(self) -> bool:
        return self._rate <= 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._buckets)

    def take(self, key: str) -> Decision:
        """Take one token from ``key``'s bucket if it has one."""
        if self.unlimited:
            return Decision(True, self.capacity, self.capacity, 0)
        with self._lock:
            now = self._clock()
            tokens, then = self._buckets.pop(key, (float(self.capacity), now))
            tokens = min(float(self.capacity), tokens + max(now - then, 0.0) * self._rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)
            self._prune(now)
        if allowed:
            return Decision(True, self.capacity, int(tokens), 0)
        wait = max(1, math.ceil((1.0 - tokens) / self._rate))
        return Decision(False, self.capacity, 0, wait)

    def _prune(self, now: float) -> None:
        # Buckets sit in order of last use, so every bucket idle long enough to be full
        # again is at the front.
        refill = self.capacity / self._rate
        while self._buckets:
            key, (_, then) = next(iter(self._buckets.items()))
            if now - then < refill and len(self._buckets) <= self._max:
                break
            del self._buckets[key]


class RateLimitMiddleware:
    """Refuse over-limit clients with ``refuse(decision)``; add the headers to every answer."""

    def __init__(
        self, app: ASGIApp, *, buckets: TokenBuckets, refuse: Callable[[Decision], Response]
    ) -> None:
        self.app = app
        self.buckets = buckets
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.buckets.unlimited:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        decision = self.buckets.take(client[0] if client else "unknown")
        if not decision.allowed:
            response = self.refuse(decision)
            response.headers.update(decision.headers())
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(decision.headers())
            await send(message)

        await self.app(scope, receive, send_with_headers)
