"""The mail outbox: messages are rows first, sent later by whichever sender claims them.

``enqueue`` is idempotent on ``dedupe_key``: a retried poll, a restart or a second
worker cannot queue the same message twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from alerts.models import MailMessage


def enqueue(
    session: Session,
    *,
    dedupe_key: str,
    kind: str,
    recipients: list[str],
    subject: str,
    text: str,
    now: datetime,
    html: str | None = None,
) -> bool:
    """Queue a message unless one with this key exists; True when queued now."""
    if session.exec(select(MailMessage.id).where(MailMessage.dedupe_key == dedupe_key)).first():
        return False
    message = MailMessage(
        dedupe_key=dedupe_key,
        kind=kind,
        recipients=list(recipients),
        subject=subject,
        text_body=text,
        html_body=html,
        created_at=now,
        next_attempt_at=now,
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:  # a concurrent writer queued it first
        return False
    return True


def source_alarm(
    *, key: str, title: str, status: str, error: str | None, since: datetime | None, url: str
) -> tuple[str, str]:
    """Subject and text of the mail staff get when a source turns failing or stale."""
    what = "is failing" if status == "failing" else "has gone stale"
    lines = [
        f"The source {key} ({title}) {what}.",
        "",
        f"Status: {status}",
        f"Since: {since.isoformat() if since else 'unknown'}",
        f"Endpoint: {url}",
    ]
    if error:
        lines.append(f"Last error: {error}")
    lines += ["", "You get one more message when it recovers, none for each further poll."]
    return f"[kratom-monitor] source {key} {what}", "\n".join(lines) + "\n"


def source_recovery(*, key: str, title: str, url: str) -> tuple[str, str]:
    """Subject and text of the mail staff get when an alarmed source is healthy again."""
    text = f"The source {key} ({title}) is healthy again.\n\nEndpoint: {url}\n"
    return f"[kratom-monitor] source {key} recovered", text
