"""The read API under ``/api/v1`` for other sites: alerts, incidents, sources, its OpenAPI.

Every answer is JSON; errors are ``application/problem+json`` (RFC 9457). Answers carry
an ETag and ``Cache-Control: public, max-age=30``; a client sending the ETag back in
``If-None-Match`` gets a 304. Answers built from the alert store are validated by the
store's version (``monitor.web.published``), so a 304 costs no query. CORS is open to
every origin for GET, and each client address is rate limited (``monitor.web.ratelimit``).

Parameters are parsed and checked in ``monitor.web.api_params``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sqlmodel import Session, col, select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from alerts import filters, incidents, store
from alerts.filters import Cursor
from alerts.models import Alert, Incident, SourceState
from monitor.web import openapi
from monitor.web.api_params import (
    AlertQuery,
    Items,
    ProblemError,
    item_id,
    parse_alert_query,
    parse_incident_query,
)
from monitor.web.conditional import etag_for, http_date, is_fresh, not_modified
from monitor.web.ratelimit import Decision, RateLimitMiddleware, TokenBuckets
from sources.registry import BY_KEY

if TYPE_CHECKING:
    from monitor.web.app import WebContext

PREFIX = "/api/v1"
CACHE_CONTROL = "public, max-age=30"
PROBLEM_TYPE = "application/problem+json"


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """An RFC 9457 problem answer."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    return JSONResponse(
        body,
        status_code=status,
        media_type=PROBLEM_TYPE,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def _too_many(decision: Decision) -> Response:
    return problem(
        429, f"Too many requests from this address; retry in {decision.retry_after} seconds."
    )


def _on_problem(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ProblemError):
        return problem(exc.status, exc.detail)
    assert isinstance(exc, HTTPException)
    detail = "There is no such API endpoint." if exc.status_code == 404 else exc.detail
    return problem(exc.status_code, detail, dict(exc.headers or {}))


# Answers: plain functions of a session, run in the thread pool.


class _Links:
    """Absolute URLs, on the public base URL that mail links use."""

    def __init__(self, base: str) -> None:
        self.base = base

    def api(self, path: str, items: Items = ()) -> str:
        query = urlencode(list(items))
        return f"{self.base}{PREFIX}{path}" + (f"?{query}" if query else "")

    def alert(self, alert: Alert) -> dict[str, str]:
        return {
            "self": self.api(f"/alerts/{alert.id}"),
            "page": f"{self.base}/alerts/{alert.id}",
            "agency": alert.url,
        }

    def page(self, path: str, items: Items, next_cursor: str | None) -> dict[str, Any]:
        rest = [(key, value) for key, value in items if key != "cursor"]
        return {
            "self": self.api(path, items),
            "next": self.api(path, [*rest, ("cursor", next_cursor)]) if next_cursor else None,
        }


def _alert(alert: Alert, links: _Links) -> dict[str, Any]:
    return {**store.as_dict(alert), "links": links.alert(alert)}


def _incident(incident: Incident, links: _Links) -> dict[str, Any]:
    return {
        "id": incident.id,
        "title": incident.title,
        "link_reason": incident.link_reason,
        "created_at": incident.created_at.isoformat(),
        "updated_at": incident.updated_at.isoformat(),
        "links": {"self": links.api(f"/incidents/{incident.id}")},
    }


def alert_page(session: Session, query: AlertQuery, items: Items, links: _Links) -> dict[str, Any]:
    found = filters.select_alerts(
        session, query.flt, limit=query.limit + 1, after=query.after, search=query.search
    )
    shown = found[: query.limit]
    next_cursor = Cursor.of(shown[-1]).encode() if len(found) > query.limit else None
    return {
        "items": [_alert(alert, links) for alert in shown],
        "next_cursor": next_cursor,
        "links": links.page("/alerts", items, next_cursor),
    }


def alert_detail(session: Session, alert_id: int, links: _Links) -> dict[str, Any]:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise ProblemError(404, f"There is no alert {alert_id}.")
    revisions = [
        {"number": r.revision, "recorded_at": r.recorded_at.isoformat(), "changes": r.changes}
        for r in store.revisions_of(session, alert_id)
    ]
    incident = session.get(Incident, alert.incident_id) if alert.incident_id else None
    linked = None
    if incident is not None:
        others = [a for a in incidents.members(session, int(incident.id or 0)) if a.id != alert.id]
        linked = {
            "id": incident.id,
            "title": incident.title,
            "link_reason": incident.link_reason,
            "other_alerts": [
                {"id": a.id, "title": a.title, "source": a.source, "url": a.url,
                 "links": links.alert(a)}
                for a in others
            ],
        }  # fmt: skip
    return {**_alert(alert, links), "revisions": revisions, "incident": linked}


def incident_page(
    session: Session, before: int | None, limit: int, items: Items, links: _Links
) -> dict[str, Any]:
    query = select(Incident)
    if before is not None:
        query = query.where(col(Incident.id) < before)
    found = list(session.exec(query.order_by(col(Incident.id).desc()).limit(limit + 1)))
    shown = found[:limit]
    next_cursor = str(shown[-1].id) if len(found) > limit else None
    return {
        "items": [_incident(incident, links) for incident in shown],
        "next_cursor": next_cursor,
        "links": links.page("/incidents", items, next_cursor),
    }


