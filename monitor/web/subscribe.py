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
import json
import math
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import jinja2
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from alerts import bounces, outbox, subscriptions, tokens
from alerts.draft import KINDS, SEVERITIES
from alerts.models import Subscriber
from alerts.subscriptions import DELIVERIES, HAZARDS, Preferences, SubscriptionError

if TYPE_CHECKING:
    from monitor.web.app import WebContext

FORM_LIMIT = 16 * 1024
BOUNCE_LIMIT = 1024 * 1024
IP_LIMIT = (10, timedelta(hours=1))
ADDRESS_LIMIT = (3, timedelta(hours=1))
FORM_TYPES = frozenset({"application/x-www-form-urlencoded"})
ONE_CLICK_TYPES = FORM_TYPES | {"multipart/form-data"}  # RFC 8058 senders use either
BOUNCE_TYPES = ("message/", "text/", "multipart/report", "application/octet-stream")
NEUTRAL = (
    "If this address can receive alerts, a message is on its way to it: open the link in it "
    "within 72 hours to confirm. Already subscribed? Use the preferences link at the bottom "
    "of any alert."
)

KIND_LABELS = {
    "warning_letter": "FDA warning letters", "ftc_joint": "Joint FDA/FTC warning letters",
    "advisory": "Advisories and public warnings", "recall": "Recalls",
    "outbreak": "Outbreaks (Salmonella and others)", "lab_results": "Lab test results",
    "import_alert": "Import alerts", "seizure": "Seizures", "scheduling": "Scheduling (DEA, HHS)",
    "state_law": "State laws", "adverse_event": "Adverse event reports", "notice": "Other notices",
}  # fmt: skip
HAZARD_LABELS = {
    "salmonella": "Salmonella", "listeria": "Listeria", "e_coli": "E. coli",
    "heavy_metals": "Heavy metals", "7oh_potency": "High 7-OH potency",
    "undeclared_kratom": "Undeclared kratom", "opioid_effects": "Opioid-like effects",
    "unapproved_drug": "Unapproved drug claims",
}  # fmt: skip
SEVERITY_LABELS = {
    "info": "Everything", "low": "Low and above", "moderate": "Moderate and above",
    "high": "High and above", "critical": "Critical only",
}  # fmt: skip
DELIVERY_LABELS = {
    "immediate": "Immediately, one email per alert",
    "daily": "Daily digest",
    "weekly": "Weekly digest (Mondays)",
}
ZONES = (
    "UTC", "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico",
    "America/Toronto", "America/Vancouver", "America/Mexico_City", "Europe/London",
    "Europe/Berlin", "Asia/Bangkok", "Asia/Kuala_Lumpur", "Asia/Jakarta", "Australia/Sydney",
)  # fmt: skip
_ERROR_FIELDS = (
    ("alert kind", "kinds"), ("ISO 3166", "jurisdictions"), ("hazard", "hazards"),
    ("severity", "min_severity"), ("delivery", "delivery"), ("time zone", "timezone"),
    ("send hour", "send_hour"), ("address", "email"), ("email", "email"),
)  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HOUR = re.compile(r"[0-9]{1,2}")
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _label(labels: dict[str, str], value: str) -> str:
    return labels.get(value) or value.replace("_", " ").capitalize()


_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_TEMPLATES.globals.update(
    kind_choices=[(k, _label(KIND_LABELS, k)) for k in KINDS],
    hazard_choices=[(h, _label(HAZARD_LABELS, h)) for h in HAZARDS],
    severity_choices=[(s, _label(SEVERITY_LABELS, s)) for s in SEVERITIES],
    delivery_choices=[(d, _label(DELIVERY_LABELS, d)) for d in DELIVERIES],
    zones=ZONES,
)


class SlidingWindow:
    """At most ``limit`` hits per key within any ``window``, kept in this process's memory."""

    def __init__(
        self,
        limit: int,
        window: timedelta,
        *,
        clock: Callable[[], datetime],
        max_keys: int = 50_000,
    ) -> None:
        self.limit, self.window, self.clock, self.max_keys = (
            limit, window.total_seconds(), clock, max_keys,
        )  # fmt: skip
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> int | None:
        """Count a hit and return None, or refuse it: the seconds until one is allowed."""
        now = self.clock().timestamp()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1, math.ceil(hits[0] + self.window - now))
            hits.append(now)
            if len(self._hits) > self.max_keys:
                self._prune(now)
            return None

    def _prune(self, now: float) -> None:
        # Bounded memory: forget idle keys, then (under a flood of keys) the oldest ones.
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window]:
            del self._hits[key]
        for key in list(self._hits)[: max(0, len(self._hits) - self.max_keys)]:
            del self._hits[key]


