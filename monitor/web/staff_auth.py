"""Staff dashboard: sessions, CSRF, sign-in and sign-out, set-password links, the landing page.

**Sessions** are a cookie ``km_staff`` holding ``<user id>:<session nonce>`` signed with the
settings secret (``alerts.tokens``, purpose ``staff-session``), valid 12 hours, sent with
``HttpOnly; SameSite=Lax; Path=/staff`` (and ``Secure`` when the public URL is https). Every
request re-reads the account: a disabled account or a changed nonce (password set, sign out
everywhere, disabled) ends the session at once.

**CSRF**: every form carries a hidden ``csrf`` field, an HMAC of the session cookie (of a
random pre-session cookie ``km_staff_pre`` on the sign-in and set-password pages), checked on
every POST under /staff; a mismatch is a 403 page and changes nothing.

**For other dashboard pages**::

    @require("analyst", ctx=ctx)              # signed out: 303 to sign-in; lower role: 403
    async def inbox(request: Request, user: StaffUser) -> Response:
        pairs = staff_form(request)           # POST: the form, CSRF already checked
        return staff_page(request, "staff/inbox.html", user=user, title="Inbox")

Templates put ``{{ csrf_field }}`` in every form. ``current_user(request, ctx)`` reads the
database: call it in a thread (``require`` does). Add a landing-page link to ``LINKS``.

Sign-in attempts are limited per client IP (20 per 15 minutes, in this process) on top of
the per-account lockout (``alerts.staff``). Whatever fails, the page says the same thing,
so it never tells whether an email has an account.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from alerts import staff, staff_accounts, tokens
from alerts.audit import audit
from alerts.models import StaffUser
from alerts.staff import StaffError
from monitor.web.forms import (
    FORM_LIMIT,
    FORM_TYPES,
    HttpError,
    SlidingWindow,
    client_ip,
    parse_form,
    read_typed,
    render_page,
)

if TYPE_CHECKING:
    from monitor.web.app import WebContext

SESSION_COOKIE = "km_staff"
PRE_COOKIE = "km_staff_pre"
SESSION_PURPOSE = "staff-session"
SESSION_LENGTH = timedelta(hours=12)
LOGIN_IP_LIMIT = (20, timedelta(minutes=15))
SIGN_IN_FAILED = (
    "That email and password did not work. Check them and try again. After 5 wrong "
    "passwords in a row an account is locked for 15 minutes."
)
# (permission, path, label, what it is for): the landing page and the header show the
# ones the signed-in role has.
LINKS: tuple[tuple[str, str, str, str], ...] = (
    ("read", "/staff/alerts", "Alerts", "The alert inbox: filter, open, triage, correct, export."),
    ("read", "/staff/overview", "Overview", "Alerts by kind, jurisdictions, recent incidents."),
    ("read", "/staff/documents", "Claims", "Marketing articles, their health claims and alerts."),
    ("read", "/staff/sources", "Sources", "Health and schedule of each agency source."),
    ("read_audit", "/staff/audit", "Audit log", "Who did what, with CSV export."),
    ("manage_subscribers", "/staff/subscribers", "Subscribers", "Counts, suppressions, export."),
    ("read", "/staff/settings", "Settings", "Your time zone for dates on these pages."),
    ("manage_users", "/staff/users", "Users", "Add staff, change roles, disable accounts."),
)

StaffEndpoint = Callable[[Request, StaffUser], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


# --- cookies and CSRF -----------------------------------------------------------------


def _secure(ctx: WebContext) -> bool:
    return ctx.settings.base_url.startswith("https://")


def _set_cookie(
    response: Response, ctx: WebContext, name: str, value: str, max_age: int | None
) -> None:
    # Written by hand: the attributes are exactly these, in this spelling.
    parts = [f"{name}={value}", "Path=/staff", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if _secure(ctx):
        parts.append("Secure")
    response.headers.append("Set-Cookie", "; ".join(parts))


def _csrf_for(secret: str, basis: str) -> str:
    return hmac.new(secret.encode(), f"staff-csrf\n{basis}".encode(), hashlib.sha256).hexdigest()


def _prepare_csrf(request: Request, ctx: WebContext, *, signed_in: bool) -> None:
    """Work out this request's CSRF token: from the session cookie when signed in, else
    from the pre-session cookie, made now (and set by ``staff_page``) when missing.
    """
    if signed_in:
        basis = request.cookies.get(SESSION_COOKIE, "")
    else:
        basis = request.cookies.get(PRE_COOKIE, "")
        if not basis:
            basis = secrets.token_urlsafe(24)
            request.state.staff_new_pre = basis
    request.state.staff_csrf = _csrf_for(ctx.settings.secret, basis)


def csrf_token(request: Request) -> str:
    """The CSRF token forms on this page must send (``require`` prepares it)."""
    token = getattr(request.state, "staff_csrf", None)
    if not isinstance(token, str):
        raise RuntimeError("no CSRF token: the endpoint is not wrapped by require()")
    return token


def csrf_field(request: Request) -> Markup:
    """The hidden form field with this page's CSRF token."""
    return Markup('<input type="hidden" name="csrf" value="{}">').format(csrf_token(request))


