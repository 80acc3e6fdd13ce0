"""Sending subscriber mail from the delivery ledger, exactly once as far as SMTP allows.

Each ledger row goes pending -> sending (claimed by one sender, with an expiring claim)
-> sent, and the ``sent`` mark is committed right after the relay accepts the message.
The one gap SMTP leaves is a crash between the relay's acceptance and that commit: the
claim then expires and the message is sent again. The gap is the time of one UPDATE
and commit; nothing else is ever sent twice, and nothing is lost (a crash anywhere
else leaves the row pending or with an expiring claim).

Several senders on PostgreSQL split the work: claims take rows with
``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, or_, text, update
from sqlmodel import Session, col, select

from alerts import messages, subscriptions, tokens
from alerts.models import Alert, AlertRevision, Delivery, Subscriber
from monitor.mail import PermanentMailError, TemporaryMailError, Transport, build
from monitor.throttle import Throttle

log = logging.getLogger("monitor.deliver")
MAX_ATTEMPTS = 8
CLAIM = timedelta(minutes=5)


@dataclass(frozen=True)
class MailContext:
    """Everything a sender needs to address and sign mail."""

    secret: str
    base_url: str
    sender: str  # From: address
    envelope_domain: str  # for VERP bounce addresses
    owner: str  # this sender, in claims
    claim: timedelta = timedelta(minutes=5)  # a crashed sender's rows wait this long


@dataclass
class DeliverCounts:
    sent: int = 0
    skipped: int = 0
    retrying: int = 0
    failed: int = 0
    postponed: int = 0


def _claim(
    session: Session, *, owner: str, now: datetime, limit: int, kinds: tuple[str, ...],
    subscriber_id: int | None = None, ttl: timedelta = CLAIM,
) -> list[int]:  # fmt: skip
    """Claim due rows (pending, or 'sending' whose claim lapsed); returns their ids."""
    due = and_(
        col(Delivery.kind).in_(kinds),
        or_(
            and_(col(Delivery.status) == "pending", col(Delivery.next_attempt_at) <= now),
            and_(col(Delivery.status) == "sending", col(Delivery.claim_expires_at) < now),
        ),
    )
    if subscriber_id is not None:
        due = and_(due, col(Delivery.subscriber_id) == subscriber_id)
    pick = select(Delivery.id).where(due).order_by(col(Delivery.id)).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    ids = [i for i in session.exec(pick).all() if i is not None]
    if not ids:
        session.rollback()
        return []
    result = session.connection().execute(
        update(Delivery)
        .where(col(Delivery.id).in_(ids), due)
        .values(status="sending", claimed_by=owner, claim_expires_at=now + ttl)
        .returning(col(Delivery.id))
    )
    won = [int(row[0] or 0) for row in result]
    session.commit()
    return won


def _links(ctx: MailContext, subscriber: Subscriber, now: datetime) -> messages.Links:
    prefs = subscriptions.link_token(ctx.secret, "prefs", subscriber, now=now)
    unsub = subscriptions.link_token(ctx.secret, "unsubscribe", subscriber, now=now)
    return messages.Links(
        preferences=f"{ctx.base_url}/preferences/{prefs}",
        unsubscribe=f"{ctx.base_url}/u/{unsub}",
        alert_base=f"{ctx.base_url}/alerts",
    )


def _headers(links: messages.Links, ctx: MailContext) -> dict[str, str]:
    domain = ctx.sender.rpartition("@")[2] or "localhost"
    return {
        "List-Unsubscribe": f"<{links.unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"Kratom regulatory alerts <alerts.{domain}>",
    }


def _finish(session: Session, ids: list[int], owner: str, *, values: dict[str, object]) -> None:
    session.connection().execute(
        update(Delivery)
        .where(col(Delivery.id).in_(ids), col(Delivery.claimed_by) == owner)
        .values(claimed_by=None, claim_expires_at=None, **values)
    )
    session.commit()


def _send(
    session: Session,
    transport: Transport,
    throttle: Throttle,
    ctx: MailContext,
    subscriber: Subscriber,
    rendered: messages.Rendered,
    links: messages.Links,
    ids: list[int],
    now: datetime,
    counts: DeliverCounts,
) -> bool:
    """Send one message for ledger rows ``ids``; record the outcome. True when sent."""
    wait = throttle.domain_wait(subscriber.email.rpartition("@")[2])
    if wait > 0:
        _finish(
            session,
            ids,
            ctx.owner,
            values={"status": "pending", "next_attempt_at": now + timedelta(seconds=wait)},
        )
        counts.postponed += len(ids)
        return False
    message = build(
        sender=ctx.sender, recipients=[subscriber.email], subject=rendered.subject,
        text=rendered.text, html=rendered.html, headers=_headers(links, ctx),
    )  # fmt: skip
    envelope = tokens.bounce_address(ctx.secret, subscriber.id or 0, ctx.envelope_domain)
    throttle.pace()
    attempts = session.exec(select(Delivery.attempts).where(col(Delivery.id) == ids[0])).one() + 1
    try:
        transport.send(message, envelope_from=envelope)
    except PermanentMailError as exc:
        _finish(
            session,
            ids,
            ctx.owner,
            values={"status": "failed", "attempts": attempts, "last_error": str(exc)},
        )
        if exc.recipient_refused:
            subscriptions.suppress(
                session, subscriber, reason=f"refused at sending: {exc}", now=now
            )
            session.commit()
        counts.failed += len(ids)
        return False
    except TemporaryMailError as exc:
        status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
        retry = now + timedelta(minutes=2 ** (attempts - 1))
        _finish(
            session,
            ids,
            ctx.owner,
            values={
                "status": status,
                "attempts": attempts,
                "last_error": str(exc),
                "next_attempt_at": retry,
            },
        )
        counts.retrying += len(ids) if status == "pending" else 0
        counts.failed += len(ids) if status == "failed" else 0
        return False
    # The relay has the message: record it at once (the only double-send window).
    _finish(
        session,
        ids,
        ctx.owner,
        values={
            "status": "sent",
            "sent_at": now,
            "attempts": attempts,
            "message_id": str(message["Message-ID"]),
        },
    )
    counts.sent += 1
    return True


def deliver_due(
    engine: Engine,
    transport: Transport,
    ctx: MailContext,
    *,
    throttle: Throttle,
    now: datetime,
    limit: int = 200,
) -> DeliverCounts:
    """Send due immediate alerts and corrections, one message per ledger row."""
    counts = DeliverCounts()
    with Session(engine, expire_on_commit=False) as session:
        ids = _claim(
            session,
            owner=ctx.owner,
            now=now,
            limit=limit,
            kinds=("immediate", "correction"),
            ttl=ctx.claim,
        )
        if not ids:
            return counts
        rows = list(
            session.exec(
                select(Delivery).where(col(Delivery.id).in_(ids)).order_by(col(Delivery.id))
            )
        )
        people = {
            s.id: s
            for s in session.exec(
                select(Subscriber).where(col(Subscriber.id).in_({r.subscriber_id for r in rows}))
            )
        }
        alerts = {
            a.id: a
            for a in session.exec(
                select(Alert).where(col(Alert.id).in_({r.alert_id for r in rows}))
            )
        }
        session.commit()
        for row in rows:
            subscriber, alert = people[row.subscriber_id], alerts[row.alert_id]
            assert row.id is not None
            if not subscriptions.active(subscriber):
                _finish(session, [row.id], ctx.owner, values={"status": "skipped"})
                counts.skipped += 1
                continue
            links = _links(ctx, subscriber, now)
            if row.kind == "correction":
                changes = messages.material_changes(
                    _changes_since_told(session, alert, subscriber.id or 0, row.revision)
                )
                rendered = messages.correction_mail(alert, changes, links, subscriber.timezone)
            else:
                rendered = messages.alert_mail(alert, links, subscriber.timezone)
            _send(
                session,
                transport,
                throttle,
                ctx,
                subscriber,
                rendered,
                links,
                [row.id],
                now,
                counts,
            )
    return counts


def _changes_since_told(
    session: Session, alert: Alert, subscriber_id: int, revision: int
) -> list[dict[str, object]]:
    """What changed between the revision this subscriber was last sent and ``revision``."""
    told = session.exec(
        select(Delivery.revision).where(
            Delivery.alert_id == alert.id,
            Delivery.subscriber_id == subscriber_id,
            col(Delivery.status) == "sent",
            col(Delivery.revision) < revision,
        )
    ).all()
    since = max(told, default=0)
    found: list[dict[str, object]] = []
    for rev in session.exec(
        select(AlertRevision)
        .where(
            AlertRevision.alert_id == alert.id,
            col(AlertRevision.revision) > since,
            col(AlertRevision.revision) <= revision,
        )
        .order_by(col(AlertRevision.revision))
    ):
        found.extend(rev.changes)
    return found


def digest_due(subscriber: Subscriber, now: datetime) -> bool:
    """True when the subscriber's local send time has passed since their last digest."""
    if subscriber.delivery not in ("daily", "weekly"):
        return False
    local = now.astimezone(ZoneInfo(subscriber.timezone))
    slot = local.replace(hour=subscriber.send_hour, minute=0, second=0, microsecond=0)
    if subscriber.delivery == "weekly":
        slot -= timedelta(days=slot.weekday())  # Monday
    if slot > local:
        slot -= timedelta(days=7 if subscriber.delivery == "weekly" else 1)
    return subscriber.last_digest_at is None or subscriber.last_digest_at < slot