class _HttpError(Exception):
    """A request we refuse; ``message`` is safe to show (it is escaped when shown)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


@dataclass
class FormState:
    """What a preferences form shows: submitted text as typed, or a subscriber's settings."""

    email: str = ""
    kinds: list[str] = field(default_factory=list)
    jurisdictions: str = ""
    hazards: list[str] = field(default_factory=list)
    min_severity: str = "info"
    delivery: str = "immediate"
    timezone: str = "UTC"
    timezone_other: str = ""
    send_hour: str = "8"

    @classmethod
    def of_pairs(cls, pairs: list[tuple[str, str]]) -> FormState:
        values: dict[str, list[str]] = {}
        for name, value in pairs:
            values.setdefault(name, []).append(value)

        def one(name: str, default: str) -> str:
            return values.get(name, [default])[0]

        return cls(
            one("email", ""), values.get("kinds", []), one("jurisdictions", ""),
            values.get("hazards", []), one("min_severity", "info"), one("delivery", "immediate"),
            one("timezone", "UTC"), one("timezone_other", ""), one("send_hour", "8"),
        )  # fmt: skip

    @classmethod
    def of_prefs(cls, prefs: Preferences) -> FormState:
        listed = prefs.timezone in ZONES
        return cls(
            "", list(prefs.kinds), ", ".join(prefs.jurisdictions), list(prefs.hazards),
            prefs.min_severity, prefs.delivery, prefs.timezone if listed else "",
            "" if listed else prefs.timezone, str(prefs.send_hour),
        )  # fmt: skip

    def preferences(self) -> Preferences:
        """Validated preferences; SubscriptionError names the first bad field."""
        zone = self.timezone_other.strip() or self.timezone.strip()
        if not zone:
            raise SubscriptionError("choose a time zone or type one")
        if not _HOUR.fullmatch(self.send_hour.strip()):
            raise SubscriptionError("send hour must be between 0 and 23")
        regions = [r for r in re.split(r"[\s,;]+", self.jurisdictions) if r]
        return Preferences(
            list(self.kinds), regions, list(self.hazards), self.min_severity, self.delivery,
            zone, int(self.send_hour),
        ).validated()  # fmt: skip


def _field_of(message: str) -> str | None:
    return next((name for clue, name in _ERROR_FIELDS if clue in message), None)


def _page(
    template: str, status: int = 200, headers: dict[str, str] | None = None, **ctx: Any
) -> Response:
    body = _TEMPLATES.get_template(template).render(**ctx)
    return HTMLResponse(body, status_code=status, headers={**_SECURITY_HEADERS, **(headers or {})})


def _message(title: str, text: str, status: int = 200, **ctx: Any) -> Response:
    ctx.setdefault("link", None)
    return _page("message.html", status, title=title, text=text, **ctx)