def _csrf_ok(request: Request, ctx: WebContext, pairs: list[tuple[str, str]], cookie: str) -> bool:
    basis = request.cookies.get(cookie, "")
    given = next((value for name, value in pairs if name == "csrf"), "")
    expected = _csrf_for(ctx.settings.secret, basis)
    return bool(basis) and hmac.compare_digest(given.encode(), expected.encode())


# --- pages ----------------------------------------------------------------------------


def links_for(user: StaffUser | None) -> list[tuple[str, str, str]]:
    """(path, label, description) of the dashboard pages ``user``'s role may use."""
    if user is None:
        return []
    return [(path, label, what) for need, path, label, what in LINKS if staff.may(user.role, need)]


def staff_page(
    request: Request,
    template: str,
    status: int = 200,
    *,
    user: StaffUser | None,
    headers: dict[str, str] | None = None,
    **values: Any,
) -> Response:
    """A page under templates/staff/ with the user, header links and ``csrf_field``."""
    values.setdefault("title", "Staff")
    response = render_page(
        template, status, headers, user=user, nav=links_for(user),
        csrf_field=csrf_field(request), **values,
    )  # fmt: skip
    new_pre = getattr(request.state, "staff_new_pre", None)
    ctx = getattr(request.state, "staff_ctx", None)
    if isinstance(new_pre, str) and ctx is not None:
        _set_cookie(response, ctx, PRE_COOKIE, new_pre, None)
    return response


def staff_message(
    request: Request,
    title: str,
    text: str,
    status: int = 200,
    *,
    user: StaffUser | None,
    link: tuple[str, str] | None = None,
) -> Response:
    return staff_page(
        request, "staff/message.html", status, user=user, title=title, text=text, link=link
    )


def forbidden(request: Request, user: StaffUser, needed: str) -> Response:
    """The 403 page for a role that may not use this page."""
    return staff_message(
        request, "Not allowed",
        f"This page needs the {needed} role; you are signed in as {user.role}. "
        "Ask an admin if you need it.",
        403, user=user, link=("/staff", "Back to the dashboard"),
    )  # fmt: skip


def csrf_failed(request: Request, user: StaffUser | None) -> Response:
    """The 403 page for a form whose CSRF token does not match: nothing was changed."""
    return staff_message(
        request, "This form has expired",
        "Nothing was changed: the form was too old or did not come from this site. "
        "Go back, reload the page and try again.",
        403, user=user, link=("/staff", "Back to the dashboard"),
    )  # fmt: skip


def safe_next(value: str | None) -> str:
    """``value`` when it is a path on the staff dashboard, else ``/staff``: never another
    site, never outside /staff, never the sign-in pages themselves.
    """
    if not value or len(value) > 500 or any(c in value for c in "\\\r\n\t\x00"):
        return "/staff"
    parts = urlsplit(value)
    path = unquote(parts.path)
    if parts.scheme or parts.netloc or not value.startswith("/"):
        return "/staff"
    if not (path == "/staff" or path.startswith("/staff/")) or "//" in path:
        return "/staff"
    if any(segment in (".", "..") for segment in path.split("/")):
        return "/staff"
    if path.startswith(("/staff/sign-in", "/staff/sign-out", "/staff/set-password")):
        return "/staff"
    return value


