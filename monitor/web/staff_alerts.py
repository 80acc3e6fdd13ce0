"""Staff dashboard: the alert inbox, its exports and its "new alerts" check (viewer and up).

``GET /staff/alerts`` lists alerts newest change first, 50 a page (``Older`` pages by
cursor), filtered by the query string (``alerts.inbox``): the URL is the view, so a
colleague who opens it sees the same rows. Filter forms send empty fields; the page
redirects once to the view's canonical URL. A bad parameter is a 400 page naming it.

``GET /staff/alerts.csv`` and ``.json`` export the same view (every matching row up to
``EXPORT_LIMIT``, cursor ignored) as attachments; each export is audited.

``GET /staff/alerts/updates?after=<cursor>&<view>`` answers ``{"new": n}``: how many
alerts of the view changed after the newest row the page showed (at most
``UPDATES_LIMIT``). ``/static/inbox.js`` asks every 30 seconds and shows a live-region
banner; the page works the same without it. Its Content-Security-Policy allows scripts
and requests from this site only.

The alert page, triage and corrections are in ``monitor.web.staff_alert_page``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from alerts import dossier, exports, inbox, triage
from alerts.audit import audit
from alerts.filters import Cursor, FilterError
from alerts.inbox import InboxQuery
from alerts.models import Alert, StaffUser
from alerts.triage import STATUSES
from monitor.web import staff_alert_page
from monitor.web.forms import client_ip, json_reply
from monitor.web.staff_alert_view import local_time
from monitor.web.staff_auth import require, staff_message, staff_page

if TYPE_CHECKING:
    from monitor.web.app import WebContext

PAGE_SIZE = 50
EXPORT_LIMIT = 10_000
UPDATES_LIMIT = 100
POLL_SECONDS = 30
_START = Cursor(datetime(1970, 1, 1, tzinfo=UTC), 0)
# The staff pages' policy (monitor.web.forms), plus this site's script and its requests.
SCRIPT_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
        "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}
_EXPORT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class Listing:
    """One inbox page: its rows and where the next page starts."""

    rows: list[dict[str, Any]]
    older: Cursor | None
    newest: Cursor


def _with(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


def _rows(session: Session, alerts: Sequence[Alert], user: StaffUser) -> list[dict[str, Any]]:
    unread = triage.unread_ids(session, alerts, user=user)
    states = triage.statuses_of(session, [int(a.id or 0) for a in alerts])
    people = dossier.emails(session, [s.assignee_id for s in states.values()])
    rows = []
    for alert in alerts:
        state = states.get(int(alert.id or 0))
        rows.append(
            {
                "id": alert.id, "title": alert.title, "kind": alert.kind,
                "agency": alert.agency, "severity": alert.severity,
                "status": state.status if state else "new",
                "assignee": people.get(state.assignee_id or 0, "") if state else "",
                "date": local_time(alert.published_at or alert.first_seen_at, user.time_zone),
                "changed": local_time(alert.updated_at, user.time_zone),
                "revision": alert.revision, "unread": int(alert.id or 0) in unread,
            }
        )  # fmt: skip
    return rows


def _parse(request: Request) -> tuple[InboxQuery, Cursor | None]:
    return inbox.parse(request.query_params.multi_items())


def routes(ctx: WebContext) -> list[Route]:
    """The inbox, its exports and updates, and the alert pages."""

    def listing(user: StaffUser, view: InboxQuery, cursor: Cursor | None) -> Listing:
        with Session(ctx.engine) as session:
            found = inbox.select_inbox(session, view, limit=PAGE_SIZE + 1, after=cursor)
            shown = found[:PAGE_SIZE]
            older = Cursor.of(shown[-1]) if len(found) > PAGE_SIZE else None
            newest = Cursor.of(shown[0]) if shown else (cursor or _START)
            return Listing(_rows(session, shown, user), older, newest)

    @require("viewer", ctx=ctx)
    async def inbox_page(request: Request, user: StaffUser) -> Response:
        try:
            view, cursor = _parse(request)
        except FilterError as exc:
            return staff_message(
                request, "Bad filter", f"{exc}.", 400, user=user,
                link=("/staff/alerts", "Show every alert"),
            )  # fmt: skip
        query = view.query_string()
        canonical = "&".join(p for p in (query, cursor and f"cursor={cursor.encode()}") if p)
        if request.url.query != canonical:
            return RedirectResponse(_with("/staff/alerts", canonical), status_code=303)
        found = await run_in_threadpool(listing, user, view, cursor)
        updates = "&".join(p for p in (f"after={found.newest.encode()}", query) if p)
        older = found.older and "&".join(p for p in (query, f"cursor={found.older.encode()}") if p)
        return staff_page(
            request, "staff/alerts.html", user=user, title="Alerts", view=view,
            rows=found.rows, query=query, statuses=STATUSES,
            older=_with("/staff/alerts", older) if older else None,
            updates=_with("/staff/alerts/updates", updates) if cursor is None else None,
            show=_with("/staff/alerts", query), poll_seconds=POLL_SECONDS,
            headers=SCRIPT_HEADERS,
        )  # fmt: skip

    def count_newer(view: InboxQuery, after: Cursor) -> int:
        with Session(ctx.engine) as session:
            found = inbox.select_inbox(session, view, limit=UPDATES_LIMIT)
        return dossier.newer(found, after)

    @require("viewer", ctx=ctx)
    async def updates(request: Request, user: StaffUser) -> Response:
        items = request.query_params.multi_items()
        try:
            after = Cursor.decode(next((v for k, v in items if k == "after"), "0-0"))
            view, _ = inbox.parse([(k, v) for k, v in items if k != "after"])
        except FilterError as exc:
            return json_reply({"error": f"{exc}"}, 400)
        return json_reply({"new": await run_in_threadpool(count_newer, view, after)})

    def export(user_id: int, view: InboxQuery, fmt: str, ip: str) -> str:
        now = ctx.clock()
        with Session(ctx.engine) as session:
            found = inbox.select_inbox(session, view, limit=EXPORT_LIMIT)
            query = view.query_string()
            if fmt == "csv":
                body = exports.to_csv(found)
            else:
                body = exports.to_json(found, query=query, exported_at=now.isoformat())
            audit(
                session, user=session.get(StaffUser, user_id), action="alerts.export",
                target=_with("alerts", query), before=None,
                after={"format": fmt, "rows": len(found), "query": query}, now=now, ip=ip,
            )  # fmt: skip
            session.commit()
        return body

    def exporter(fmt: str, media_type: str) -> Any:
        @require("viewer", ctx=ctx)
        async def download(request: Request, user: StaffUser) -> Response:
            try:
                view, _ = _parse(request)
            except FilterError as exc:
                return staff_message(request, "Bad filter", f"{exc}.", 400, user=user)
            assert user.id is not None
            body = await run_in_threadpool(export, user.id, view, fmt, client_ip(request))
            name = f"kratom-alerts-{ctx.clock().strftime('%Y%m%d-%H%M%S')}.{fmt}"
            disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
            return Response(body, media_type=media_type, headers=_EXPORT_HEADERS | disposition)

        return download

    return [
        Route("/staff/alerts", inbox_page, methods=["GET"]),
        Route("/staff/alerts.csv", exporter("csv", "text/csv; charset=utf-8"), methods=["GET"]),
        Route("/staff/alerts.json", exporter("json", "application/json"), methods=["GET"]),
        Route("/staff/alerts/updates", updates, methods=["GET"]),
        *staff_alert_page.routes(ctx),
    ]