def _json(
    data: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse(data, status_code=status, headers={**_SECURITY_HEADERS, **(headers or {})})


def _media_type(request: Request) -> tuple[str, str | None]:
    media, _, params = request.headers.get("content-type", "").partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


async def _read(request: Request, limit: int) -> bytes:
    """The body, refusing (413) anything larger than ``limit`` before reading all of it."""
    declared = request.headers.get("content-length")
    if declared is not None and not declared.isdigit():
        raise _HttpError(400, "The Content-Length header is not a number.")
    if declared is not None and int(declared) > limit:
        raise _HttpError(413, f"The request is larger than {limit // 1024} KB.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _HttpError(413, f"The request is larger than {limit // 1024} KB.")
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_typed(
    request: Request, allowed: frozenset[str], *, empty_ok: bool = False
) -> bytes:
    media, charset = _media_type(request)
    if charset not in (None, "utf-8", "utf8"):
        raise _HttpError(415, "Send the data as UTF-8.")
    body = await _read(request, FORM_LIMIT)
    if media not in allowed and not (empty_ok and not body):
        raise _HttpError(415, f"Send the data as {' or '.join(sorted(allowed))}.")
    return body


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise _HttpError(400, "The data is not valid UTF-8.") from None


def _no_controls(*values: str) -> None:
    if any(_CONTROL.search(v) for v in values):
        raise _HttpError(400, "Line breaks and other control characters are not allowed.")


def _form(body: bytes) -> list[tuple[str, str]]:
    try:
        pairs = parse_qsl(_text(body), keep_blank_values=True, errors="strict", max_num_fields=200)
    except UnicodeDecodeError:
        raise _HttpError(400, "The form data is not valid UTF-8.") from None
    except ValueError:
        raise _HttpError(400, "The form data could not be read.") from None
    for name, value in pairs:
        _no_controls(name, value)
    return pairs


_JSON_FIELDS = frozenset(
    {
        "email",
        "kinds",
        "jurisdictions",
        "hazards",
        "min_severity",
        "delivery",
        "timezone",
        "send_hour",
    }
)


def _strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings_in(item)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (str(k), *_strings_in(v))]
    return []


def _from_json(body: bytes) -> tuple[str, Preferences]:
    """Email and validated preferences from an API body; _HttpError or SubscriptionError."""
    try:
        data = json.loads(_text(body))
    except ValueError:
        raise _HttpError(400, "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise _HttpError(400, "The body must be a JSON object.")
    _no_controls(*_strings_in(data))
    unknown = sorted(set(data) - _JSON_FIELDS)
    if unknown:
        raise SubscriptionError(f"unknown field {unknown[0]!r}")

    def strings(name: str) -> list[str]:
        value = data.get(name, [])
        if isinstance(value, str) and name == "jurisdictions":
            return [r for r in re.split(r"[\s,;]+", value) if r]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SubscriptionError(f"{name} must be a list of strings")
        return value

    def string(name: str, default: str) -> str:
        value = data.get(name, default)
        if not isinstance(value, str):
            raise SubscriptionError(f"{name} must be a string")
        return value

    hour = data.get("send_hour", 8)
    if isinstance(hour, bool) or not isinstance(hour, int):
        raise SubscriptionError("send hour must be between 0 and 23")
    email = subscriptions.normalize_email(string("email", ""))
    prefs = Preferences(
        strings("kinds"), strings("jurisdictions"), strings("hazards"),
        string("min_severity", "info"), string("delivery", "immediate"), string("timezone", "UTC"),
        hour,
    ).validated()  # fmt: skip
    return email, prefs


def _limited(window: SlidingWindow, key: str, what: str) -> None:
    wait = window.hit(key)
    if wait is not None:
        minutes = max(1, math.ceil(wait / 60))
        raise _HttpError(
            429, f"Too many {what}. Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
            {"Retry-After": str(wait)},
        )  # fmt: skip


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


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
        return _page("subscribe.html", state=FormState(), error=None, field=None)

    async def subscribe_form(request: Request) -> Response:
        state = FormState()
        try:
            ip = _client_ip(request)
            _limited(per_ip, ip, "subscription requests from your network")
            state = FormState.of_pairs(_form(await _read_typed(request, FORM_TYPES)))
            email = subscriptions.normalize_email(state.email)
            prefs = state.preferences()
            _limited(per_address, email.lower(), "requests for this address")
            await run_in_threadpool(store_subscription, email, prefs, ip)
        except SubscriptionError as exc:
            error = str(exc)
            return _page("subscribe.html", 400, state=state, error=error, field=_field_of(error))
        except _HttpError as problem:
            return _page(
                "subscribe.html", problem.status, problem.headers, state=state,
                error=problem.message, field=None,
            )  # fmt: skip
        return _message("Check your inbox", NEUTRAL)

    async def subscribe_api(request: Request) -> Response:
        try:
            ip = _client_ip(request)
            _limited(per_ip, ip, "subscription requests from your network")
            email, prefs = _from_json(await _read_typed(request, frozenset({"application/json"})))
            _limited(per_address, email.lower(), "requests for this address")
            await run_in_threadpool(store_subscription, email, prefs, ip)
        except SubscriptionError as exc:
            return _json({"error": str(exc)}, 400)
        except _HttpError as problem:
            return _json({"error": problem.message}, problem.status, problem.headers)
        return _json({"status": "check your inbox", "message": NEUTRAL}, 202)

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
            return _message(
                "This link does not work",
                "The confirmation link is invalid, has expired (they last 72 hours) or was "
                "replaced by a newer one. Subscribe again to get a fresh link.",
                400, link=("/subscribe", "Subscribe again"), noindex=True,
            )  # fmt: skip
        already, prefs_token, summary = done
        return _page(
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
            return _message(
                "This link does not work",
                "The preferences link is invalid or no longer valid (links change when you "
                "subscribe again). Use the link in your most recent alert.",
                400, link=("/subscribe", "Subscribe"), noindex=True,
            )  # fmt: skip
        extra.setdefault("state", data["prefs"])
        extra.setdefault("error", notice if status >= 400 else None)
        extra.setdefault("field", None)
        return _page(
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
            pairs = _form(await _read_typed(request, FORM_TYPES))
        except _HttpError as problem:
            return _message("That did not work", problem.message, problem.status, noindex=True)
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
                    field=_field_of(error),
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
        return _message(
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
        return _page("unsubscribe.html", token=token, already=before == "unsubscribed")

    async def unsubscribe_post(request: Request) -> Response:
        try:
            await _read_typed(request, ONE_CLICK_TYPES, empty_ok=True)
        except _HttpError as problem:
            return _message("That did not work", problem.message, problem.status, noindex=True)
        before = await run_in_threadpool(do_unsubscribe, request.path_params["token"], act=True)
        if before is None:
            return bad_unsubscribe_link()
        return _message(
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
            return _json({"error": "not found"}, 404)
        given = request.query_params.get("key") or request.headers.get("x-bounce-key", "")
        if not hmac.compare_digest(given.encode(), settings.bounce_key.encode()):
            return _json({"error": "forbidden"}, 403)
        media, _ = _media_type(request)
        if media and not media.startswith(BOUNCE_TYPES):
            return _json({"error": "send the raw message as message/rfc822 or text/plain"}, 415)
        try:
            raw = await _read(request, BOUNCE_LIMIT)
        except _HttpError as problem:
            return _json({"error": problem.message}, problem.status)
        outcomes = await run_in_threadpool(process_bounce, raw)
        return _json({"processed": len(outcomes), "outcomes": outcomes})

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
