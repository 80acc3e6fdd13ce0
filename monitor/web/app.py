"""The ASGI app: ``/healthz``, ``/readyz`` and ``/metrics``.

``/healthz`` says the process serves requests. ``/readyz`` says it can do its job: the
database answers, the scheduler runs (in processes that have one), and no source has
been failing for longer than the configured threshold.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from alerts.models import SourceState
from monitor import metrics
from monitor.settings import Settings
from monitor.web import (
    alert_pages,
    annotation_server,
    api,
    calendar,
    feeds,
    staff_admin,
    staff_alerts,
    staff_auth,
    staff_documents,
    staff_overview,
    staff_settings,
    staff_users,
    subscribe,
)
from monitor.web.published import Published


@dataclass
class WebContext:
    """What the endpoints need from the running process."""

    engine: Engine
    sources: list[str]
    failing_limit: timedelta = timedelta(hours=1)
    scheduler_running: Callable[[], bool] | None = None  # None: this process has no scheduler
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    settings: Settings = field(
        default_factory=lambda: Settings(data_dir=Path("data"), database_url="")
    )
    published: Published | None = None  # made from engine and settings when not given
    feed_served: threading.Event = field(default_factory=threading.Event)  # set on a feed GET

    def __post_init__(self) -> None:
        if self.published is None:
            self.published = Published(self.engine, check_seconds=self.settings.feed_check_seconds)

    @property
    def version(self) -> Published:
        assert self.published is not None  # set in __post_init__
        return self.published


def create_app(ctx: WebContext) -> Starlette:
    """The web app for one process."""

    async def index(request: Request) -> Response:
        return JSONResponse(
            {
                "service": "kratom-monitor",
                "endpoints": ["/healthz", "/readyz", "/metrics", "/api/v1", "/annotations/"],
            }
        )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    def readiness() -> tuple[bool, dict[str, Any]]:
        checks: dict[str, Any] = {}
        try:
            with Session(ctx.engine) as session:
                session.connection().execute(text("SELECT 1"))
                limit = ctx.clock() - ctx.failing_limit
                failing = session.exec(
                    select(SourceState.key).where(
                        col(SourceState.status) == "failing",
                        col(SourceState.failing_since) < limit,
                        col(SourceState.key).in_(ctx.sources),
                    )
                ).all()
            checks["database"] = "ok"
            checks["sources_failing_too_long"] = sorted(failing)
        except SQLAlchemyError as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
            failing = []
        if ctx.scheduler_running is not None:
            checks["scheduler"] = "running" if ctx.scheduler_running() else "stopped"
        ready = (
            checks["database"] == "ok"
            and not failing
            and checks.get("scheduler", "running") == "running"
        )
        return ready, checks

    async def readyz(request: Request) -> Response:
        ready, checks = await run_in_threadpool(readiness)
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    def render_metrics() -> str:
        with Session(ctx.engine) as session:
            return metrics.render(session, sources=ctx.sources, now=ctx.clock())

    async def metrics_page(request: Request) -> Response:
        body = await run_in_threadpool(render_metrics)
        return PlainTextResponse(body, media_type="text/plain; version=0.0.4; charset=utf-8")

    return Starlette(
        routes=[
            Route("/", index),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_page),
            *subscribe.routes(ctx),
            *alert_pages.routes(ctx),
            *api.routes(ctx),
            *feeds.routes(ctx),
            *calendar.routes(ctx),
            *annotation_server.routes(ctx),
            *staff_auth.routes(ctx),
            *staff_users.routes(ctx),
            *staff_alerts.routes(ctx),
            *staff_overview.routes(ctx),
            *staff_settings.routes(ctx),
            *staff_admin.routes(ctx),
            *staff_documents.routes(ctx),
            Mount(
                "/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"
            ),
        ]
    )
