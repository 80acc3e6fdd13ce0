"""What the staff alert pages show around an alert: evidence, deliveries, people, news.

Read-only queries; the caller owns the session. Evidence rows are loaded without their
archived bodies (up to a few MB each): ``archived`` says which ones kept theirs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from alerts.filters import Cursor
from alerts.models import Alert, Delivery, Evidence, StaffUser

# Delivery ledger kinds as staff call them.
SENT_KINDS = {"immediate": "alert", "correction": "correction", "digest": "digest"}


def evidence_of(session: Session, ids: Iterable[int | None]) -> dict[int, Evidence]:
    """Evidence rows by id, without their bodies."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = session.exec(
        select(Evidence).where(col(Evidence.id).in_(wanted)).options(defer(Evidence.body))  # type: ignore[arg-type]
    )
    return {int(row.id or 0): row for row in rows}


def archived(session: Session, ids: Iterable[int]) -> set[int]:
    """Which of the evidence ``ids`` kept the response body."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    rows = session.exec(
        select(Evidence.id).where(col(Evidence.id).in_(wanted), col(Evidence.body).is_not(None))
    )
    return {int(i) for i in rows if i is not None}


def sent_counts(session: Session, alert_id: int) -> dict[str, int]:
    """Deliveries sent for the alert, by kind: ``alert``, ``correction``, ``digest``."""
    counts = dict.fromkeys(SENT_KINDS.values(), 0)
    rows = session.exec(
        select(Delivery.kind, func.count())
        .where(Delivery.alert_id == alert_id, Delivery.status == "sent")
        .group_by(col(Delivery.kind))
    )
    for kind, count in rows:
        counts[SENT_KINDS.get(kind, kind)] = counts.get(SENT_KINDS.get(kind, kind), 0) + count
    return counts


def assignable(session: Session) -> list[StaffUser]:
    """Staff an alert can be given to: enabled analysts and admins, by email."""
    query = select(StaffUser).where(
        col(StaffUser.role).in_(("analyst", "admin")), col(StaffUser.disabled).is_(False)
    )
    return list(session.exec(query.order_by(col(StaffUser.email))))


def emails(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Staff email addresses by user id."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = session.exec(select(StaffUser.id, StaffUser.email).where(col(StaffUser.id).in_(wanted)))
    return {int(i or 0): email for i, email in rows}


def newer(alerts: Sequence[Alert], after: Cursor) -> int:
    """How many of ``alerts`` (newest change first) changed after the cursor's position."""
    count = 0
    for alert in alerts:
        if (alert.updated_at, int(alert.id or 0)) <= (after.updated_at, after.alert_id):
            break
        count += 1
    return count
