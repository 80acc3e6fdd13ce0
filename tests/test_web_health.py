"""/healthz, /readyz and /metrics against a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from alerts import store
from alerts.models import PollRun, SourceState
from monitor import db
from monitor.web.app import WebContext, create_app
from tests.factories import draft
from tests.webserver import Served, serve

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SOURCES = ["fda_recalls", "fda_medwatch"]


def _client(engine: Engine, scheduler: bool | None = True) -> Served:
    ctx = WebContext(
        engine=engine, sources=SOURCES, failing_limit=timedelta(hours=1),
        scheduler_running=None if scheduler is None else (lambda: scheduler), clock=lambda: NOW,
    )  # fmt: skip
    return serve(create_app(ctx))


def test_healthz_answers_while_the_process_lives(engine: Engine) -> None:
    with _client(engine) as web:
        response = web.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_ready_with_a_database_and_a_running_scheduler(engine: Engine) -> None:
    with _client(engine) as web:
        response = web.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {
        "database": "ok",
        "sources_failing_too_long": [],
        "scheduler": "running",
    }


def test_readyz_fails_when_the_scheduler_stopped(engine: Engine) -> None:
    with _client(engine, scheduler=False) as web:
        response = web.get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["scheduler"] == "stopped"


def test_a_web_only_process_has_no_scheduler_check(engine: Engine) -> None:
    with _client(engine, scheduler=None) as web:
        response = web.get("/readyz")
    assert response.status_code == 200 and "scheduler" not in response.json()["checks"]


def test_readyz_fails_when_a_source_has_been_failing_too_long(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(
            SourceState(
                key="fda_recalls",
                status="failing",
                consecutive_failures=9,
                failing_since=NOW - timedelta(hours=2),
            )
        )
        session.add(
            SourceState(
                key="fda_medwatch",
                status="failing",
                consecutive_failures=3,
                failing_since=NOW - timedelta(minutes=10),
            )
        )
        session.commit()
    with _client(engine) as web:
        response = web.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["sources_failing_too_long"] == ["fda_recalls"]


def test_readyz_fails_when_the_database_is_unreachable(tmp_path: object) -> None:
    engine = db.make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nothing?connect_timeout=1")
    with _client(engine) as web:
        response = web.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("unreachable")
    engine.dispose()


def test_metrics_expose_polls_errors_ages_alerts_and_deliveries(engine: Engine) -> None:
    with Session(engine) as session:
        for n, outcome in enumerate(["ok", "ok", "error"]):
            session.add(
                PollRun(
                    id=f"p{n}",
                    source="fda_recalls",
                    started_at=NOW,
                    finished_at=NOW,
                    outcome=outcome,
                )
            )
        session.add(
            SourceState(
                key="fda_recalls",
                status="degraded",
                consecutive_failures=1,
                last_success_at=NOW - timedelta(seconds=90),
            )
        )
        store.upsert(session, [draft()], now=NOW)
        session.commit()
    with _client(engine) as web:
        response = web.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "text/plain; version=0.0.4"
    )
    lines = set(response.text.splitlines())
    assert 'kratom_polls_total{outcome="ok",source="fda_recalls"} 2' in lines
    assert 'kratom_poll_errors_total{source="fda_recalls"} 1' in lines
    assert 'kratom_poll_errors_total{source="fda_medwatch"} 0' in lines
    assert 'kratom_source_last_success_age_seconds{source="fda_recalls"} 90' in lines
    assert 'kratom_source_last_success_age_seconds{source="fda_medwatch"} -1' in lines
    assert 'kratom_source_status{source="fda_recalls",status="degraded"} 1' in lines
    assert "kratom_alerts_stored 1" in lines
    assert 'kratom_deliveries{status="pending"} 0' in lines
    assert "# TYPE kratom_polls_total counter" in lines
