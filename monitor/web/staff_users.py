"""Staff dashboard: user management, for admins.

``GET /staff/users`` lists every account with forms to change its role, disable or enable
it, and make a new set-password link; ``POST /staff/users`` adds an account. A new account
has no password: the page shows its set-password link once (valid 24 hours, works once)
for the admin to pass on. Every change is audited with the admin and their IP. The last
enabled admin can be neither demoted nor disabled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from alerts import staff, staff_accounts
from alerts.models import StaffUser
from alerts.staff import ROLES, StaffError
from monitor.web.forms import client_ip
from monitor.web.staff_auth import field, require, staff_form, staff_page

if TYPE_CHECKING:
    from monitor.web.app import WebContext


@dataclass
class Outcome:
    """What a user-management action did: a notice or an error, and a link to show once."""

    status: int = 200
    notice: str | None = None
    error: str | None = None
    link: tuple[str, str] | None = None  # (email, set-password URL)


# Changes one account: (session, acting admin, account) -> what to show.
Change = Callable[[Session, StaffUser, StaffUser], Outcome]


def _local(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return "never"
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def _row(user: StaffUser, viewer: StaffUser, now: datetime) -> dict[str, Any]:
    if user.disabled:
        status = "Disabled"
    elif staff.is_locked(user, now):
        status = "Locked until " + _local(user.locked_until, viewer.time_zone)
    elif user.password_hash is None:
        status = "No password yet"
    else:
        status = "Active"
    return {
        "id": user.id, "email": user.email, "role": user.role, "disabled": user.disabled,
        "status": status, "last_login": _local(user.last_login_at, viewer.time_zone),
        "is_self": user.id == viewer.id,
    }  # fmt: skip


def routes(ctx: WebContext) -> list[Route]:
    """The user administration page and its actions (admin only)."""

    def link_url(token: str) -> str:
        return f"{ctx.settings.base_url}/staff/set-password/{token}"

    def rows(viewer: StaffUser) -> list[dict[str, Any]]:
        with Session(ctx.engine) as session:
            now = ctx.clock()
            return [_row(u, viewer, now) for u in staff_accounts.all_users(session)]

    async def page(
        request: Request, viewer: StaffUser, outcome: Outcome, form: dict[str, str] | None = None
    ) -> Response:
        return staff_page(
            request, "staff/users.html", outcome.status, user=viewer, title="Staff users",
            users=await run_in_threadpool(rows, viewer), roles=ROLES,
            summaries=staff.ROLE_SUMMARIES, outcome=outcome,
            form=form or {"email": "", "role": "viewer"},
        )  # fmt: skip

    @require("admin", ctx=ctx)
    async def users_page(request: Request, user: StaffUser) -> Response:
        return await page(request, user, Outcome())

    def do_add(viewer_id: int, email: str, role: str, ip: str) -> Outcome:
        with Session(ctx.engine) as session:
            viewer = session.get(StaffUser, viewer_id)
            now = ctx.clock()
            try:
                added = staff_accounts.add_user(
                    session, email=email, role=role, by=viewer, now=now, ip=ip
                )
                token = staff_accounts.password_link(
                    session, ctx.settings.secret, added, by=viewer, now=now, ip=ip
                )
                session.commit()
            except StaffError as exc:
                return Outcome(400, error=str(exc).capitalize() + ".")
            except IntegrityError:  # a concurrent request added the same address
                return Outcome(400, error="That address already has a staff account.")
            return Outcome(
                notice=f"Added {added.email} as {added.role}.", link=(added.email, link_url(token))
            )

    @require("admin", ctx=ctx)
    async def add(request: Request, user: StaffUser) -> Response:
        pairs = staff_form(request)
        email, role = field(pairs, "email")[:320], field(pairs, "role")
        assert user.id is not None
        outcome = await run_in_threadpool(do_add, user.id, email, role, client_ip(request))
        form = {"email": email, "role": role} if outcome.error else None
        return await page(request, user, outcome, form)

    def do_change(viewer_id: int, target_id: int, change: Change) -> Outcome:
        with Session(ctx.engine) as session:
            viewer = session.get(StaffUser, viewer_id)
            target = session.get(StaffUser, target_id)
            if viewer is None or target is None:
                return Outcome(404, error="There is no such staff user.")
            try:
                outcome = change(session, viewer, target)
                session.commit()
            except StaffError as exc:
                return Outcome(400, error=str(exc).capitalize() + ".")
            return outcome

    async def changed(request: Request, user: StaffUser, change: Change) -> Response:
        assert user.id is not None
        target_id = int(request.path_params["user_id"])
        outcome = await run_in_threadpool(do_change, user.id, target_id, change)
        return await page(request, user, outcome)

    @require("admin", ctx=ctx)
    async def set_role(request: Request, user: StaffUser) -> Response:
        role, ip = field(staff_form(request), "role"), client_ip(request)

        def change(session: Session, viewer: StaffUser, target: StaffUser) -> Outcome:
            done = staff_accounts.change_role(
                session, target, role, by=viewer, now=ctx.clock(), ip=ip
            )
            verb = "is now" if done else "was already"
            return Outcome(notice=f"{target.email} {verb} {role}.")

        return await changed(request, user, change)

    @require("admin", ctx=ctx)
    async def set_access(request: Request, user: StaffUser) -> Response:
        action, ip = field(staff_form(request), "action"), client_ip(request)

        def change(session: Session, viewer: StaffUser, target: StaffUser) -> Outcome:
            if action not in ("disable", "enable"):
                return Outcome(400, error="Choose to disable or enable the account.")
            done = staff_accounts.set_disabled(
                session, target, action == "disable", by=viewer, now=ctx.clock(), ip=ip
            )
            verb = "is now" if done else "was already"
            return Outcome(notice=f"{target.email} {verb} {action}d.")

        return await changed(request, user, change)

    @require("admin", ctx=ctx)
    async def new_link(request: Request, user: StaffUser) -> Response:
        ip = client_ip(request)

        def change(session: Session, viewer: StaffUser, target: StaffUser) -> Outcome:
            token = staff_accounts.password_link(
                session, ctx.settings.secret, target, by=viewer, now=ctx.clock(), ip=ip
            )
            return Outcome(
                notice=f"New set-password link for {target.email}.",
                link=(target.email, link_url(token)),
            )

        return await changed(request, user, change)

    return [
        Route("/staff/users", users_page, methods=["GET"]),
        Route("/staff/users", add, methods=["POST"]),
        Route("/staff/users/{user_id:int}/role", set_role, methods=["POST"]),
        Route("/staff/users/{user_id:int}/access", set_access, methods=["POST"]),
        Route("/staff/users/{user_id:int}/link", new_link, methods=["POST"]),
    ]
