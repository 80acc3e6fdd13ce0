"""Triage: where staff are with each alert, who has it, their notes, what each has read.

Status moves ``new -> reviewing -> verified | dismissed`` (and back to reviewing to
reopen). Every change writes an audit entry in the caller's transaction; the caller
commits. Read marks remember the revision a person last opened, so an alert the agency
revised since shows as unread again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from alerts.audit import audit
from alerts.models import Alert, AlertRead, AlertTriage, StaffUser, TriageNote

STATUSES = ("new", "reviewing", "verified", "dismissed")
MOVES = {
    "new": ("reviewing", "verified", "dismissed"),
    "reviewing": ("new", "verified", "dismissed"),
    "verified": ("reviewing",),
    "dismissed": ("reviewing",),
}
NOTE_LIMIT = 4000


class TriageError(ValueError):
    """A triage change that is not allowed; the message is safe to show."""


def state_of(session: Session, alert_id: int) -> AlertTriage:
    """The alert's triage row, or an unsaved "new" one."""
    found = session.get(AlertTriage, alert_id)
    return found if found is not None else AlertTriage(alert_id=alert_id, status="new")


def _save(session: Session, row: AlertTriage, user: StaffUser, now: datetime) -> None:
    row.updated_at = now
    row.updated_by = user.id
    session.add(row)


def set_status(
    session: Session, alert_id: int, status: str, *, user: StaffUser, now: datetime
) -> AlertTriage:
    """Move the alert to ``status``; TriageError when that move is not allowed."""
    row = state_of(session, alert_id)
    if status not in STATUSES:
        raise TriageError(f"unknown status {status[:20]!r}")
    if status == row.status:
        return row
    if status not in MOVES[row.status]:
        raise TriageError(f"an alert that is {row.status} cannot become {status}")
    before = row.status
    row.status = status
    _save(session, row, user, now)
    audit(
        session, user=user, action="triage.status", target=f"alert:{alert_id}",
        before={"status": before}, after={"status": status}, now=now,
    )  # fmt: skip
    return row


def assign(
    session: Session, alert_id: int, assignee: StaffUser | None, *, user: StaffUser, now: datetime
) -> AlertTriage:
    """Give the alert to ``assignee`` (None: to nobody)."""
    if assignee is not None and (assignee.disabled or assignee.role == "viewer"):
        raise TriageError("alerts can be assigned only to active analysts and admins")
    row = state_of(session, alert_id)
    before = row.assignee_id
    new = assignee.id if assignee is not None else None
    if before == new:
        return row
    row.assignee_id = new
    _save(session, row, user, now)
    audit(
        session, user=user, action="triage.assign", target=f"alert:{alert_id}",
        before={"assignee_id": before}, after={"assignee_id": new}, now=now,
    )  # fmt: skip
    return row


def add_note(
    session: Session, alert_id: int, text: str, *, user: StaffUser, now: datetime
) -> TriageNote:
    """Keep a note on the alert; TriageError when it is empty or too long."""
    text = text.strip()
    if not text:
        raise TriageError("the note is empty")
    if len(text) > NOTE_LIMIT:
        raise TriageError(f"a note holds at most {NOTE_LIMIT} characters")
    note = TriageNote(alert_id=alert_id, user_id=user.id, at=now, text=text)
    session.add(note)
    audit(
        session, user=user, action="triage.note", target=f"alert:{alert_id}",
        before=None, after={"text": text}, now=now,
    )  # fmt: skip
    return note


def notes_of(session: Session, alert_id: int) -> list[TriageNote]:
    """The alert's notes, oldest first."""
    query = select(TriageNote).where(TriageNote.alert_id == alert_id)
    return list(session.exec(query.order_by(col(TriageNote.at), col(TriageNote.id))))


def mark_read(session: Session, alert: Alert, *, user: StaffUser, now: datetime) -> None:
    """Remember that ``user`` has seen ``alert`` as it is now."""
    row = session.get(AlertRead, (user.id, alert.id))
    if row is None:
        row = AlertRead(user_id=int(user.id or 0), alert_id=int(alert.id or 0), revision=0,
                        read_at=now)  # fmt: skip
    row.revision, row.read_at = alert.revision, now
    session.add(row)


def unread_ids(session: Session, alerts: Sequence[Alert], *, user: StaffUser) -> set[int]:
    """Which of ``alerts`` ``user`` has not opened since their latest revision."""
    ids = [int(a.id or 0) for a in alerts]
    if not ids:
        return set()
    seen = dict(
        session.exec(
            select(AlertRead.alert_id, AlertRead.revision).where(
                AlertRead.user_id == user.id, col(AlertRead.alert_id).in_(ids)
            )
        ).all()
    )
    return {int(a.id or 0) for a in alerts if seen.get(int(a.id or 0), 0) < a.revision}


def statuses_of(session: Session, alert_ids: Sequence[int]) -> dict[int, AlertTriage]:
    """Triage rows of ``alert_ids`` (absent ids are "new")."""
    if not alert_ids:
        return {}
    rows = session.exec(select(AlertTriage).where(col(AlertTriage.alert_id).in_(alert_ids)))
    return {row.alert_id: row for row in rows}
