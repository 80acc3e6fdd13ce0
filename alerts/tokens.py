"""Signed tokens for links in mail (confirm, preferences, unsubscribe) and bounce addresses.

A token is ``<purpose-free payload>.<expiry>.<signature>`` in URL-safe base64, signed with
HMAC-SHA256 over the purpose, payload and expiry, so a preferences token cannot be
used to confirm, and an edited payload fails. Pure functions: the secret is passed in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime


class TokenError(ValueError):
    """The token is malformed, tampered with, for another purpose, or expired."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, purpose: str, payload: str, expires: int) -> str:
    message = f"{purpose}\n{payload}\n{expires}".encode()
    return _b64(hmac.new(secret.encode(), message, hashlib.sha256).digest()[:18])


def sign(secret: str, purpose: str, payload: str, *, expires: datetime | None = None) -> str:
    """A token carrying ``payload`` for ``purpose``; ``expires=None`` never expires."""
    stamp = int(expires.timestamp()) if expires else 0
    encoded = _b64(payload.encode())
    return f"{encoded}.{stamp:x}.{_signature(secret, purpose, encoded, stamp)}"


def verify(secret: str, purpose: str, token: str, *, now: datetime) -> str:
    """The payload of a valid token; TokenError otherwise."""
    try:
        encoded, stamp_hex, signature = token.split(".")
        stamp = int(stamp_hex, 16)
    except ValueError:
        raise TokenError("malformed token") from None
    expected = _signature(secret, purpose, encoded, stamp)
    if not hmac.compare_digest(expected, signature):
        raise TokenError("bad signature")
    if stamp and now.timestamp() > stamp:
        raise TokenError("expired")
    try:
        return _unb64(encoded).decode()
    except (ValueError, UnicodeDecodeError):
        raise TokenError("malformed token") from None


def bounce_address(secret: str, subscriber_id: int, domain: str) -> str:
    """The envelope sender for mail to a subscriber: bounces name who they were for."""
    return f"bounces+{sign(secret, 'bounce', str(subscriber_id))}@{domain}"


def subscriber_from_bounce_address(secret: str, address: str, *, now: datetime) -> int:
    """The subscriber id inside a bounce address; TokenError if it is not one of ours."""
    local = address.strip().strip("<>").rpartition("@")[0]
    if not local.startswith("bounces+"):
        raise TokenError("not a bounce address")
    try:
        return int(verify(secret, "bounce", local[len("bounces+") :], now=now))
    except ValueError as exc:
        raise TokenError(str(exc)) from None
