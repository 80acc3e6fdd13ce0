"""``GET /feeds/calendar.ics``: effective dates, comment deadlines and hearings to subscribe to.

Takes the feeds' filter parameters (``?kind=scheduling&jurisdiction=US-FL``). Validated
by the store's version: a calendar app holding the current copy gets a 304 without a
query; otherwise the most recently changed alerts that have dated events are rendered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from alerts import calendar, filters
from monitor.web.conditional import etag_for, http_date, is_fresh, not_modified

if TYPE_CHECKING:
    from monitor.web.app import WebContext

PATH = "/feeds/calendar.ics"
MEDIA_TYPE = "text/calendar; charset=utf-8"
CACHE_CONTROL = "public, max-age=300"
LIMIT = 500  # alerts with events, most recently changed first
_DESCRIPTION = (
    "Effective dates, comment deadlines, hearings and scheduling dates named in kratom "
    "regulatory alerts."
)


def routes(ctx: WebContext) -> list[Route]:
    """The calendar feed route."""
    base = ctx.settings.base_url
    domain = urlsplit(base).hostname or "kratom-monitor"

    def render(flt: filters.AlertFilter) -> str:
        name = "Kratom regulatory dates"
        if not flt.is_empty():
            name += f" ({flt.describe()})"
        with Session(ctx.engine) as session:
            return calendar.render(
                calendar.alerts_with_events(session, flt, limit=LIMIT),
                alert_base=f"{base}/alerts",
                domain=domain,
                name=name,
                description=_DESCRIPTION,
            )

    async def feed(request: Request) -> Response:
        try:
            flt = filters.from_params(request.query_params.multi_items())
        except filters.FilterError as exc:
            return PlainTextResponse(f"Bad calendar parameters: {exc}\n", status_code=400)
        version = await ctx.version.fresh()
        etag = etag_for(version, f"{PATH}?{flt.query_string()}")
        if is_fresh(request, etag, version):
            return not_modified(etag, version, CACHE_CONTROL)
        body = await run_in_threadpool(render, flt)
        return Response(
            body,
            media_type=MEDIA_TYPE,
            headers={
                "ETag": etag,
                "Last-Modified": http_date(version),
                "Cache-Control": CACHE_CONTROL,
            },
        )

    return [Route(PATH, feed)]
