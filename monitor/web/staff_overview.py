"""Staff overview and sources pages (viewers and up), and the admins' "Poll now".

``/staff/overview``: alerts by kind over the last 24 months (inline SVG from
``alerts.charts``), the jurisdiction status table with rows to review flagged, and the
20 most recently updated incidents. ``/staff/sources``: each enabled source's health and
schedule. ``POST /staff/sources/{key}/poll`` (admins) makes the source due now, so the
next worker tick polls it, and writes a ``source.poll_now`` audit entry. Times show in
the staff user's own time zone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from alerts import charts, jurisdictions, overview, staff
from alerts.audit import audit
from alerts.draft import KINDS
from alerts.models import SourceState, StaffUser
from monitor.web.forms import client_ip
from monitor.web.staff_auth import require, staff_message, staff_page
from sources.registry import BY_KEY

if TYPE_CHECKING:
    from monitor.web.app import WebContext

CHART_MONTHS = 24
INCIDENTS = 20
# Where an alert opens from the overview: its staff page (triage, revisions, evidence).
ALERT_PAGE = "/staff/alerts/{}"


def zone_of(user: StaffUser) -> ZoneInfo:
    try:
        return ZoneInfo(user.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local(moment: datetime | None, user: StaffUser, empty: str = "never") -> str:
    """``moment`` as ``2026-03-01 07:00 EST`` in ``user``'s time zone."""
    if moment is None:
        return empty
    return moment.astimezone(zone_of(user)).strftime("%Y-%m-%d %H:%M %Z")


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"


def every(interval: timedelta) -> str:
    """A cadence in words: ``every 30 minutes``, ``every 6 hours``."""
    seconds = int(interval.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"every {count} {unit}{'s' if count != 1 else ''}"
    return f"every {seconds} seconds"


def first_month(today: date, months: int) -> date:
    """The first day of the month ``months - 1`` months before ``today``'s."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def _source_row(key: str, state: SourceState, ctx: WebContext, user: StaffUser) -> dict[str, Any]:
    source, now = BY_KEY[key], ctx.clock()
    cadence = ctx.settings.every(key, source.every)
    due = state.next_poll_at
    if due is None:
        next_poll = "not scheduled yet (no worker has started)"
    elif due <= now:
        next_poll = "due now"
    else:
        next_poll = f"{local(due, user)} (in {_span(due - now)})"
    leased = state.lease_expires_at is not None and state.lease_expires_at > now
    status = state.status
    if source.needs_key and not ctx.settings.api_keys.get(source.needs_key):
        status = "needs_config"  # shown before any poll has said so
    return {
        "covers": source.covers, "key_name": source.needs_key or "",
        "key_set": bool(source.needs_key and ctx.settings.api_keys.get(source.needs_key)),
        "key": key, "title": source.title, "agency": source.agency,
        "url": ctx.settings.source_url(key, source.url), "status": status,
        "polling": leased, "last_success": local(state.last_success_at, user),
        "last_error": state.last_error or "", "last_error_at": local(state.last_error_at, user),
        "failures": state.consecutive_failures, "every": every(cadence),
        "items_seen": state.items_seen, "next_poll": next_poll,
    }  # fmt: skip


def routes(ctx: WebContext) -> list[Route]:
    """The overview, the sources page and Poll now."""

    def enabled() -> list[str]:
        return [key for key in ctx.sources if key in BY_KEY]

    def overview_data(user: StaffUser) -> dict[str, Any]:
        today = ctx.clock().date()
        with Session(ctx.engine) as session:
            series = charts.counts_by_kind_over_time(
                session, since=first_month(today, CHART_MONTHS), until=today
            )
            table = jurisdictions.status_table(session)
            incidents = overview.recent_incidents(session, limit=INCIDENTS)
        svg = charts.stacked_bars_svg(
            series, kinds=KINDS, title=f"Alerts by kind, last {CHART_MONTHS} months"
        )
        return {
            "chart": Markup(svg),  # noqa: S704 -- alerts.charts escapes every text it draws
            "jurisdictions": table,
            "status_labels": jurisdictions.STATUS_LABELS,
            "review": sum(row.changed_since_curated for row in table),
            "incidents": [
                {"row": row, "updated": local(row.updated_at, user)} for row in incidents
            ],
        }

    @require("viewer", ctx=ctx)
    async def overview_page(request: Request, user: StaffUser) -> Response:
        data = await run_in_threadpool(overview_data, user)
        return staff_page(
            request, "staff/overview.html", user=user, title="Overview", alert_page=ALERT_PAGE,
            **data,
        )  # fmt: skip

    def source_rows(user: StaffUser) -> list[dict[str, Any]]:
        keys = enabled()
        with Session(ctx.engine) as session:
            found = session.exec(select(SourceState).where(col(SourceState.key).in_(keys)))
            states = {state.key: state for state in found}
        return [_source_row(k, states.get(k) or SourceState(key=k), ctx, user) for k in keys]

    @require("viewer", ctx=ctx)
    async def sources_page(request: Request, user: StaffUser) -> Response:
        rows = await run_in_threadpool(source_rows, user)
        polled = request.query_params.get("polled", "")
        notice = None
        if polled in enabled():
            notice = (
                f"{BY_KEY[polled].title} is due now: the worker polls it at its next tick. "
                "Reload this page to see the result."
            )
        return staff_page(
            request, "staff/sources.html", user=user, title="Sources", sources=rows,
            notice=notice, can_poll=staff.may(user.role, "poll_sources"),
        )  # fmt: skip

    def do_poll_now(user_id: int, key: str, ip: str) -> None:
        for attempt in range(2):  # a concurrent first request may insert the row first
            with Session(ctx.engine) as session:
                user = session.get(StaffUser, user_id)
                state = session.get(SourceState, key) or SourceState(key=key)
                now = ctx.clock()
                before = state.next_poll_at.isoformat() if state.next_poll_at else None
                state.next_poll_at = now
                session.add(state)
                audit(
                    session, user=user, action="source.poll_now", target=f"source:{key}",
                    before={"next_poll_at": before}, after={"next_poll_at": now.isoformat()},
                    now=now, ip=ip,
                )  # fmt: skip
                try:
                    session.commit()
                    return
                except IntegrityError:
                    if attempt:
                        raise

    @require("admin", ctx=ctx)
    async def poll_now(request: Request, user: StaffUser) -> Response:
        key = request.path_params["key"]
        if key not in enabled():
            return staff_message(
                request, "No such source", "There is no enabled source with this key.", 404,
                user=user, link=("/staff/sources", "Back to the sources"),
            )  # fmt: skip
        assert user.id is not None
        await run_in_threadpool(do_poll_now, user.id, key, client_ip(request))
        return RedirectResponse(f"/staff/sources?polled={key}", status_code=303)

    return [
        Route("/staff/overview", overview_page, methods=["GET"]),
        Route("/staff/sources", sources_page, methods=["GET"]),
        Route("/staff/sources/{key}/poll", poll_now, methods=["POST"]),
    ]
