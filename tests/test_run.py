"""`kratom-monitor run` as a user runs it: a real process, real HTTP, real signals."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from alerts.models import SourceState
from monitor import db
from sources.registry import SOURCES
from tests.processes import SCRIPT, Monitor

SECRET = "a-test-secret-of-enough-length"
pytestmark = pytest.mark.skipif(
    not SCRIPT.exists(), reason="console script not installed (pip install -e .)"
)


def _until(check: object, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.25)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def monitors() -> Iterator[list[Monitor]]:
    started: list[Monitor] = []
    yield started
    for monitor in started:
        monitor.kill()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_run_demo_polls_serves_health_and_stops_cleanly(
    tmp_path: Path, stop_signal: int, monitors: list[Monitor]
) -> None:
    monitor = Monitor(["run", "--demo", "--port", "0"], {"KM_DATA_DIR": str(tmp_path)})
    monitors.append(monitor)
    base = monitor.base_url()
    with httpx.Client(base_url=base, timeout=5) as web:
        assert web.get("/healthz").json() == {"status": "ok"}
        _until(lambda: web.get("/readyz").status_code == 200)

        def stored() -> bool:
            return "kratom_alerts_stored 0" not in web.get("/metrics").text

        _until(stored)
        metrics = web.get("/metrics").text
    assert 'kratom_polls_total{outcome="ok"' in metrics
    assert monitor.stop(stop_signal) == 0
    assert "stopped cleanly" in "".join(monitor.stderr)
    assert "poll ok source=" in "".join(monitor.stderr)
    engine = db.make_engine(f"sqlite:///{tmp_path}/kratom-monitor.db")
    with Session(engine) as session:
        owners = [s.lease_owner for s in session.exec(select(SourceState))]
        assert owners == [None] * len(SOURCES)  # every source polled, every lease released
    engine.dispose()


def test_web_role_serves_endpoints_without_a_scheduler(
    tmp_path: Path, monitors: list[Monitor]
) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path}/kratom-monitor.db")
    db.migrate(engine)
    engine.dispose()
    monitor = Monitor(
        ["run", "--role", "web", "--port", "0"], {"KM_DATA_DIR": str(tmp_path), "KM_SECRET": SECRET}
    )
    monitors.append(monitor)
    with httpx.Client(base_url=monitor.base_url(), timeout=5) as web:
        ready = web.get("/readyz")
        assert ready.status_code == 200 and "scheduler" not in ready.json()["checks"]
        assert "kratom_alerts_stored 0" in web.get("/metrics").text
    assert monitor.stop() == 0


def test_run_refuses_a_database_that_needs_init(tmp_path: Path, monitors: list[Monitor]) -> None:
    monitor = Monitor(["run", "--port", "0"], {"KM_DATA_DIR": str(tmp_path), "KM_SECRET": SECRET})
    monitors.append(monitor)
    assert monitor.process.wait(30) == 1
    assert "run `kratom-monitor init`" in "".join(monitor.stderr)


def test_run_refuses_the_demo_secret_outside_demo_mode(
    tmp_path: Path, monitors: list[Monitor]
) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path}/kratom-monitor.db")
    db.migrate(engine)
    engine.dispose()
    env = {"KM_DATA_DIR": str(tmp_path), "KM_SECRET": "demo-secret-not-for-production"}
    monitor = Monitor(["run", "--port", "0"], env)
    monitors.append(monitor)
    assert monitor.process.wait(30) == 1
    err = "".join(monitor.stderr)
    assert "KM_SECRET must be a private value" in err and "Traceback" not in err


def test_run_on_the_embedded_default_needs_no_configuration(
    tmp_path: Path, monitors: list[Monitor]
) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path}/kratom-monitor.db")
    db.migrate(engine)
    engine.dispose()
    monitor = Monitor(["run", "--port", "0", "--role", "web"], {"KM_DATA_DIR": str(tmp_path)})
    monitors.append(monitor)
    with httpx.Client(base_url=monitor.base_url(), timeout=5) as web:
        assert web.get("/healthz").status_code == 200
    assert monitor.stop() == 0
    assert (tmp_path / "secret").exists()
