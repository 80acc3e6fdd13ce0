"""WebSub: a new or revised alert is announced to the configured hub, exactly when due."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from alerts import store
from alerts.models import FeedState
from monitor import websub
from tests.factories import draft
from tests.hub import Hub

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
BASE = "http://alerts.example.test"


@pytest.fixture
def hub() -> Iterator[Hub]:
    running = Hub()
    yield running
    running.close()


def _change(engine: Engine, **overrides: object) -> None:
    with Session(engine) as session:
        store.upsert(session, [draft(**overrides)], now=NOW)
        store.mark_changed(session, now=NOW)
        session.commit()


def _ping(engine: Engine, hub_url: str, now: datetime = NOW) -> websub.PingResult | None:
    with httpx.Client(timeout=5) as client:
        return websub.ping_hub(engine, client, hub=hub_url, base_url=BASE, now=now)


def _state(engine: Engine) -> FeedState:
    with Session(engine) as session:
        return session.get_one(FeedState, "alerts")


def test_a_new_alert_pings_the_hub_once_for_every_feed(engine: Engine, hub: Hub) -> None:
    _change(engine)
    result = _ping(engine, hub.url)
    assert result is not None and result.ok
    assert hub.topics() == websub.topics(BASE)
    assert all(dict(p)["hub.mode"] == "publish" for p in hub.pings)
    assert all(t.startswith("application/x-www-form-urlencoded") for t in hub.content_types)
    assert _ping(engine, hub.url) is None  # nothing new: no second ping
    assert len(hub.pings) == 4


def test_a_revision_is_announced_like_a_new_alert(engine: Engine, hub: Hub) -> None:
    _change(engine, status="Ongoing")
    _ping(engine, hub.url)
    _change(engine, status="Terminated")
    result = _ping(engine, hub.url, NOW + timedelta(minutes=1))
    assert result is not None and result.ok and len(hub.pings) == 8


def test_a_failing_hub_is_recorded_and_retried_after_a_pause(engine: Engine, hub: Hub) -> None:
    _change(engine)
    hub.answers.extend([503])
    failed = _ping(engine, hub.url)
    assert failed is not None and not failed.ok and "503" in failed.error
    state = _state(engine)
    assert state.hub_attempts == 1 and state.hub_last_error and "503" in state.hub_last_error
    assert state.hub_version < state.version
    assert _ping(engine, hub.url, NOW + timedelta(seconds=5)) is None  # still backing off
    retried = _ping(engine, hub.url, NOW + timedelta(minutes=2))
    assert retried is not None and retried.ok
    state = _state(engine)
    assert (state.hub_attempts, state.hub_last_error) == (0, None)
    assert state.hub_version == state.version


def test_an_unreachable_hub_is_an_error_on_the_row_not_a_crash(engine: Engine) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _change(engine)
    result = _ping(engine, f"http://127.0.0.1:{port}/hub")
    assert result is not None and "unreachable" in result.error
    assert "unreachable" in (_state(engine).hub_last_error or "")


def test_no_hub_configured_means_no_ping(engine: Engine) -> None:
    _change(engine)
    assert _ping(engine, "") is None


def test_only_one_of_two_workers_pings_a_change(engine: Engine, hub: Hub) -> None:
    _change(engine)
    assert websub._claim(engine, NOW) is not None
    # The second worker finds the row claimed until the claim lapses.
    assert _ping(engine, hub.url) is None and hub.pings == []
    late = _ping(engine, hub.url, NOW + websub.CLAIM + timedelta(seconds=1))
    assert late is not None and late.ok
