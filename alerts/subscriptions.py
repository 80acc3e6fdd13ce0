"""Subscribers: validation, double opt-in, preferences, matching, suppression.

Pure rules plus keyword-only data functions; the caller owns the transaction. Links
carry signed tokens (``alerts.tokens``) bound to the subscriber's ``token_nonce``, which
changes when they confirm again, so old links stop working.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from alerts import tokens
from alerts.draft import KINDS, SEVERITIES
from alerts.models import Alert, Subscriber
from alerts.places import place_matches

DELIVERIES = ("immediate", "daily", "weekly")
HAZARDS = (
    "salmonella", "listeria", "e_coli", "heavy_metals", "7oh_potency", "undeclared_kratom",
    "opioid_effects", "unapproved_drug",
)  # fmt: skip
CONFIRM_VALID = timedelta(hours=72)
RESEND_WINDOW = timedelta(minutes=15)  # no second confirmation mail within this
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_REGION = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$")


class SubscriptionError(ValueError):
    """Bad subscription input; the message is safe to show to the person."""


@dataclass
class Preferences:
    """What a subscriber wants. Empty lists mean "any"."""

    kinds: list[str] = field(default_factory=list)
    jurisdictions: list[str] = field(default_factory=list)
    hazards: list[str] = field(default_factory=list)
    min_severity: str = "info"
    delivery: str = "immediate"
    timezone: str = "UTC"
    send_hour: int = 8

    def validated(self) -> Preferences:
        """A cleaned copy; SubscriptionError names the first bad field."""
        kinds = _members("alert kind", self.kinds, KINDS)
        hazards = _members("hazard", self.hazards, HAZARDS)
        regions = sorted({r.strip().upper() for r in self.jurisdictions if r.strip()})
        bad = [r for r in regions if not _REGION.match(r)]
        if bad:
            raise SubscriptionError(f"not an ISO 3166 code: {bad[0]!r} (use US, US-FL, CA ...)")
        if self.min_severity not in SEVERITIES:
            raise SubscriptionError(f"minimum severity must be one of {', '.join(SEVERITIES)}")
        if self.delivery not in DELIVERIES:
            raise SubscriptionError(f"delivery must be one of {', '.join(DELIVERIES)}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SubscriptionError(f"unknown time zone {self.timezone!r}") from None
        if not 0 <= self.send_hour <= 23:
            raise SubscriptionError("send hour must be between 0 and 23")
        return Preferences(
            kinds, regions, hazards, self.min_severity, self.delivery, self.timezone, self.send_hour
        )


def _members(what: str, values: list[str], allowed: tuple[str, ...]) -> list[str]:
    cleaned = sorted({v.strip() for v in values if v.strip()})
    for value in cleaned:
        if value not in allowed:
            raise SubscriptionError(f"unknown {what} {value!r}")
    return cleaned


def normalize_email(raw: str) -> str:
    """A plausible address, trimmed and lower-cased; SubscriptionError if not.

    The whole address is lower-cased: providers treat local parts case-insensitively in
    practice, and one person must not hold two subscriptions (or dodge the resend window)
    by changing case. CR, LF and other control characters are refused (header injection).
    """
    if any(ord(c) < 32 or c == "\x7f" for c in raw):
        raise SubscriptionError("the address contains control characters")
    address = raw.strip()
    if len(address) > 254 or not _EMAIL.match(address):
        raise SubscriptionError("that does not look like an email address")
    return address.lower()


def matches(subscriber: Subscriber, alert: Alert) -> bool:
    """True when the alert passes every filter the subscriber set."""
    return wants(
        kinds=frozenset(subscriber.kinds),
        hazards=frozenset(subscriber.hazards),
        min_rank=SEVERITIES.index(subscriber.min_severity),
        places=frozenset(subscriber.jurisdictions),
        alert=alert,
    )


def wants(
    *,
    kinds: frozenset[str],
    hazards: frozenset[str],
    min_rank: int,
    places: frozenset[str],
    alert: Alert,
) -> bool:
    """The filter rule itself (empty sets mean "any"); fan-out calls it per subscriber."""
    if kinds and alert.kind not in kinds:
        return False
    if hazards and not hazards.intersection(alert.hazards):
        return False
    if SEVERITIES.index(alert.severity) < min_rank:
        return False
    return not places or place_matches(places, alert.jurisdiction, alert.regions)


def active(subscriber: Subscriber) -> bool:
    """Confirmed, not paused, not unsubscribed or suppressed."""
    return subscriber.status == "confirmed" and not subscriber.paused


@dataclass
class SubscribeResult:
    subscriber: Subscriber
    send_confirmation: bool


def subscribe(
    session: Session, *, email: str, prefs: Preferences, now: datetime, ip: str | None = None
) -> SubscribeResult:
    """Record a subscription request; the caller sends a confirmation when asked to.

    A repeat within ``RESEND_WINDOW`` sends no second confirmation. A confirmed address
    keeps its status and gets its preferences replaced only through its own link, so a
    stranger cannot change someone else's subscription by typing their address.
    """
    address = normalize_email(email)
    prefs = prefs.validated()
    subscriber = session.exec(select(Subscriber).where(Subscriber.email == address)).first()
    if subscriber is None:
        subscriber = Subscriber(email=address, created_at=now, created_ip=ip)
        subscriber.token_nonce = secrets.token_hex(8)
        apply(subscriber, prefs)
    elif subscriber.status == "confirmed":
        return SubscribeResult(subscriber, send_confirmation=False)
    elif subscriber.status in ("pending", "unsubscribed", "suppressed"):
        apply(subscriber, prefs)
    recent = (
        subscriber.confirm_sent_at is not None and now - subscriber.confirm_sent_at < RESEND_WINDOW
    )
    if not recent:
        subscriber.confirm_sent_at = now
    session.add(subscriber)
    session.flush()
    return SubscribeResult(subscriber, send_confirmation=not recent)


def apply(subscriber: Subscriber, prefs: Preferences) -> None:
    """Copy validated preferences onto a subscriber."""
    subscriber.kinds = list(prefs.kinds)
    subscriber.jurisdictions = list(prefs.jurisdictions)
    subscriber.hazards = list(prefs.hazards)
    subscriber.min_severity = prefs.min_severity
    subscriber.delivery = prefs.delivery
    subscriber.timezone = prefs.timezone
    subscriber.send_hour = prefs.send_hour


def preferences_of(subscriber: Subscriber) -> Preferences:
    return Preferences(
        list(subscriber.kinds), list(subscriber.jurisdictions), list(subscriber.hazards),
        subscriber.min_severity, subscriber.delivery, subscriber.timezone, subscriber.send_hour,
    )  # fmt: skip


def confirm(session: Session, subscriber: Subscriber, *, now: datetime) -> None:
    """Mark confirmed (also un-suppresses: confirming again is how a bounced address returns).

    Coming back after an unsubscribe or a suppression gets a fresh nonce, so links in
    mail from before stop working.
    """
    if subscriber.status in ("unsubscribed", "suppressed"):
        subscriber.token_nonce = secrets.token_hex(8)
    subscriber.status = "confirmed"
    subscriber.confirmed_at = now
    subscriber.paused = False
    subscriber.suppressed_at = None
    subscriber.suppression_reason = None
    subscriber.soft_bounces = 0
    subscriber.unsubscribed_at = None
    subscriber.last_digest_at = subscriber.last_digest_at or now
    session.add(subscriber)


def unsubscribe(session: Session, subscriber: Subscriber, *, now: datetime) -> None:
    subscriber.status = "unsubscribed"
    subscriber.unsubscribed_at = now
    session.add(subscriber)


def suppress(session: Session, subscriber: Subscriber, *, reason: str, now: datetime) -> None:
    subscriber.status = "suppressed"
    subscriber.suppressed_at = now
    subscriber.suppression_reason = reason
    session.add(subscriber)


# --- link tokens -------------------------------------------------------------


def link_token(secret: str, purpose: str, subscriber: Subscriber, *, now: datetime) -> str:
    """A signed token for ``confirm`` (expires), ``prefs`` or ``unsubscribe`` links."""
    expires = now + CONFIRM_VALID if purpose == "confirm" else None
    return tokens.sign(
        secret, purpose, f"{subscriber.id}:{subscriber.token_nonce}", expires=expires
    )


def from_token(
    session: Session, secret: str, purpose: str, token: str, *, now: datetime
) -> Subscriber:
    """The subscriber a valid, current token names; TokenError otherwise."""
    payload = tokens.verify(secret, purpose, token, now=now)
    ident, _, nonce = payload.partition(":")
    subscriber = session.get(Subscriber, int(ident)) if ident.isdigit() else None
    if subscriber is None or not secrets.compare_digest(subscriber.token_nonce, nonce):
        raise tokens.TokenError("link no longer valid")
    return subscriber
