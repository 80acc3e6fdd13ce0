"""Public alert pages: the recent list and one page per alert (facts, history, incident).

The page an email links to: what happened, the agency's original, every revision with
what changed, and the other alerts about the same event.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from alerts import incidents, store
from alerts.models import Alert, Incident

if TYPE_CHECKING:
    from monitor.web.app import WebContext

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True
)
_HEADERS = {"Content-Security-Policy": "default-src 'self'; script-src 'none'"}


def _render(name: str, status: int = 200, **context: object) -> HTMLResponse:
    return HTMLResponse(
        _TEMPLATES.get_template(name).render(**context), status_code=status, headers=_HEADERS
    )


def routes(ctx: WebContext) -> list[Route]:
    """``GET /alerts`` and ``GET /alerts/{id}``."""

    def recent() -> str:
        with Session(ctx.engine) as session:
            found = store.recent_alerts(session, limit=100)
            return _TEMPLATES.get_template("alerts.html").render(
                title="Recent alerts", alerts=found
            )

    def one(alert_id: int) -> tuple[int, str]:
        with Session(ctx.engine) as session:
            alert = session.get(Alert, alert_id)
            if alert is None:
                page = _TEMPLATES.get_template("message.html").render(
                    title="No such alert", text="There is no alert with this number."
                )
                return 404, page
            related: list[Alert] = []
            incident = None
            if alert.incident_id is not None:
                incident = session.get(Incident, alert.incident_id)
                related = [
                    a for a in incidents.members(session, alert.incident_id) if a.id != alert.id
                ]
            page = _TEMPLATES.get_template("alert.html").render(
                title=alert.title, alert=alert, revisions=store.revisions_of(session, alert_id),
                incident=incident, related=related,
            )  # fmt: skip
            return 200, page

    async def list_page(request: Request) -> Response:
        return HTMLResponse(await run_in_threadpool(recent), headers=_HEADERS)

    async def alert_page(request: Request) -> Response:
        raw = request.path_params["alert_id"]
        if not str(raw).isdigit():
            return _render("message.html", 404, title="No such alert", text="")
        status, page = await run_in_threadpool(one, int(raw))
        return HTMLResponse(page, status_code=status, headers=_HEADERS)

    return [Route("/alerts", list_page), Route("/alerts/{alert_id}", alert_page)]
