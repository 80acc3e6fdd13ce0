"""Public subscription pages: subscribe, confirm, preferences, one-click unsubscribe, bounces.

Server-rendered HTML (Jinja2, autoescaped, no JavaScript), plus ``POST /api/subscriptions``
for JSON clients. Every page answers with a strict Content-Security-Policy and
``Referrer-Policy: no-referrer`` so the tokens in link URLs do not leak.

- ``GET|POST /subscribe`` and ``POST /api/subscriptions``: the answer is the same neutral
  "check your inbox" whether or not the address is already subscribed; invalid input is
  400 with a message, bodies over 16 KB are 413, control characters (CR/LF: header
  injection) are 400, other content types 415, bodies that are not UTF-8 400.
- ``GET /confirm/{token}``: double opt-in. A link mailed before the address unsubscribed
  (or bounced) does not bring it back; a new request does.
- ``GET|POST /preferences/{token}``: change preferences, pause, resume, unsubscribe.
- ``GET /u/{token}`` shows one button; ``POST /u/{token}`` is RFC 8058 one-click: it
  unsubscribes at once, whatever form body (or none) the mailbox provider sends.
- ``POST /bounces``: raw bounce messages from the mail relay, only with the configured key.

Rate limits are in-process sliding windows driven by the context's clock: per client IP
(10 subscribe requests an hour) and per address (3 an hour). With several web processes
each keeps its own windows, so the effective limit is that many times higher; the rule
that matters most, at most one confirmation mail per address per 15 minutes
(``subscriptions.RESEND_WINDOW``), lives in the database and holds across processes. The
client IP is the peer uvicorn reports: it honours ``X-Forwarded-For`` only from the
addresses in its ``forwarded_allow_ips`` (loopback by default), so put the proxy there.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from alerts import bounces, outbox, subscriptions, tokens
from alerts.models import Subscriber
from alerts.subscriptions import Preferences, SubscriptionError

if TYPE_CHECKING:
    from monitor.web.app import WebContext

from monitor.web.forms import (
    ADDRESS_LIMIT,
    BOUNCE_LIMIT,
    BOUNCE_TYPES,
    FORM_TYPES,
    IP_LIMIT,
    NEUTRAL,
    ONE_CLICK_TYPES,
    FormState,
    HttpError,
    SlidingWindow,
    client_ip,
    field_of,
    from_json,
    json_reply,
    limited,
    media_type,
    message_page,
    parse_form,
    read_body,
    read_typed,
    render_page,
)


def routes(ctx: WebContext) -> list[Route]:
    """The public subscription routes, with their own rate-limit windows."""
    settings = ctx.settings
    per_ip = SlidingWindow(*IP_LIMIT, clock=lambda: ctx.clock())
    per_address = SlidingWindow(*ADDRESS_LIMIT, clock=lambda: ctx.clock())

    def store_subscription(email: str, prefs: Preferences, ip: str) -> None:
        now = ctx.clock()
        with Session(ctx.engine) as session:
            try:
                result = subscriptions.subscribe(session, email=email, prefs=prefs, now=now, ip=ip)
                if result.send_confirmation:
                    outbox.queue_confirmation(
                        session, result.subscriber, secret=settings.secret,
                        base_url=settings.base_url, now=now,
                    )  # fmt: skip
                session.commit()
            except IntegrityError:  # a concurrent request for the same address won the insert
                session.rollback()

    async def subscribe_page(request: Request) -> Response:
        # "Email" links on alert pages and lists pre-fill the filters of their view.
        prefill = [
            (name, value[:200])
            for name, value in request.query_params.multi_items()
            if name in ("kinds", "hazards", "jurisdictions", "min_severity")
        ][:40]
        state = FormState.of_pairs(prefill)
        return render_page("subscribe.html", state=state, error=None, field=None)

    async def subscribe_form(request: Request) -> Response:
        state = FormState()
        try:
            ip = client_ip(request)
            limited(per_ip, ip, "subscription requests from your network")
            state = FormState.of_pairs(parse_form(await read_typed(request, FORM_TYPES)))
            email = subscriptions.normalize_email(state.email)
            prefs = state.preferences()
            limited(per_address, email.lower(), "requests for this address")
            await run_in_threadpool(store_subscription, email, prefs, ip)
        except SubscriptionError as exc:
            error = str(exc)
            return render_page(
                "subscribe.html", 400, state=state, error=error, field=field_of(error)
            )
        except HttpError as problem:
            return render_page(
                "subscribe.html", problem.status, problem.headers, state=state,
                error=problem.message, field=None,
            )  # fmt: skip
        return message_page("Check your inbox", NEUTRAL)

    async def subscribe_api(request: Request) -> Response:
        try:
            ip = client_ip(request)
            limited(per_ip, ip, "subscription requests from your network")
            email, prefs = from_json(await read_typed(request, frozenset({"application/json"})))
            limited(per_address, email.lower(), "requests for this address")
            await run_in_threadpool(store_subscription, email, prefs, ip)
        except SubscriptionError as exc:
            return json_reply({"error": str(exc)}, 400)
        except HttpError as problem:
            return json_reply({"error": problem.message}, problem.status, problem.headers)
        return json_reply({"status": "check your inbox", "message": NEUTRAL}, 202)

    def do_confirm(token: str) -> tuple[bool, str, str] | None:
        now = ctx.clock()
        with Session(ctx.engine) as session:
            try:
                subscriber = subscriptions.from_token(
                    session, settings.secret, "confirm", token, now=now
                )
            except tokens.TokenError:
                return None
            left = {
                "unsubscribed": subscriber.unsubscribed_at,
                "suppressed": subscriber.suppressed_at,
            }
            since = left.get(subscriber.status)
            asked = subscriber.confirm_sent_at
            if since is not None and (asked is None or asked < since):
                return None  # a link from before they left: only a new request brings them back
            already = subscriber.status == "confirmed"
            if not already:
                subscriptions.confirm(session, subscriber, now=now)
                session.commit()
            prefs_token = subscriptions.link_token(settings.secret, "prefs", subscriber, now=now)
            summary = outbox.describe(subscriptions.preferences_of(subscriber))
            return already, prefs_token, summary

    async def confirm(request: Request) -> Response:
        done = await run_in_threadpool(do_confirm, request.path_params["token"])
        if done is None:
            return message_page(
                "This link does not work",
                "The confirmation link is invalid, has expired (they last 72 hours) or was "
                "replaced by a newer one. Subscribe again to get a fresh link.",
                400, link=("/subscribe", "Subscribe again"), noindex=True,
            )  # fmt: skip
        already, prefs_token, summary = done
        return render_page(
            "confirmed.html", already=already, summary=summary,
            prefs_url=f"/preferences/{prefs_token}",
        )  # fmt: skip

    def view(subscriber: Subscriber) -> dict[str, Any]:
        prefs = subscriptions.preferences_of(subscriber)
        return {
            "email": subscriber.email,
            "status": subscriber.status,
            "paused": subscriber.paused,
            "summary": outbox.describe(prefs),
            "prefs": FormState.of_prefs(prefs),
        }

    def do_preferences(
        token: str, action: str | None, prefs: Preferences | None
    ) -> tuple[int, dict[str, Any] | None, str | None]:
        now = ctx.clock()
        with Session(ctx.engine) as session:
            try:
                subscriber = subscriptions.from_token(
                    session, settings.secret, "prefs", token, now=now
                )
            except tokens.TokenError:
                return 400, None, None
            notice: str | None = None
            if action == "unsubscribe":
                if subscriber.status != "unsubscribed":
                    subscriptions.unsubscribe(session, subscriber, now=now)
                notice = "You are unsubscribed. We will send you no more alerts."
            elif action is None:
                pass
            elif subscriber.status not in ("pending", "confirmed"):
                return 400, view(subscriber), "You get no alerts now: subscribe again first."
            elif action == "save" and prefs is not None:
                subscriptions.apply(subscriber, prefs)
                session.add(subscriber)
                notice = "Your preferences are saved."
            elif action in ("pause", "resume"):
                subscriber.paused = action == "pause"
                session.add(subscriber)
                notice = "Alerts are paused." if subscriber.paused else "Alerts are on again."
            else:
                return 400, view(subscriber), "Unknown action."
            session.commit()
            return 200, view(subscriber), notice

    def preferences_page(
        token: str, status: int, data: dict[str, Any] | None, notice: str | None, **extra: Any
    ) -> Response:
        if data is None:
            return message_page(
                "This link does not work",
                "The preferences link is invalid or no longer valid (links change when you "
                "subscribe again). Use the link in your most recent alert.",
                400, link=("/subscribe", "Subscribe"), noindex=True,
            )  # fmt: skip
        extra.setdefault("state", data["prefs"])
        extra.setdefault("error", notice if status >= 400 else None)
        extra.setdefault("field", None)
        return render_page(
            "preferences.html", status, token=token, view=data,
            notice=notice if status < 400 else None, **extra,
        )  # fmt: skip

    async def preferences_get(request: Request) -> Response:
        token = request.path_params["token"]
        status, data, notice = await run_in_threadpool(do_preferences, token, None, None)
        return preferences_page(token, status, data, notice)

    async def preferences_post(request: Request) -> Response:
        token = request.path_params["token"]
        try:
            pairs = parse_form(await read_typed(request, FORM_TYPES))
        except HttpError as problem:
            return message_page("That did not work", problem.message, problem.status, noindex=True)
        action = dict(pairs).get("action", "save")
        state = FormState.of_pairs(pairs)
        prefs: Preferences | None = None
        if action == "save":
            try:
                prefs = state.preferences()
            except SubscriptionError as exc:
                status, data, _ = await run_in_threadpool(do_preferences, token, None, None)
                error = str(exc)
                return preferences_page(
                    token, 400 if data else status, data, None, state=state, error=error,
                    field=field_of(error),
                )  # fmt: skip
        status, data, notice = await run_in_threadpool(do_preferences, token, action, prefs)
        return preferences_page(token, status, data, notice)

    def do_unsubscribe(token: str, *, act: bool) -> str | None:
        now = ctx.clock()
        with Session(ctx.engine) as session:
            try:
                subscriber = subscriptions.from_token(
                    session, settings.secret, "unsubscribe", token, now=now
                )
            except tokens.TokenError:
                return None
            before = subscriber.status
            if act and before != "unsubscribed":
                subscriptions.unsubscribe(session, subscriber, now=now)
                session.commit()
            return before

    def bad_unsubscribe_link() -> Response:
        return message_page(
            "This link does not work",
            "The unsubscribe link is invalid or no longer valid. Use the link in your most "
            "recent alert, or the preferences link in it.",
            400, noindex=True,
        )  # fmt: skip

    async def unsubscribe_get(request: Request) -> Response:
        token = request.path_params["token"]
        before = await run_in_threadpool(do_unsubscribe, token, act=False)
        if before is None:
            return bad_unsubscribe_link()
        return render_page("unsubscribe.html", token=token, already=before == "unsubscribed")

    async def unsubscribe_post(request: Request) -> Response:
        try:
            await read_typed(request, ONE_CLICK_TYPES, empty_ok=True)
        except HttpError as problem:
            return message_page("That did not work", problem.message, problem.status, noindex=True)
        before = await run_in_threadpool(do_unsubscribe, request.path_params["token"], act=True)
        if before is None:
            return bad_unsubscribe_link()
        return message_page(
            "You are unsubscribed", "We will send you no more alerts.", noindex=True,
            link=("/subscribe", "Changed your mind? Subscribe again"),
        )  # fmt: skip

    def process_bounce(raw: bytes) -> list[str]:
        with Session(ctx.engine) as session:
            results = bounces.process(
                session, raw, secret=settings.secret, now=ctx.clock(),
                soft_limit=settings.soft_bounce_limit,
            )  # fmt: skip
            session.commit()
            return [str(outcome) for _, outcome in results]

    async def bounces_post(request: Request) -> Response:
        if not settings.bounce_key:
            return json_reply({"error": "not found"}, 404)
        given = request.query_params.get("key") or request.headers.get("x-bounce-key", "")
        if not hmac.compare_digest(given.encode(), settings.bounce_key.encode()):
            return json_reply({"error": "forbidden"}, 403)
        media, _ = media_type(request)
        if media and not media.startswith(BOUNCE_TYPES):
            return json_reply(
                {"error": "send the raw message as message/rfc822 or text/plain"}, 415
            )
        try:
            raw = await read_body(request, BOUNCE_LIMIT)
        except HttpError as problem:
            return json_reply({"error": problem.message}, problem.status)
        outcomes = await run_in_threadpool(process_bounce, raw)
        return json_reply({"processed": len(outcomes), "outcomes": outcomes})

    return [
        Route("/subscribe", subscribe_page, methods=["GET"]),
        Route("/subscribe", subscribe_form, methods=["POST"]),
        Route("/api/subscriptions", subscribe_api, methods=["POST"]),
        Route("/confirm/{token}", confirm, methods=["GET"]),
        Route("/preferences/{token}", preferences_get, methods=["GET"]),
        Route("/preferences/{token}", preferences_post, methods=["POST"]),
        Route("/u/{token}", unsubscribe_get, methods=["GET"]),
        Route("/u/{token}", unsubscribe_post, methods=["POST"]),
        Route("/bounces", bounces_post, methods=["POST"]),
    ]
