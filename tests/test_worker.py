"""Scheduling end to end with an injected clock: leases, cadence, backoff, takeover.

Polls run inline (``threads=0``) against a real loopback agency; only the clock is
moved by the test, nothing sleeps.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from alerts.models import Alert, PollRun, SourceState
from monitor import schedule
from monitor.http import make_client
from monitor.poll import PollContext, poll_source
from monitor.worker import Worker
from sources.registry import get
from tests.agency import Agency, Reply
from tests.factories import kratom_item, other_item, rss

RSS = {"Content-Type": "application/rss+xml"}
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EVERY = timedelta(minutes=30)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(user_agent="kratom-monitor/test", timeout=2) as c:
        yield c


def _worker(
    engine: Engine,
    client: httpx.Client,
    clock: Clock,
    urls: dict[str, str],
    owner: str = "w1",
    **ctx: object,
) -> Worker:
    context = PollContext(
        owner=owner, lease_ttl=timedelta(minutes=5), clock=clock, rng=random.Random(4), **ctx
    )  # type: ignore[arg-type]
    worker = Worker(
        engine, [get(k) for k in urls], client=client, urls=urls, ctx=context,
        intervals={k: EVERY for k in urls}, threads=0, clock=clock, rng=random.Random(5),
    )  # fmt: skip
    return worker


def _state(engine: Engine, key: str) -> SourceState:
    with Session(engine) as session:
        return session.get_one(SourceState, key)


def test_only_due_sources_are_polled_and_each_once_per_interval(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    clock = Clock()
    urls = {
        "fda_recalls": agency.serve("/a", Reply(rss(kratom_item(1)), headers=RSS)),
        "fda_medwatch": agency.serve("/b", Reply(rss(other_item(1)), headers=RSS)),
    }
    worker = _worker(engine, client, clock, urls)
    worker.prepare(timedelta(0))
    assert sorted(worker.tick()) == ["fda_medwatch", "fda_recalls"]
    assert worker.tick() == []
    clock.advance(minutes=20)
    assert worker.tick() == []
    clock.advance(minutes=14)  # 34 min: past 30 min + 10% jitter
    assert sorted(worker.tick()) == ["fda_medwatch", "fda_recalls"]
    assert len(agency.requests) == 4
    state = _state(engine, "fda_recalls")
    assert state.lease_owner is None and state.status == "ok"
    assert (
        START + timedelta(minutes=34) + EVERY * 0.9
        <= state.next_poll_at
        <= START + timedelta(minutes=34) + EVERY * 1.1
    )  # type: ignore[operator]


def test_first_polls_after_a_restart_are_spread_out(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    clock = Clock()
    keys = ["fda_recalls", "fda_medwatch", "fda_press_releases", "fda_food_safety_recalls"]
    worker = _worker(engine, client, clock, {k: agency.base + "/" + k for k in keys})
    worker.prepare(timedelta(minutes=10))
    due = sorted(_state(engine, k).next_poll_at for k in keys)  # type: ignore[type-var]
    assert all(START <= d <= START + timedelta(minutes=10) for d in due)  # type: ignore[operator]
    assert len(set(due)) == 4


def test_429_retry_after_is_honoured_before_the_next_poll(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    clock = Clock()
    url = agency.serve(
        "/a",
        Reply(b"busy", status=429, headers={"Retry-After": "900"}),
        Reply(rss(kratom_item(1)), headers=RSS),
    )
    worker = _worker(engine, client, clock, {"fda_recalls": url})
    worker.prepare(timedelta(0))
    worker.tick()
    state = _state(engine, "fda_recalls")
    assert state.status == "degraded" and "429" in (state.last_error or "")
    assert state.next_poll_at == START + timedelta(seconds=900)
    clock.advance(seconds=899)
    assert worker.tick() == []
    clock.advance(seconds=2)
    assert worker.tick() == ["fda_recalls"]
    assert _state(engine, "fda_recalls").status == "ok"


def test_failures_back_off_exponentially(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    clock = Clock()
    url = agency.serve("/a", Reply(b"down", status=500))
    worker = _worker(engine, client, clock, {"fda_recalls": url})
    worker.prepare(timedelta(0))
    gaps = []
    for _ in range(5):
        assert worker.tick() == ["fda_recalls"]
        due = _state(engine, "fda_recalls").next_poll_at
        assert due is not None
        gaps.append((due - clock.now).total_seconds())
        clock.now = due
    assert [round(g / 60) for g in gaps] == [1, 2, 4, 8, 16]
    assert _state(engine, "fda_recalls").status == "failing"


def test_flapping_source_with_changing_content_recovers_and_revises(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    clock = Clock()
    first = rss(
        (
            "Leafline Recalls Kratom Powder",
            "http://www.fda.gov/r/1",
            "Possible Salmonella.",
            "Wed, 12 Mar 2025 09:15:00 EDT",
        )
    )
    corrected = rss(
        (
            "Leafline Recalls Kratom Powder and Capsules",
            "http://www.fda.gov/r/1",
            "Possible Salmonella.",
            "Wed, 12 Mar 2025 09:15:00 EDT",
        )
    )
    url = agency.serve(
        "/a", Reply(first, headers=RSS), Reply(b"", status=502), Reply(corrected, headers=RSS)
    )
    worker = _worker(engine, client, clock, {"fda_recalls": url})
    worker.prepare(timedelta(0))
    statuses = []
    for _ in range(3):
        worker.tick()
        state = _state(engine, "fda_recalls")
        statuses.append(state.status)
        assert state.next_poll_at is not None
        clock.now = state.next_poll_at
    assert statuses == ["ok", "degraded", "ok"]
    with Session(engine) as session:
        alert = session.exec(select(Alert)).one()
    assert alert.revision == 2 and alert.title == "Leafline Recalls Kratom Powder and Capsules"


def test_a_held_lease_keeps_other_workers_off_until_it_expires(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    clock = Clock()
    url = agency.serve("/a", Reply(rss(kratom_item(1)), headers=RSS))
    a = _worker(engine, client, clock, {"fda_recalls": url}, owner="worker-a")
    b = _worker(engine, client, clock, {"fda_recalls": url}, owner="worker-b")
    a.prepare(timedelta(0))
    # Worker A claims the source and then dies before polling it.
    assert schedule.claim_due(
        engine,
        owner="worker-a",
        keys=["fda_recalls"],
        now=clock.now,
        ttl=timedelta(minutes=5),
        limit=1,
    ) == ["fda_recalls"]
    assert b.tick() == []
    clock.advance(minutes=5, seconds=1)
    assert b.tick() == ["fda_recalls"]
    assert len(agency.requests) == 1
    # A late poll by A, whose lease is gone, stores nothing and records no failure.
    late = poll_source(
        get("fda_recalls"),
        engine=engine,
        client=client,
        url=url,
        ctx=PollContext(owner="worker-a", clock=clock),
    )
    assert late.outcome == "lost_lease"
    with Session(engine) as session:
        assert len(session.exec(select(Alert)).all()) == 1
        assert session.get_one(SourceState, "fda_recalls").consecutive_failures == 0
        assert [r.outcome for r in session.exec(select(PollRun))] == ["ok"]


def test_racing_claims_give_each_due_source_to_exactly_one_worker(engine: Engine) -> None:
    keys = [f"src{i:02d}" for i in range(20)]
    schedule.ensure_states(
        engine, {k: EVERY for k in keys}, now=START, spread=timedelta(0), rng=random.Random(1)
    )
    won: dict[str, list[str]] = {}
    barrier = threading.Barrier(6)

    def claim(owner: str) -> None:
        barrier.wait()
        won[owner] = schedule.claim_due(
            engine, owner=owner, keys=keys, now=START, ttl=EVERY, limit=20
        )

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    claimed = [key for keys_won in won.values() for key in keys_won]
    assert sorted(claimed) == keys
    with Session(engine) as session:
        owners = {s.key: s.lease_owner for s in session.exec(select(SourceState))}
    assert all(owners[k] in won and k in won[owners[k] or ""] for k in keys)


def test_stopping_a_worker_releases_its_leases(engine: Engine) -> None:
    schedule.ensure_states(
        engine, {"fda_recalls": EVERY}, now=START, spread=timedelta(0), rng=random.Random(1)
    )
    schedule.claim_due(engine, owner="w1", keys=["fda_recalls"], now=START, ttl=EVERY, limit=1)
    assert schedule.release_all(engine, owner="w1") == 1
    assert _state(engine, "fda_recalls").lease_owner is None
    assert schedule.claim_due(
        engine, owner="w2", keys=["fda_recalls"], now=START, ttl=EVERY, limit=1
    ) == ["fda_recalls"]


def test_cache_control_max_age_postpones_the_next_poll_of_a_source(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    clock = Clock()
    url = agency.serve(
        "/a", Reply(rss(kratom_item(1)), headers={**RSS, "Cache-Control": "max-age=7200"})
    )
    worker = _worker(engine, client, clock, {"fda_recalls": url})
    worker.prepare(timedelta(0))
    worker.tick()
    assert _state(engine, "fda_recalls").next_poll_at == START + timedelta(hours=2)


def test_an_unchanged_poll_after_losing_the_lease_records_nothing(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    clock = Clock()
    url = agency.serve(
        "/a", Reply(rss(kratom_item(1)), headers={**RSS, "ETag": '"v1"'}), Reply(status=304)
    )
    worker = _worker(engine, client, clock, {"fda_recalls": url}, owner="worker-a")
    worker.prepare(timedelta(0))
    assert worker.tick() == ["fda_recalls"]  # the first poll stores the item, status ok
    clock.advance(hours=1)
    ttl = timedelta(minutes=5)
    assert schedule.claim_due(
        engine, owner="worker-a", keys=["fda_recalls"], now=clock.now, ttl=ttl, limit=1
    )
    clock.advance(minutes=6)  # worker A stalls; B takes over
    assert schedule.claim_due(
        engine, owner="worker-b", keys=["fda_recalls"], now=clock.now, ttl=ttl, limit=1
    )
    late = poll_source(
        get("fda_recalls"),
        engine=engine,
        client=client,
        url=url,
        ctx=PollContext(owner="worker-a", clock=clock),
    )
    assert late.outcome == "lost_lease"
    with Session(engine) as session:
        assert session.get_one(SourceState, "fda_recalls").lease_owner == "worker-b"
        assert [r.outcome for r in session.exec(select(PollRun))] == ["ok"]


def test_an_unchanged_poll_of_a_healthy_source_takes_the_quiet_path(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    clock = Clock()
    url = agency.serve(
        "/a", Reply(rss(kratom_item(1)), headers={**RSS, "ETag": '"v1"'}), Reply(status=304)
    )
    worker = _worker(engine, client, clock, {"fda_recalls": url})
    worker.prepare(timedelta(0))
    worker.tick()
    first = _state(engine, "fda_recalls")
    assert first.next_poll_at is not None
    clock.now = first.next_poll_at
    worker.tick()
    state = _state(engine, "fda_recalls")
    assert (state.status, state.lease_owner, state.etag) == ("ok", None, '"v1"')
    assert state.last_success_at == first.next_poll_at and state.next_poll_at > clock.now  # type: ignore[operator]
    with Session(engine) as session:
        assert [r.outcome for r in session.exec(select(PollRun).order_by(PollRun.started_at))] == [
            "ok",
            "not_modified",
        ]
