"""The audit log: who did what to which record, with the state before and after.

Every dashboard change and every sign-in event writes one entry in the same transaction
as the change itself, so an entry exists exactly when the change was committed.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from alerts.models import AuditEntry, StaffUser

TARGET_LIMIT = 400


def audit(
    session: Session,
    *,
    user: StaffUser | None,
    action: str,
    target: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
    ip: str | None = None,
) -> AuditEntry:
    """Add an entry to the session (the caller commits).

    ``user`` is who acted (None: the command line or an anonymous visitor); ``target``
    names what was acted on, such as ``staff_user:3``; ``before``/``after`` hold the
    fields that changed (JSON-serialisable).
    """
    entry = AuditEntry(
        at=now,
        user_id=user.id if user is not None else None,
        action=action,
        target=target[:TARGET_LIMIT],
        before=before,
        after=after,
        ip=ip[:64] if ip else None,
    )
    session.add(entry)
    return entry


def recent(session: Session, *, limit: int = 100, action: str | None = None) -> list[AuditEntry]:
    """The newest entries first, optionally of one action."""
    query = select(AuditEntry)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    query = query.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc()).limit(limit)
    return list(session.exec(query))


def actions(session: Session) -> list[str]:
    """Every action the log holds, sorted (for a filter)."""
    query = select(AuditEntry.action).distinct().order_by(col(AuditEntry.action))
    return list(session.exec(query))


def compact(data: dict[str, Any] | None) -> str:
    """``before``/``after`` as one line of JSON with sorted keys; "" for None."""
    if data is None:
        return ""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