def _to_sign_in(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    next_path = safe_next(target) if request.method == "GET" else "/staff"
    query = "" if next_path == "/staff" else f"?next={quote(next_path, safe='/')}"
    return RedirectResponse(f"/staff/sign-in{query}", status_code=303)


# --- who is signed in ------------------------------------------------------------------


def _session_value(ctx: WebContext, user: StaffUser) -> str:
    payload = f"{user.id}:{user.session_nonce}"
    expires = ctx.clock() + SESSION_LENGTH
    return tokens.sign(ctx.settings.secret, SESSION_PURPOSE, payload, expires=expires)


def current_user(request: Request, ctx: WebContext) -> StaffUser | None:
    """The signed-in, enabled staff user of this request, or None. Reads the database
    (once per request): call it in a thread.
    """
    if hasattr(request.state, "staff_user"):
        known: StaffUser | None = request.state.staff_user
        return known
    user: StaffUser | None = None
    value = request.cookies.get(SESSION_COOKIE, "")
    try:
        payload = tokens.verify(ctx.settings.secret, SESSION_PURPOSE, value, now=ctx.clock())
    except tokens.TokenError:
        payload = ""
    user_id, _, nonce = payload.partition(":")
    if user_id.isdigit():
        with Session(ctx.engine) as session:
            found = session.get(StaffUser, int(user_id))
        if found is not None and not found.disabled and staff.nonce_matches(found, nonce):
            user = found
    request.state.staff_user = user
    return user


def require(
    role: str,
    *,
    ctx: WebContext,
    form_limit: int = FORM_LIMIT,
    multiline: frozenset[str] = frozenset(),
) -> Callable[[StaffEndpoint], Endpoint]:
    """Wrap an endpoint ``(request, user) -> Response`` for staff of ``role`` or above.

    Signed out: 303 to the sign-in page (coming back here after, for a GET). Lower role:
    a 403 page. POST: the body must be a form with the session's CSRF token (else 403,
    nothing runs); the endpoint reads it with ``staff_form(request)``. ``form_limit`` and
    ``multiline`` (fields that may hold line breaks) are for forms with a textarea.
    """
    staff.check_role(role)

    def wrap(endpoint: StaffEndpoint) -> Endpoint:
        async def guarded(request: Request) -> Response:
            request.state.staff_ctx = ctx
            user = await run_in_threadpool(current_user, request, ctx)
            if user is None:
                return _to_sign_in(request)
            _prepare_csrf(request, ctx, signed_in=True)
            if not staff.at_least(user.role, role):
                return forbidden(request, user, role)
            if request.method == "POST":
                try:
                    body = await read_typed(request, FORM_TYPES, limit=form_limit)
                    pairs = parse_form(body, multiline=multiline)
                except HttpError as problem:
                    return staff_message(
                        request, "That did not work", problem.message, problem.status, user=user
                    )
                if not _csrf_ok(request, ctx, pairs, SESSION_COOKIE):
                    return csrf_failed(request, user)
                request.state.staff_form = pairs
            return await endpoint(request, user)

        guarded.__name__ = getattr(endpoint, "__name__", "staff_endpoint")
        guarded.__doc__ = endpoint.__doc__
        return guarded

    return wrap


def staff_form(request: Request) -> list[tuple[str, str]]:
    """The POSTed form of a ``require``-wrapped endpoint (its CSRF token already checked)."""
    pairs = getattr(request.state, "staff_form", None)
    if not isinstance(pairs, list):
        raise RuntimeError("no form: the endpoint is not a POST wrapped by require()")
    return pairs


def field(pairs: list[tuple[str, str]], name: str, default: str = "") -> str:
    """The first value of ``name`` in a form."""
    return next((value for key, value in pairs if key == name), default)


# --- routes ---------------------------------------------------------------------------


def routes(ctx: WebContext) -> list[Route]:
    """Sign-in, sign-out, set-password and the landing page."""
    per_ip = SlidingWindow(*LOGIN_IP_LIMIT, clock=lambda: ctx.clock())

    def public(request: Request) -> None:
        request.state.staff_ctx = ctx
        _prepare_csrf(request, ctx, signed_in=False)

    def sign_in_page(
        request: Request,
        status: int = 200,
        headers: dict[str, str] | None = None,
        *,
        error: str | None = None,
        **values: Any,
    ) -> Response:
        values.setdefault("email", "")
        values.setdefault("notice", None)
        values.setdefault("next_path", safe_next(request.query_params.get("next")))
        return staff_page(
            request, "staff/sign_in.html", status, user=None, headers=headers,
            title="Sign in", error=error, **values,
        )  # fmt: skip

    async def sign_in_get(request: Request) -> Response:
        public(request)
        if await run_in_threadpool(current_user, request, ctx) is not None:
            return RedirectResponse(safe_next(request.query_params.get("next")), 303)
        notices = {
            "signed_out": "You are signed out.",
            "password_set": "Your password is set. Sign in with it.",
        }
        notice = next((text for key, text in notices.items() if key in request.query_params), None)
        return sign_in_page(request, notice=notice)

    def do_sign_in(email: str, password: str, ip: str) -> str | None:
        with Session(ctx.engine) as session:
            user = staff_accounts.sign_in(
                session, email=email, password=password, now=ctx.clock(), ip=ip
            )
            session.commit()
            return _session_value(ctx, user) if user is not None else None

    async def sign_in_post(request: Request) -> Response:
        public(request)
        ip = client_ip(request)
        try:
            pairs = parse_form(await read_typed(request, FORM_TYPES))
        except HttpError as problem:
            return sign_in_page(request, problem.status, error=problem.message)
        email, next_path = field(pairs, "email")[:320], safe_next(field(pairs, "next"))
        if not _csrf_ok(request, ctx, pairs, PRE_COOKIE):
            return csrf_failed(request, None)
        wait = per_ip.hit(ip)
        if wait is not None:
            return sign_in_page(
                request, 429, {"Retry-After": str(wait)},
                error="Too many sign-in attempts from your network. Try again in "
                f"{max(1, -(-wait // 60))} minutes.", email=email, next_path=next_path,
            )  # fmt: skip
        cookie = await run_in_threadpool(do_sign_in, email, field(pairs, "password"), ip)
        if cookie is None:
            return sign_in_page(
                request, 400, error=SIGN_IN_FAILED, email=email, next_path=next_path
            )
        response = RedirectResponse(next_path, status_code=303)
        _set_cookie(response, ctx, SESSION_COOKIE, cookie, int(SESSION_LENGTH.total_seconds()))
        return response

    def do_sign_out(user_id: int, everywhere: bool, ip: str) -> None:
        with Session(ctx.engine) as session:
            user = session.get(StaffUser, user_id)
            if user is None:
                return
            if everywhere:
                staff_accounts.sign_out_everywhere(session, user, now=ctx.clock(), ip=ip)
            else:
                audit(
                    session, user=user, action="sign_out", target=staff_accounts.target(user),
                    before=None, after=None, now=ctx.clock(), ip=ip,
                )  # fmt: skip
            session.commit()

    @require("viewer", ctx=ctx)
    async def sign_out(request: Request, user: StaffUser) -> Response:
        everywhere = field(staff_form(request), "everywhere") == "1"
        assert user.id is not None
        await run_in_threadpool(do_sign_out, user.id, everywhere, client_ip(request))
        response = RedirectResponse("/staff/sign-in?signed_out=1", status_code=303)
        _set_cookie(response, ctx, SESSION_COOKIE, "", 0)
        return response

    @require("viewer", ctx=ctx)
    async def home(request: Request, user: StaffUser) -> Response:
        return staff_page(
            request, "staff/home.html", user=user, title="Staff dashboard",
            summary=staff.ROLE_SUMMARIES.get(user.role, ""),
        )  # fmt: skip

    def link_owner(token: str) -> StaffUser | None:
        with Session(ctx.engine) as session:
            try:
                return staff_accounts.from_password_link(
                    session, ctx.settings.secret, token, now=ctx.clock()
                )
            except tokens.TokenError:
                return None

    def bad_link(request: Request) -> Response:
        return staff_message(
            request, "This link does not work",
            "Set-password links work once and for 24 hours. Ask an admin for a new one.",
            400, user=None, link=("/staff/sign-in", "Sign in"),
        )  # fmt: skip

    async def set_password_get(request: Request) -> Response:
        public(request)
        owner = await run_in_threadpool(link_owner, request.path_params["token"])
        if owner is None:
            return bad_link(request)
        return staff_page(
            request, "staff/set_password.html", user=None, title="Set your password",
            email=owner.email, token=request.path_params["token"], error=None,
        )  # fmt: skip

    def do_set_password(token: str, password: str, ip: str) -> str | None:
        """None when set; else the error to show ('' for a link that no longer works)."""
        with Session(ctx.engine) as session:
            try:
                user = staff_accounts.from_password_link(
                    session, ctx.settings.secret, token, now=ctx.clock()
                )
                staff_accounts.set_password(session, user, password, now=ctx.clock(), ip=ip)
                session.commit()
            except tokens.TokenError:
                return ""
            except StaffError as exc:
                return str(exc).capitalize() + "."
            except IntegrityError:
                return ""
        return None

    async def set_password_post(request: Request) -> Response:
        public(request)
        token = request.path_params["token"]
        try:
            pairs = parse_form(await read_typed(request, FORM_TYPES))
        except HttpError as problem:
            return staff_message(
                request, "That did not work", problem.message, problem.status, user=None
            )
        if not _csrf_ok(request, ctx, pairs, PRE_COOKIE):
            return csrf_failed(request, None)
        password, again = field(pairs, "password"), field(pairs, "password_again")
        error = (
            "The two passwords are not the same."
            if password != again
            else await run_in_threadpool(do_set_password, token, password, client_ip(request))
        )
        if error == "":
            return bad_link(request)
        if error is not None:
            owner = await run_in_threadpool(link_owner, token)
            if owner is None:
                return bad_link(request)
            return staff_page(
                request, "staff/set_password.html", 400, user=None, title="Set your password",
                email=owner.email, token=token, error=error,
            )  # fmt: skip
        return RedirectResponse("/staff/sign-in?password_set=1", status_code=303)

    return [
        Route("/staff", home, methods=["GET"]),
        Route("/staff/sign-in", sign_in_get, methods=["GET"]),
        Route("/staff/sign-in", sign_in_post, methods=["POST"]),
        Route("/staff/sign-out", sign_out, methods=["POST"]),
        Route("/staff/set-password/{token}", set_password_get, methods=["GET"]),
        Route("/staff/set-password/{token}", set_password_post, methods=["POST"]),
    ]
