"""Staff accounts, stored: add, change, disable, set passwords, sign in; each change audited.

Plain functions on a session; the caller commits. ``by`` is the staff user acting (None:
the command line). Every function that changes an account writes its audit entry in the
same session, so the entry is committed together with the change.

Errors: StaffError (``alerts.staff``) for a request that breaks a rule, with a message
that is safe to show; TokenError for a set-password link that is not (or no longer) valid.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import func
from sqlmodel import Session, col, select

from alerts import staff, tokens
from alerts.audit import audit
from alerts.models import StaffUser
from alerts.staff import StaffError


def target(user: StaffUser) -> str:
    return f"staff_user:{user.id}"


def snapshot(user: StaffUser) -> dict[str, Any]:
    """The fields of an account the audit log records."""
    return {"email": user.email, "role": user.role, "disabled": user.disabled}


def find(session: Session, email: str) -> StaffUser | None:
    """The account for ``email`` (any case), or None."""
    address = email.strip().lower()
    return session.exec(select(StaffUser).where(StaffUser.email == address)).first()


def get(session: Session, user_id: int) -> StaffUser | None:
    return session.get(StaffUser, user_id)


def all_users(session: Session) -> list[StaffUser]:
    """Every account, by email."""
    return list(session.exec(select(StaffUser).order_by(col(StaffUser.email))))


def add_user(
    session: Session,
    *,
    email: str,
    role: str,
    password: str | None = None,
    by: StaffUser | None,
    now: datetime,
    ip: str | None = None,
) -> StaffUser:
    """A new account (flushed, so it has an id). Without ``password`` it cannot sign in
    until someone opens its set-password link. StaffError for a bad email, role or
    password, or an email that already has an account.
    """
    address = staff.normalize_email(email)
    staff.check_role(role)
    if password is not None:
        staff.check_password(password, email=address)
    if find(session, address) is not None:
        raise StaffError(f"{address} already has a staff account")
    user = StaffUser(
        email=address, role=role, created_at=now, session_nonce=staff.new_nonce(),
        password_hash=staff.hash_password(password) if password is not None else None,
    )  # fmt: skip
    session.add(user)
    session.flush()
    audit(
        session, user=by, action="user_add", target=target(user), before=None,
        after={**snapshot(user), "password_set": password is not None}, now=now, ip=ip,
    )  # fmt: skip
    return user


def _enabled_admins(session: Session) -> int:
    query = select(func.count()).select_from(StaffUser)
    query = query.where(StaffUser.role == "admin", col(StaffUser.disabled).is_(False))
    return int(session.exec(query).one())


def _keep_an_admin(session: Session, user: StaffUser) -> None:
    if user.role == "admin" and not user.disabled and _enabled_admins(session) <= 1:
        raise StaffError(f"{user.email} is the only admin; make another admin first")


def change_role(
    session: Session,
    user: StaffUser,
    role: str,
    *,
    by: StaffUser | None,
    now: datetime,
    ip: str | None = None,
) -> bool:
    """Give ``user`` another role; False when it already had it. The last enabled admin
    keeps the admin role (StaffError).
    """
    staff.check_role(role)
    if user.role == role:
        return False
    _keep_an_admin(session, user)
    before = user.role
    user.role = role
    session.add(user)
    audit(
        session, user=by, action="user_role", target=target(user), before={"role": before},
        after={"role": role}, now=now, ip=ip,
    )  # fmt: skip
    return True


def set_disabled(
    session: Session,
    user: StaffUser,
    disabled: bool,
    *,
    by: StaffUser | None,
    now: datetime,
    ip: str | None = None,
) -> bool:
    """Disable (ending every session and link) or enable ``user``; False when unchanged.
    The last enabled admin cannot be disabled (StaffError).
    """
    if user.disabled == disabled:
        return False
    if disabled:
        _keep_an_admin(session, user)
        user.session_nonce = staff.new_nonce()
    user.disabled = disabled
    session.add(user)
    audit(
        session, user=by, action="user_disable" if disabled else "user_enable",
        target=target(user), before={"disabled": not disabled}, after={"disabled": disabled},
        now=now, ip=ip,
    )  # fmt: skip
    return True


def password_link(
    session: Session,
    secret: str,
    user: StaffUser,
    *,
    by: StaffUser | None,
    now: datetime,
    ip: str | None = None,
) -> str:
    """A set-password token for ``user`` (valid 24 hours, once); the issue is audited."""
    if user.disabled:
        raise StaffError(f"{user.email} is disabled; enable the account first")
    audit(
        session, user=by, action="password_link", target=target(user), before=None,
        after={"valid_until": (now + staff.LINK_VALID).isoformat()}, now=now, ip=ip,
    )  # fmt: skip
    return staff.password_link_token(secret, user, now=now)


def from_password_link(session: Session, secret: str, token: str, *, now: datetime) -> StaffUser:
    """The enabled account a set-password token is for; TokenError when the token is
    malformed, expired, already used (the nonce changed) or the account is disabled.
    """
    user_id, nonce = staff.password_link_subject(secret, token, now=now)
    user = get(session, user_id)
    if user is None or user.disabled or not staff.nonce_matches(user, nonce):
        raise tokens.TokenError("link no longer valid")
    return user


def set_password(
    session: Session, user: StaffUser, password: str, *, now: datetime, ip: str | None = None
) -> None:
    """Store a new password (StaffError if it breaks the policy); this ends every session
    and set-password link of the account and lifts a lock.
    """
    staff.check_password(password, email=user.email)
    user.password_hash = staff.hash_password(password)
    user.session_nonce = staff.new_nonce()
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    audit(
        session, user=user, action="password_set", target=target(user), before=None,
        after=None, now=now, ip=ip,
    )  # fmt: skip


def sign_out_everywhere(
    session: Session, user: StaffUser, *, now: datetime, ip: str | None = None
) -> None:
    """End every session of ``user`` (and outstanding set-password links)."""
    user.session_nonce = staff.new_nonce()
    session.add(user)
    audit(
        session, user=user, action="sign_out_everywhere", target=target(user), before=None,
        after=None, now=now, ip=ip,
    )  # fmt: skip


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    now: datetime,
    ip: str | None = None,
    hasher: PasswordHasher = staff.HASHER,
) -> StaffUser | None:
    """The account when ``email`` and ``password`` sign in, else None (whatever the reason).

    Audits ``sign_in`` or ``sign_in_failed`` (with the reason), and ``lockout`` when this
    attempt locked the account.
    """
    address = email.strip().lower()[:320]
    user = find(session, address) if address else None
    if user is None:
        staff.verify_password(None, password, hasher=hasher)  # same time as a known account
        audit(
            session, user=None, action="sign_in_failed", target=f"email:{address}",
            before=None, after={"reason": "unknown_email"}, now=now, ip=ip,
        )  # fmt: skip
        return None
    before = {"failed_logins": user.failed_logins}
    result = staff.attempt(user, password, now=now, hasher=hasher)
    session.add(user)
    if result.ok:
        audit(
            session, user=user, action="sign_in", target=target(user), before=None,
            after={"rehashed": result.rehashed} if result.rehashed else None, now=now, ip=ip,
        )  # fmt: skip
        return user
    counted = before["failed_logins"] + 1 if result.outcome == "wrong_password" else None
    audit(
        session, user=user, action="sign_in_failed", target=target(user), before=before,
        after={"reason": result.outcome, "failed_logins": counted or user.failed_logins},
        now=now, ip=ip,
    )  # fmt: skip
    if result.locked_now:
        assert user.locked_until is not None
        audit(
            session, user=user, action="lockout", target=target(user), before=None,
            after={"locked_until": user.locked_until.isoformat()}, now=now, ip=ip,
        )  # fmt: skip
    return None
