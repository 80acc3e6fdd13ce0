"""Public alert pages: the filtered list and one page per alert (facts, history, incident).

The page an email and every feed entry link to: what happened, the agency's original,
every revision with what changed, the other alerts about the same event, and the feeds
and mail subscription for alerts like it. Each page names its feeds with
``<link rel="alternate">`` so feed readers find them from the page address.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import jinja2
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from alerts import filters, incidents, store
from alerts.draft import KINDS, SEVERITIES
from alerts.filters import AlertFilter, FilterError
from alerts.models import Alert, Incident
from alerts.subscriptions import HAZARDS
from monitor.web.details import detail_rows
from monitor.web.feeds import alternates

if TYPE_CHECKING:
    from monitor.web.app import WebContext

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True
)
_HEADERS = {"Content-Security-Policy": "default-src 'self'; script-src 'none'"}
LIST_SIZE = 100


def _render(name: str, status: int = 200, **context: object) -> HTMLResponse:
    return HTMLResponse(
        _TEMPLATES.get_template(name).render(**context), status_code=status, headers=_HEADERS
    )


def follow_links(base: str, flt: AlertFilter, label: str) -> dict[str, object]:
    """Feed, calendar and mail links of one filtered view, for a page's "Follow" block."""
    query = flt.query_string()
    prefill = urlencode(
        [("kinds", k) for k in flt.kinds]
        + [("hazards", h) for h in flt.hazards]
        + ([("jurisdictions", ", ".join(flt.places))] if flt.places else [])
        + ([("min_severity", flt.min_severity)] if flt.min_severity != "info" else [])
    )
    return {
        "label": label,
        "feeds": alternates(base, flt),
        "calendar": f"{base}/feeds/calendar.ics" + (f"?{query}" if query else ""),
        "subscribe": "/subscribe" + (f"?{prefill}" if prefill else ""),
        "page": "/alerts" + (f"?{query}" if query else ""),
    }


_FORMAT_NAMES = {
    "application/atom+xml": "Atom", "application/rss+xml": "RSS",
    "application/feed+json": "JSON Feed",
}  # fmt: skip


def discovery(base: str, views: list[AlertFilter]) -> list[tuple[str, str, str]]:
    """(media type, title, URL) of every feed of ``views``, for ``<link rel="alternate">``."""
    found = []
    for flt in views:
        for media_type, url in alternates(base, flt).items():
            title = f"Kratom alerts: {flt.describe()} ({_FORMAT_NAMES[media_type]})"
            found.append((media_type, title, url))
    return found


def _related_views(base: str, alert: Alert) -> list[dict[str, object]]:
    views = [follow_links(base, AlertFilter(kinds=(alert.kind,)), alert.kind.replace("_", " "))]
    views.append(follow_links(base, AlertFilter(places=(alert.jurisdiction,)), alert.jurisdiction))
    views += [
        follow_links(base, AlertFilter(hazards=(h,)), h.replace("_", " ")) for h in alert.hazards
    ]
    return views


def routes(ctx: WebContext) -> list[Route]:
    """``GET /alerts`` (filtered like the feeds) and ``GET /alerts/{id}``."""

    def listing(flt: AlertFilter) -> str:
        base = ctx.settings.base_url
        with Session(ctx.engine) as session:
            found = filters.select_alerts(session, flt, limit=LIST_SIZE)
        return _TEMPLATES.get_template("alerts.html").render(
            title="Recent alerts" if flt.is_empty() else f"Alerts: {flt.describe()}",
            alerts=found, flt=flt, follow=follow_links(base, flt, flt.describe()),
            kinds=KINDS, hazards=HAZARDS, severities=SEVERITIES,
            discovery=discovery(base, [flt]),
        )  # fmt: skip

    def one(alert_id: int) -> tuple[int, str]:
        base = ctx.settings.base_url
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
            views = _related_views(base, alert)
            page = _TEMPLATES.get_template("alert.html").render(
                title=alert.title, alert=alert, revisions=store.revisions_of(session, alert_id),
                incident=incident, related=related, views=views,
                discovery=discovery(
                    base, [AlertFilter(), AlertFilter(kinds=(alert.kind,)),
                           AlertFilter(places=(alert.jurisdiction,))]
                ),
                api=f"{base}/api/v1/alerts/{alert_id}", details=detail_rows(alert.details),
            )  # fmt: skip
            return 200, page

    async def list_page(request: Request) -> Response:
        try:
            flt = filters.from_params(request.query_params.multi_items())
        except FilterError as exc:
            return _render("message.html", 400, title="Bad filter", text=str(exc))
        return HTMLResponse(await run_in_threadpool(listing, flt), headers=_HEADERS)

    async def alert_page(request: Request) -> Response:
        raw = request.path_params["alert_id"]
        if not str(raw).isdigit() or len(str(raw)) > 10:
            return _render("message.html", 404, title="No such alert", text="")
        status, page = await run_in_threadpool(one, int(raw))
        return HTMLResponse(page, status_code=status, headers=_HEADERS)

    return [Route("/alerts", list_page), Route("/alerts/{alert_id}", alert_page)]