def incident_detail(session: Session, incident_id: int, links: _Links) -> dict[str, Any]:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise ProblemError(404, f"There is no incident {incident_id}.")
    members = incidents.members(session, incident_id)
    return {**_incident(incident, links), "alerts": [_alert(a, links) for a in members]}


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def source_list(session: Session, ctx: WebContext) -> dict[str, Any]:
    """Each enabled, registered source with its health (``never`` before its first poll)."""
    keys = [key for key in ctx.sources if key in BY_KEY]
    rows = session.exec(select(SourceState).where(col(SourceState.key).in_(keys)))
    states = {state.key: state for state in rows}
    items = []
    for key in keys:
        source = BY_KEY[key]
        state = states.get(key) or SourceState(key=key)
        cadence = ctx.settings.every(key, source.every).total_seconds()
        items.append(
            {
                "key": key,
                "title": source.title,
                "agency": source.agency,
                "url": source.url,
                "cadence_seconds": max(1, round(cadence)),
                "health": {
                    "status": state.status,
                    "last_success_at": _when(state.last_success_at),
                    "last_error": state.last_error,
                    "last_error_at": _when(state.last_error_at),
                    "consecutive_failures": state.consecutive_failures,
                    "next_poll_at": _when(state.next_poll_at),
                },
            }
        )
    return {"items": items}


# HTTP: conditional answers, the sub-application.


def _representation(request: Request) -> str:
    return f"{request.url.path}?{request.url.query}"


def routes(ctx: WebContext) -> list[Mount]:
    """The API, mounted at ``/api/v1``, with CORS and the rate limit around it."""
    links = _Links(ctx.settings.base_url)

    def in_session(work: Callable[[Session], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
        def run() -> dict[str, Any]:
            with Session(ctx.engine) as session:
                return work(session)

        return run

    async def from_store(request: Request, work: Callable[[Session], dict[str, Any]]) -> Response:
        """An answer that changes only with the store's version: 304 without a query."""
        current = await ctx.version.fresh()
        etag = etag_for(current, _representation(request))
        if is_fresh(request, etag, current):
            return not_modified(etag, current, CACHE_CONTROL)
        body = await run_in_threadpool(in_session(work))
        headers = {
            "ETag": etag,
            "Last-Modified": http_date(current),
            "Cache-Control": CACHE_CONTROL,
        }
        return JSONResponse(body, headers=headers)

    async def by_content(request: Request, body: dict[str, Any]) -> Response:
        """An answer that changes without the store (source health, this document)."""
        response = JSONResponse(body)
        digest = hashlib.blake2b(bytes(response.body), digest_size=8).hexdigest()
        current = await ctx.version.fresh()
        etag = etag_for(current, f"{_representation(request)}#{digest}")
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
        # Only If-None-Match: store-version dates say nothing about these answers.
        if "if-none-match" in request.headers and is_fresh(request, etag, current):
            return Response(status_code=304, headers=headers)
        response.headers.update(headers)
        return response

    async def list_alerts(request: Request) -> Response:
        items = request.query_params.multi_items()
        query = parse_alert_query(items)
        return await from_store(request, lambda s: alert_page(s, query, items, links))

    async def one_alert(request: Request) -> Response:
        alert_id = item_id(request, "alert_id", "alert")
        return await from_store(request, lambda s: alert_detail(s, alert_id, links))

    async def list_incidents(request: Request) -> Response:
        items = request.query_params.multi_items()
        before, limit = parse_incident_query(items)
        return await from_store(request, lambda s: incident_page(s, before, limit, items, links))

    async def one_incident(request: Request) -> Response:
        incident_id = item_id(request, "incident_id", "incident")
        return await from_store(request, lambda s: incident_detail(s, incident_id, links))

    async def sources(request: Request) -> Response:
        body = await run_in_threadpool(in_session(lambda s: source_list(s, ctx)))
        return await by_content(request, body)

    async def document(request: Request) -> Response:
        return await by_content(request, openapi.DOCUMENT)

    buckets = TokenBuckets(per_minute=ctx.settings.api_rate, burst=ctx.settings.api_burst)
    api = Starlette(
        routes=[
            Route("/alerts", list_alerts),
            Route("/alerts/{alert_id}", one_alert),
            Route("/incidents", list_incidents),
            Route("/incidents/{incident_id}", one_incident),
            Route("/sources", sources),
            Route("/openapi.json", document),
        ],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET"],
                allow_headers=["If-None-Match", "If-Modified-Since"],
                expose_headers=[
                    "ETag",
                    "Last-Modified",
                    "Retry-After",
                    "RateLimit-Limit",
                    "RateLimit-Remaining",
                ],
                max_age=86400,
            ),
            Middleware(RateLimitMiddleware, buckets=buckets, refuse=_too_many),
        ],
        exception_handlers={ProblemError: _on_problem, HTTPException: _on_problem},
    )
    mount = Mount(PREFIX, app=api)
    # A percent-encoded newline decodes into the path; without DOTALL such a path would
    # fall through to the site's plain-text 404 instead of the API's problem answer.
    mount.path_regex = re.compile(mount.path_regex.pattern, re.DOTALL)
    return [mount]