def deliver_digests(
    engine: Engine,
    transport: Transport,
    ctx: MailContext,
    *,
    throttle: Throttle,
    now: datetime,
) -> DeliverCounts:
    """Send one digest to each subscriber whose local send time has come."""
    counts = DeliverCounts()
    with Session(engine, expire_on_commit=False) as session:
        waiting = session.exec(
            select(Subscriber).where(
                col(Subscriber.status) == "confirmed",
                col(Subscriber.paused).is_(False),
                col(Subscriber.delivery).in_(["daily", "weekly"]),
                col(Subscriber.id).in_(
                    select(Delivery.subscriber_id).where(
                        Delivery.kind == "digest", col(Delivery.status).in_(["pending", "sending"])
                    )
                ),
            )
        ).all()
        session.commit()
        for subscriber in waiting:
            if not digest_due(subscriber, now):
                continue
            ids = _claim(
                session,
                owner=ctx.owner,
                now=now,
                limit=500,
                kinds=("digest",),
                subscriber_id=subscriber.id,
                ttl=ctx.claim,
            )
            if not ids:
                continue
            alert_ids = session.exec(
                select(Delivery.alert_id).where(col(Delivery.id).in_(ids))
            ).all()
            alerts = list(
                session.exec(
                    select(Alert).where(col(Alert.id).in_(alert_ids))
                    .order_by(col(Alert.published_at).desc().nulls_last(), col(Alert.id).desc())
                )
            )  # fmt: skip
            links = _links(ctx, subscriber, now)
            rendered = messages.digest_mail(alerts, links, subscriber.timezone, subscriber.delivery)
            if _send(
                session, transport, throttle, ctx, subscriber, rendered, links, ids, now, counts
            ):
                subscriber.last_digest_at = now
                session.add(subscriber)
                session.commit()
    return counts


def release_claims(engine: Engine, *, owner: str) -> int:
    """Hand back rows this sender claimed but did not send (on a clean stop)."""
    with Session(engine) as session:
        result = session.connection().execute(
            update(Delivery)
            .where(col(Delivery.claimed_by) == owner, col(Delivery.status) == "sending")
            .values(status="pending", claimed_by=None, claim_expires_at=None)
        )
        session.commit()
        return int(result.rowcount or 0)


def pending_counts(engine: Engine) -> dict[str, int]:
    """Ledger rows by status (for metrics)."""
    with Session(engine) as session:
        rows = session.connection().execute(
            text("SELECT status, count(*) FROM delivery GROUP BY status")
        )
        return {str(status): int(n) for status, n in rows}
