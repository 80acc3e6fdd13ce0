"""``/staff/settings``: a staff member's own settings (the time zone dates are shown in)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from alerts.audit import audit
from alerts.models import StaffUser
from monitor.web.forms import ZONES, client_ip
from monitor.web.staff_auth import field, require, staff_form, staff_page

if TYPE_CHECKING:
    from monitor.web.app import WebContext


def valid_zone(name: str) -> str | None:
    """``name`` when it is an IANA time zone, else None."""
    name = name.strip()
    if not name or len(name) > 64:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def routes(ctx: WebContext) -> list[Route]:
    """The settings page and its form."""

    def page(request: Request, user: StaffUser, status: int = 200, error: str = "") -> Response:
        return staff_page(
            request, "staff/settings.html", status, user=user, title="Settings", zones=ZONES,
            error=error, saved=request.query_params.get("saved") == "1",
        )  # fmt: skip

    @require("viewer", ctx=ctx)
    async def show(request: Request, user: StaffUser) -> Response:
        return page(request, user)

    @require("viewer", ctx=ctx)
    async def save(request: Request, user: StaffUser) -> Response:
        pairs = staff_form(request)
        zone = valid_zone(field(pairs, "time_zone_other") or field(pairs, "time_zone"))
        if zone is None:
            return page(request, user, 400, "Choose a time zone from the list or type one, "
                        "such as America/Chicago.")  # fmt: skip

        def store() -> None:
            with Session(ctx.engine) as session:
                found = session.get_one(StaffUser, user.id)
                before = found.time_zone
                found.time_zone = zone
                session.add(found)
                audit(
                    session, user=found, action="settings.time_zone",
                    target=f"staff_user:{found.id}", before={"time_zone": before},
                    after={"time_zone": zone}, now=ctx.clock(), ip=client_ip(request),
                )  # fmt: skip
                session.commit()

        await run_in_threadpool(store)
        return RedirectResponse("/staff/settings?saved=1", status_code=303)

    return [
        Route("/staff/settings", show, methods=["GET"]),
        Route("/staff/settings", save, methods=["POST"]),
    ]
