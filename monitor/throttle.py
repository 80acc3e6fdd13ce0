"""Sending pace: an overall rate per sender process and a per-recipient-domain limit.

The overall rate waits (it only spaces sends out); a busy domain is reported back so
the sender can postpone that delivery and go on with others, instead of stalling the
whole queue behind one large mailbox provider.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class Throttle:
    def __init__(
        self,
        *,
        per_second: float,
        per_domain_per_minute: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.domain_limit = int(per_domain_per_minute) if per_domain_per_minute > 0 else 0
        self._monotonic, self._sleep = monotonic, sleep
        self._next = 0.0
        self._sent: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def domain_wait(self, domain: str) -> float:
        """Seconds until ``domain`` may take another message (0: now); records the send."""
        if not self.domain_limit:
            return 0.0
        with self._lock:
            now = self._monotonic()
            sent = self._sent.setdefault(domain.lower(), deque())
            while sent and now - sent[0] >= 60:
                sent.popleft()
            if len(sent) >= self.domain_limit:
                return 60 - (now - sent[0])
            sent.append(now)
            return 0.0

    def pace(self) -> None:
        """Wait for this process's next sending slot."""
        if not self.interval:
            return
        with self._lock:
            now = self._monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self.interval
        if wait > 0:
            self._sleep(wait)
