"""The outbox sender: claims due messages, sends them, records what happened.

Claims are leases on the message row (compare-and-set), so several senders split the
work. A 4xx or an unreachable relay retries with backoff; a 5xx fails the message for
good; either way the row says why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, update
from sqlmodel import Session, col, select

from alerts.models import MailMessage
from monitor.mail import PermanentMailError, TemporaryMailError, Transport, build

log = logging.getLogger("monitor.sender")
MAX_ATTEMPTS = 8


@dataclass
class SendCounts:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def _claim(engine: Engine, *, owner: str, now: datetime, ttl: timedelta, limit: int) -> list[int]:
    free = or_(col(MailMessage.claim_expires_at).is_(None), col(MailMessage.claim_expires_at) < now)
    due = (
        col(MailMessage.status) == "pending",
        col(MailMessage.next_attempt_at) <= now,
        free,
    )
    won: list[int] = []
    with Session(engine) as session:
        ids = session.exec(
            select(MailMessage.id).where(*due).order_by(col(MailMessage.id)).limit(limit)
        ).all()
        session.rollback()
        for message_id in ids:
            result = session.connection().execute(
                update(MailMessage)
                .where(col(MailMessage.id) == message_id, *due)
                .values(claimed_by=owner, claim_expires_at=now + ttl)
            )
            session.commit()
            if result.rowcount == 1 and message_id is not None:
                won.append(message_id)
    return won


def send_due(
    engine: Engine,
    transport: Transport,
    *,
    owner: str,
    sender: str,
    now: datetime,
    limit: int = 50,
    ttl: timedelta = timedelta(minutes=2),
) -> SendCounts:
    """Send every message that is due now; returns what happened."""
    counts = SendCounts()
    for message_id in _claim(engine, owner=owner, now=now, ttl=ttl, limit=limit):
        with Session(engine) as session:
            row = session.get_one(MailMessage, message_id)
            message = build(
                sender=sender, recipients=row.recipients, subject=row.subject,
                text=row.text_body, html=row.html_body,
            )  # fmt: skip
            row.attempts += 1
            row.claimed_by = None
            row.claim_expires_at = None
            try:
                transport.send(message)
            except PermanentMailError as exc:
                row.status, row.last_error = "failed", str(exc)
                counts.failed += 1
            except TemporaryMailError as exc:
                row.last_error = str(exc)
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = "failed"
                    counts.failed += 1
                else:
                    row.next_attempt_at = now + timedelta(minutes=2 ** (row.attempts - 1))
                    counts.retrying += 1
            else:
                row.status, row.sent_at = "sent", now
                row.message_id = str(message["Message-ID"])
                counts.sent += 1
            session.add(row)
            session.commit()
            log.info(
                "mail %s", row.status,
                extra={"mail_id": message_id, "kind": row.kind, "attempts": row.attempts},
            )  # fmt: skip
    return counts
