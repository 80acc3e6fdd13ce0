"""Staff accounts, the rules: roles and what each may do, passwords, the lockout.

Pure: no database, no settings. Secrets are passed in. The functions that store accounts
and write the audit log are in ``alerts.staff_accounts``.

- Roles are ranked: a ``viewer`` reads; an ``analyst`` also triages and corrects alerts;
  an ``admin`` also manages staff users and subscribers, polls a source on demand and
  reads the audit log.
- A password has at least 12 characters and is not the account's email (nor its part
  before the ``@``). It is stored as an Argon2id hash; when the hashing parameters change,
  the next successful sign-in stores a fresh hash.
- Five wrong passwords in a row lock the account for 15 minutes; a right one resets the
  count. While locked, every attempt fails, even with the right password, and is not
  counted. The count starts again from zero when the lock is set.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from alerts import subscriptions, tokens
from alerts.models import StaffUser
from alerts.subscriptions import SubscriptionError

ROLES = ("viewer", "analyst", "admin")
PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "analyst": frozenset({"read", "triage"}),
    "admin": frozenset(
        {"read", "triage", "manage_users", "manage_subscribers", "read_audit", "poll_sources"}
    ),
}
ROLE_SUMMARIES = {
    "viewer": "reads alerts, sources and jurisdictions",
    "analyst": "reads, and triages and corrects alerts",
    "admin": "reads, triages and corrects alerts, polls sources on demand, manages staff "
    "users and subscribers, and reads the audit log",
}
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # hashing cost grows with length: refuse absurd input
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
LINK_VALID = timedelta(hours=24)
LINK_PURPOSE = "staff-set-password"
HASHER = PasswordHasher()


class StaffError(ValueError):
    """A staff account request that breaks a rule; the message is safe to show."""


def check_role(role: str) -> str:
    """``role`` if it is one of ROLES; StaffError otherwise."""
    if role not in ROLES:
        raise StaffError(f"unknown role {role!r}; choose {', '.join(ROLES)}")
    return role


def at_least(role: str, needed: str) -> bool:
    """True when ``role`` ranks at or above ``needed`` (unknown roles rank below all)."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(check_role(needed))


def may(role: str, permission: str) -> bool:
    """True when ``role`` grants ``permission`` (read, triage, manage_users, ...)."""
    return permission in PERMISSIONS.get(role, frozenset())


def normalize_email(raw: str) -> str:
    """A plausible address, trimmed and lower-cased; StaffError if not."""
    try:
        return subscriptions.normalize_email(raw)
    except SubscriptionError as exc:
        raise StaffError(str(exc)) from None


def check_password(password: str, *, email: str) -> None:
    """StaffError naming what is wrong with ``password`` for the account ``email``."""
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise StaffError(f"the password must have at most {MAX_PASSWORD} characters")
    given = password.strip().lower()
    address = email.strip().lower()
    if given in (address, address.partition("@")[0]):
        raise StaffError("the password must not be your email address")


def hash_password(password: str, *, hasher: PasswordHasher = HASHER) -> str:
    return hasher.hash(password)


@dataclass(frozen=True)
class Verified:
    """Whether a password matched, and the hash to store instead when it is outdated."""

    ok: bool
    new_hash: str | None = None


def verify_password(
    stored: str | None, password: str, *, hasher: PasswordHasher = HASHER
) -> Verified:
    """Check ``password`` against ``stored``; with no stored hash, spend the same time."""
    if len(password) > MAX_PASSWORD:
        return Verified(False)
    try:
        hasher.verify(stored or _dummy_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        return Verified(False)
    if stored is None:
        return Verified(False)
    return Verified(True, hasher.hash(password) if hasher.check_needs_rehash(stored) else None)


_DUMMIES: dict[tuple[int, int, int], str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    # Unknown accounts are checked against a hash of the same cost, so the time taken
    # does not tell whether an email has an account.
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _DUMMIES:
        _DUMMIES[key] = hasher.hash(secrets.token_hex(16))
    return _DUMMIES[key]


def is_locked(user: StaffUser, now: datetime) -> bool:
    return user.locked_until is not None and now < user.locked_until


@dataclass(frozen=True)
class Attempt:
    """The outcome of one sign-in attempt on an existing account.

    outcome: ``ok``, ``wrong_password``, ``locked`` (refused: the account is locked),
    ``disabled`` or ``no_password`` (the account's link was never used).
    ``locked_now`` is True when this attempt set the lock.
    """

    outcome: str
    locked_now: bool = False
    rehashed: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def attempt(
    user: StaffUser, password: str, *, now: datetime, hasher: PasswordHasher = HASHER
) -> Attempt:
    """Check a sign-in and update the account's counters, lock and hash (not stored)."""
    if is_locked(user, now):
        verify_password(None, password, hasher=hasher)  # same time as any other attempt
        return Attempt("locked")
    verified = verify_password(user.password_hash, password, hasher=hasher)
    if user.disabled:
        return Attempt("disabled")
    if user.password_hash is None:
        return Attempt("no_password")
    if not verified.ok:
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
            return Attempt("wrong_password", locked_now=True)
        return Attempt("wrong_password")
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    if verified.new_hash is not None:
        user.password_hash = verified.new_hash
    return Attempt("ok", rehashed=verified.new_hash is not None)


def new_nonce() -> str:
    return secrets.token_hex(16)


def password_link_token(secret: str, user: StaffUser, *, now: datetime) -> str:
    """A set-password token for ``user``, valid LINK_VALID and until the nonce changes."""
    payload = f"{user.id}:{user.session_nonce}"
    return tokens.sign(secret, LINK_PURPOSE, payload, expires=now + LINK_VALID)


def password_link_subject(secret: str, token: str, *, now: datetime) -> tuple[int, str]:
    """The (user id, nonce) a set-password token names; TokenError when it is not valid."""
    user_id, _, nonce = tokens.verify(secret, LINK_PURPOSE, token, now=now).partition(":")
    if not user_id.isdigit() or not nonce:
        raise tokens.TokenError("malformed token")
    return int(user_id), nonce


def nonce_matches(user: StaffUser, nonce: str) -> bool:
    return bool(user.session_nonce) and secrets.compare_digest(user.session_nonce, nonce)
