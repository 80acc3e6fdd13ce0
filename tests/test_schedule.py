"""Timing decisions, health judgement and politeness, with an injected clock (no sleeps)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from alerts import health
from monitor import schedule
from monitor.politeness import HostGate, HostLimit, QuotaExhaustedError

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_first_polls_spread_over_the_window_instead_of_stampeding() -> None:
    rng = random.Random(7)
    times = [schedule.first_poll_at(NOW, HOUR, timedelta(seconds=60), rng) for _ in range(200)]
    offsets = sorted((t - NOW).total_seconds() for t in times)
    assert offsets[0] >= 0 and offsets[-1] <= 60
    assert len({int(o // 10) for o in offsets}) == 6  # every 10 s slice of the minute is used


def test_next_poll_is_the_interval_with_bounded_jitter() -> None:
    rng = random.Random(1)
    gaps = [(schedule.next_after_success(NOW, HOUR, rng) - NOW).total_seconds() for _ in range(200)]
    assert min(gaps) >= 3600 * 0.9 and max(gaps) <= 3600 * 1.1
    assert max(gaps) - min(gaps) > 300  # jitter really varies


def test_cache_control_max_age_postpones_the_next_poll() -> None:
    due = schedule.next_after_success(NOW, timedelta(minutes=5), random.Random(1), max_age=7200)
    assert due == NOW + timedelta(seconds=7200)
    assert schedule.cache_max_age({"cache-control": "public, max-age=600"}) == 600
    assert schedule.cache_max_age({"cache-control": "s-maxage=60"}) == 60
    assert schedule.cache_max_age({"cache-control": "no-store, max-age=600"}) is None
    assert schedule.cache_max_age({}) is None


def test_backoff_doubles_per_failure_and_stops_at_the_cap() -> None:
    rng = random.Random(3)
    delays = [schedule.backoff_delay(n, HOUR, rng).total_seconds() for n in range(1, 12)]
    for n, delay in enumerate(delays[:6], start=1):
        assert 60 * 2 ** (n - 1) <= delay <= 60 * 2 ** (n - 1) * 1.1
    assert max(delays) <= 6 * 3600 * 1.1 and delays[-1] >= 6 * 3600


def test_backoff_honours_retry_after() -> None:
    delay = schedule.backoff_delay(1, HOUR, random.Random(1), retry_after=900)
    assert delay == timedelta(seconds=900)


def test_failures_make_a_source_degraded_then_failing() -> None:
    def status(failures: int) -> str:
        return health.status_for(
            consecutive_failures=failures, last_changed_at=NOW, gaps=[], floor=HOUR, now=NOW
        )

    assert [status(n) for n in range(5)] == ["ok", "degraded", "degraded", "failing", "failing"]


def test_staleness_is_judged_from_the_sources_own_change_history() -> None:
    daily = [86400] * 10
    floor = timedelta(hours=6)
    quiet = timedelta(days=2)
    assert health.stale_after(daily, floor) == timedelta(days=3)
    assert (
        health.status_for(
            consecutive_failures=0, last_changed_at=NOW - quiet, gaps=daily, floor=floor, now=NOW
        )
        == "ok"
    )
    assert (
        health.status_for(
            consecutive_failures=0,
            last_changed_at=NOW - timedelta(days=4),
            gaps=daily,
            floor=floor,
            now=NOW,
        )
        == "stale"
    )
    # A source that changes every few minutes still gets the floor.
    assert health.stale_after([300] * 10, floor) == floor
    # Without enough history only the floor applies.
    assert health.stale_after([86400 * 30], floor) == floor


def test_gap_history_is_bounded() -> None:
    gaps: list[int] = []
    last = NOW
    for step in range(1, 40):
        moment = NOW + timedelta(minutes=step)
        gaps = health.record_change(gaps, last, moment)
        last = moment
    assert len(gaps) == health.GAP_HISTORY and set(gaps) == {60}


@pytest.mark.parametrize(
    ("alarm_open", "status", "change"),
    [
        (False, "failing", "open"), (False, "stale", "open"), (False, "degraded", None),
        (True, "failing", None), (True, "stale", None), (True, "degraded", None),
        (True, "ok", "close"), (False, "ok", None),
    ],
)  # fmt: skip
def test_one_alarm_when_failing_or_stale_and_one_on_recovery(
    alarm_open: bool, status: str, change: str | None
) -> None:
    assert health.alarm_change(alarm_open, status) == change


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def test_host_gate_spaces_requests_to_one_host() -> None:
    fake = FakeTime()
    gate = HostGate(
        {"api.fda.gov": HostLimit(min_interval=0.25)}, monotonic=fake.monotonic, sleep=fake.sleep
    )
    for _ in range(3):
        with gate.slot("https://api.fda.gov/food/enforcement.json"):
            pass
    with gate.slot("https://www.federalregister.gov/api"):
        pass
    assert fake.slept == [0.25, 0.25]


def test_host_gate_enforces_the_daily_quota_until_midnight_utc() -> None:
    fake = FakeTime()
    clock = [datetime(2026, 3, 1, 18, 0, tzinfo=UTC)]
    gate = HostGate(
        {"api.fda.gov": HostLimit(daily_quota=2)}, monotonic=fake.monotonic, sleep=fake.sleep,
        clock=lambda: clock[0],
    )  # fmt: skip
    for _ in range(2):
        with gate.slot("https://api.fda.gov/x"):
            pass
    with pytest.raises(QuotaExhaustedError) as refused, gate.slot("https://api.fda.gov/x"):
        pass
    assert refused.value.retry_after == 6 * 3600
    clock[0] = datetime(2026, 3, 2, 0, 1, tzinfo=UTC)
    with gate.slot("https://api.fda.gov/x"):
        pass


def test_host_gate_limits_concurrency_per_host() -> None:
    import threading

    gate = HostGate({}, default=HostLimit(concurrency=2))
    inside, peak, lock = [0], [0], threading.Lock()
    release = threading.Event()

    def request() -> None:
        with gate.slot("http://127.0.0.1:9/feed"):
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            release.wait(2)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=request) for _ in range(5)]
    for thread in threads:
        thread.start()
    threading.Event().wait(0.3)
    with lock:
        assert inside[0] == 2
    release.set()
    for thread in threads:
        thread.join(5)
    assert peak[0] == 2
