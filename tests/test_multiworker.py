"""Three worker processes on one PostgreSQL: each due poll runs once, and a killed
worker's source is taken over when its lease lapses."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func
from sqlmodel import Session, select

from alerts.models import Alert, PollRun, SourceState
from tests.agency import Agency, Reply
from tests.factories import kratom_item, rss
from tests.processes import SCRIPT, Monitor

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not SCRIPT.exists(), reason="console script not installed (pip install -e .)"
    ),
]
RSS = {"Content-Type": "application/rss+xml"}
KEYS = {"fda_recalls": "/a", "fda_press_releases": "/b", "fda_medwatch": "/c"}
EVERY = 2.0
LEASE = 4


@pytest.fixture
def workers(postgres_url: str, agency: Agency, tmp_path: Path) -> Iterator[list[Monitor]]:
    for key, path in KEYS.items():
        # Fresh bytes on every request, so each poll parses and stores.
        agency.serve(path, Reply(rss(kratom_item(1, firm=f"Firm {key}")), headers=RSS))
    env = {
        "KM_DATA_DIR": str(tmp_path),
        "KM_DATABASE_URL": postgres_url,
        "KM_SOURCES": ",".join(KEYS),
        "KM_WORKER_THREADS": "2",
        "KM_LEASE_SECONDS": str(LEASE),
        "KM_FIRST_POLL_SPREAD_SECONDS": "1",
        "KM_HTTP_TIMEOUT": "20",
        "KM_SECRET": "a-test-secret-of-enough-length",
    }
    for key, path in KEYS.items():
        env[f"KM_SOURCE_{key.upper()}_URL"] = agency.base + path
        env[f"KM_SOURCE_{key.upper()}_EVERY"] = str(EVERY)
    started = [Monitor(["run", "--role", "worker"], env) for _ in range(3)]
    yield started
    for monitor in started:
        monitor.kill()


def _until_running(workers: list[Monitor], timeout: float = 60) -> None:
    """Wait until every worker has started (a loaded machine can take seconds to import)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(any("running role=worker" in line for line in w.stderr) for w in workers):
            return
        time.sleep(0.1)
    raise AssertionError("workers did not start: " + "".join(workers[0].stderr)[-2000:])


def _requests(agency: Agency, path: str, since: float = 0.0) -> list[tuple[float, float | None]]:
    return [
        (r.started, r.finished) for r in agency.requests if r.path == path and r.started >= since
    ]


def test_three_workers_poll_each_source_once_per_interval_and_take_over_a_killed_one(
    workers: list[Monitor], agency: Agency, postgres_url: str
) -> None:
    window = 12.0
    _until_running(workers)
    time.sleep(2.0)  # the workers spread their first polls
    start = time.monotonic()
    time.sleep(window)
    for path in KEYS.values():
        seen = _requests(agency, path, since=start)
        seen = [r for r in seen if r[0] < start + window]
        # One poll per interval (with jitter), not one per worker.
        assert window / (EVERY * 1.1) - 2 <= len(seen) <= window / (EVERY * 0.9) + 1, (
            path,
            len(seen),
        )
        ordered = sorted(_requests(agency, path))
        for (_, end), (next_start, _) in pairwise(ordered):
            assert end is not None and next_start >= end, f"two polls of {path} overlapped"

    # Make the next poll of /b hang, and kill whichever worker picks it up.
    agency.serve(
        "/b",
        Reply(rss(kratom_item(1, firm="Firm fda_press_releases")), headers=RSS, delay=8),
        Reply(rss(kratom_item(2, firm="Firm fda_press_releases")), headers=RSS),
    )
    hang_from = time.monotonic()
    deadline = hang_from + 10
    while time.monotonic() < deadline and not any(
        r[1] is None for r in _requests(agency, "/b", since=hang_from)
    ):
        time.sleep(0.05)
    engine = create_engine(postgres_url)
    with Session(engine) as session:
        owner = session.get_one(SourceState, "fda_press_releases").lease_owner
    assert owner is not None
    pid = int(owner.split(":")[1])
    victim = next(w for w in workers if w.process.pid == pid)
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    victim.process.wait(10)

    # After the lease lapses another worker polls /b and stores the new item once.
    deadline = killed_at + LEASE + 10
    while time.monotonic() < deadline:
        with Session(engine) as session:
            stored = session.exec(
                select(func.count())
                .select_from(Alert)
                .where(Alert.uid.endswith("leafline-kratom-2"))
            ).one()  # type: ignore[attr-defined]
        if stored:
            break
        time.sleep(0.2)
    takeover = [r for r in _requests(agency, "/b", since=killed_at)]
    assert takeover, "no worker took the source over"
    assert takeover[0][0] - killed_at <= LEASE + 3
    with Session(engine) as session:
        state = session.get_one(SourceState, "fda_press_releases")
        counts = {
            (source, uid): n
            for source, uid, n in session.exec(
                select(Alert.source, Alert.uid, func.count()).group_by(Alert.source, Alert.uid)
            )
        }
        ok_after = session.exec(
            select(func.count())
            .select_from(PollRun)
            .where(PollRun.source == "fda_press_releases", PollRun.outcome == "ok")
        ).one()
    assert state.lease_owner != owner
    assert counts and set(counts.values()) == {1}  # every item stored exactly once
    assert ok_after >= 2

    survivors = [w for w in workers if w is not victim]
    assert [w.stop() for w in survivors] == [0, 0]
    with Session(engine) as session:
        held = [s.lease_owner for s in session.exec(select(SourceState)) if s.lease_owner]
    engine.dispose()
    assert held == [] or held == [owner]  # only the killed worker's lease may remain, expired
