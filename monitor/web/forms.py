"""Request handling for the public pages: limits, parsing, rate windows, rendering.

Everything here is about turning an untrusted HTTP request into validated values (or a
clear 4xx) and a page back; the routes in ``monitor.web.subscribe`` decide what happens.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from alerts import subscriptions
from alerts.draft import KINDS, SEVERITIES
from alerts.subscriptions import DELIVERIES, HAZARDS, Preferences, SubscriptionError

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


class HttpError(Exception):
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


def field_of(message: str) -> str | None:
    return next((name for clue, name in _ERROR_FIELDS if clue in message), None)


def render_page(
    template: str, status: int = 200, headers: dict[str, str] | None = None, **ctx: Any
) -> Response:
    body = _TEMPLATES.get_template(template).render(**ctx)
    return HTMLResponse(body, status_code=status, headers={**_SECURITY_HEADERS, **(headers or {})})


def message_page(title: str, text: str, status: int = 200, **ctx: Any) -> Response:
    ctx.setdefault("link", None)
    return render_page("message.html", status, title=title, text=text, **ctx)


def json_reply(
    data: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse(data, status_code=status, headers={**_SECURITY_HEADERS, **(headers or {})})


def media_type(request: Request) -> tuple[str, str | None]:
    media, _, params = request.headers.get("content-type", "").partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing (413) anything larger than ``limit`` before reading all of it."""
    declared = request.headers.get("content-length")
    if declared is not None and not declared.isdigit():
        raise HttpError(400, "The Content-Length header is not a number.")
    if declared is not None and int(declared) > limit:
        raise HttpError(413, f"The request is larger than {limit // 1024} KB.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HttpError(413, f"The request is larger than {limit // 1024} KB.")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_typed(
    request: Request, allowed: frozenset[str], *, empty_ok: bool = False, limit: int = FORM_LIMIT
) -> bytes:
    media, charset = media_type(request)
    if charset not in (None, "utf-8", "utf8"):
        raise HttpError(415, "Send the data as UTF-8.")
    body = await read_body(request, limit)
    if media not in allowed and not (empty_ok and not body):
        raise HttpError(415, f"Send the data as {' or '.join(sorted(allowed))}.")
    return body


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise HttpError(400, "The data is not valid UTF-8.") from None


def _no_controls(*values: str) -> None:
    if any(_CONTROL.search(v) for v in values):
        raise HttpError(400, "Line breaks and other control characters are not allowed.")


def parse_form(body: bytes, *, multiline: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """Form pairs; control characters are refused, except line breaks and tabs in the
    ``multiline`` fields (a textarea).
    """
    try:
        pairs = parse_qsl(_text(body), keep_blank_values=True, errors="strict", max_num_fields=200)
    except UnicodeDecodeError:
        raise HttpError(400, "The form data is not valid UTF-8.") from None
    except ValueError:
        raise HttpError(400, "The form data could not be read.") from None
    for name, value in pairs:
        _no_controls(name, re.sub(r"[\r\n\t]", "", value) if name in multiline else value)
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


def from_json(body: bytes) -> tuple[str, Preferences]:
    """Email and validated preferences from an API body; HttpError or SubscriptionError."""
    try:
        data = json.loads(_text(body))
    except ValueError:
        raise HttpError(400, "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise HttpError(400, "The body must be a JSON object.")
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


def limited(window: SlidingWindow, key: str, what: str) -> None:
    wait = window.hit(key)
    if wait is not None:
        minutes = max(1, math.ceil(wait / 60))
        raise HttpError(
            429, f"Too many {what}. Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
            {"Retry-After": str(wait)},
        )  # fmt: skip


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
