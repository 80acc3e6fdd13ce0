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
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, and_, or_, update
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


def _marker(engine: Engine) -> Connection:
    """An autocommit connection for outcome marks: one round trip per mark."""
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def _finish(marker: Connection, ids: list[int], owner: str, **values: object) -> None:
    """Record the outcome of rows ``ids`` in one autocommitted statement."""
    marker.execute(
        update(Delivery)
        .where(col(Delivery.id).in_(ids), col(Delivery.claimed_by) == owner)
        .values(claimed_by=None, claim_expires_at=None, **values)
    )


_SENT = (
    "UPDATE delivery SET status = 'sent', sent_at = {p}, attempts = {p}, message_id = {p}, "
    "claimed_by = NULL, claim_expires_at = NULL WHERE id = {p} AND claimed_by = {p}"
)


def _mark_sent(
    marker: Connection, row_id: int, owner: str, now: datetime, attempts: int, message_id: str
) -> None:
    """The sent mark, as lean as it can be: it is the double-send window."""
    sqlite = marker.dialect.name == "sqlite"
    stamp: object = now.astimezone(UTC).replace(tzinfo=None).isoformat(" ") if sqlite else now
    marker.exec_driver_sql(
        _SENT.format(p="?" if sqlite else "%s"), (stamp, attempts, message_id, row_id, owner)
    )


@dataclass
class _Batch:
    """What one sending pass shares: the autocommit connection and the counters."""

    session: Session
    marker: Connection
    transport: Transport
    throttle: Throttle
    ctx: MailContext
    now: datetime
    counts: DeliverCounts


def _send(
    batch: _Batch,
    subscriber: Subscriber,
    rendered: messages.Rendered,
    links: messages.Links,
    ids: list[int],
    attempts: int,
) -> bool:
    """Send one message for ledger rows ``ids``; record the outcome. True when sent.

    ``attempts`` counts this try (for backoff and giving up).
    """
    ctx, now, counts = batch.ctx, batch.now, batch.counts
    wait = batch.throttle.domain_wait(subscriber.email.rpartition("@")[2])
    if wait > 0:
        later = now + timedelta(seconds=wait)
        _finish(batch.marker, ids, ctx.owner, status="pending", next_attempt_at=later)
        counts.postponed += len(ids)
        return False
    message = build(
        sender=ctx.sender, recipients=[subscriber.email], subject=rendered.subject,
        text=rendered.text, html=rendered.html, headers=_headers(links, ctx),
    )  # fmt: skip
    envelope = tokens.bounce_address(ctx.secret, subscriber.id or 0, ctx.envelope_domain)
    batch.throttle.pace()
    try:
        batch.transport.send(message, envelope_from=envelope)
    except PermanentMailError as exc:
        _finish(
            batch.marker, ids, ctx.owner, status="failed", attempts=attempts, last_error=str(exc)
        )
        if exc.recipient_refused:
            reason = f"refused at sending: {exc}"
            subscriptions.suppress(batch.session, subscriber, reason=reason, now=now)
            batch.session.commit()
        counts.failed += len(ids)
        return False
    except TemporaryMailError as exc:
        status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
        retry = now + timedelta(minutes=2 ** (attempts - 1))
        _finish(
            batch.marker, ids, ctx.owner, status=status, attempts=attempts,
            last_error=str(exc), next_attempt_at=retry,
        )  # fmt: skip
        counts.retrying += len(ids) if status == "pending" else 0
        counts.failed += len(ids) if status == "failed" else 0
        return False
    # The relay has the message: record it at once. The time of this one statement is
    # the only window in which a crash could make the message go out twice.
    message_id = str(message["Message-ID"])
    if len(ids) == 1:
        _mark_sent(batch.marker, ids[0], ctx.owner, now, attempts, message_id)
    else:
        _finish(
            batch.marker, ids, ctx.owner, status="sent", sent_at=now, attempts=attempts,
            message_id=message_id,
        )  # fmt: skip
    counts.sent += 1
    return True


_PREFS, _UNSUB = "kmPrefsLinkKm", "kmUnsubLinkKm"  # placeholders no template text contains


def _personal(
    shared: dict[tuple[int, str], messages.Rendered],
    alert: Alert,
    zone: str,
    links: messages.Links,
) -> messages.Rendered:
    """An alert mail rendered once per (alert, time zone), with this subscriber's links put in.

    Only the two personal links differ between subscribers of one zone, so the
    templates run once per batch rather than once per message.
    """
    key = (alert.id or 0, zone)
    if key not in shared:
        blank = messages.Links(_PREFS, _UNSUB, links.alert_base)
        shared[key] = messages.alert_mail(alert, blank, zone)
    base = shared[key]

    def fill(text: str) -> str:
        return text.replace(_PREFS, links.preferences).replace(_UNSUB, links.unsubscribe)

    return messages.Rendered(base.subject, fill(base.text), fill(base.html))


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
    with Session(engine, expire_on_commit=False) as session, _marker(engine) as marker:
        ids = _claim(
            session, owner=ctx.owner, now=now, limit=limit, kinds=("immediate", "correction"),
            ttl=ctx.claim,
        )  # fmt: skip
        if not ids:
            return counts
        rows = list(
            session.exec(
                select(Delivery).where(col(Delivery.id).in_(ids)).order_by(col(Delivery.id))
            )
        )
        wanted = {r.subscriber_id for r in rows}
        people = {
            s.id: s for s in session.exec(select(Subscriber).where(col(Subscriber.id).in_(wanted)))
        }
        alert_ids = {r.alert_id for r in rows}
        alerts = {a.id: a for a in session.exec(select(Alert).where(col(Alert.id).in_(alert_ids)))}
        session.commit()
        batch = _Batch(session, marker, transport, throttle, ctx, now, counts)
        shared: dict[tuple[int, str], messages.Rendered] = {}
        for row in rows:
            subscriber, alert = people[row.subscriber_id], alerts[row.alert_id]
            assert row.id is not None
            if not subscriptions.active(subscriber):
                _finish(marker, [row.id], ctx.owner, status="skipped")
                counts.skipped += 1
                continue
            links = _links(ctx, subscriber, now)
            if row.kind == "correction":
                told = _changes_since_told(session, alert, subscriber.id or 0, row.revision)
                changes = messages.material_changes(told)
                rendered = messages.correction_mail(alert, changes, links, subscriber.timezone)
            else:
                rendered = _personal(shared, alert, subscriber.timezone, links)
            _send(batch, subscriber, rendered, links, [row.id], row.attempts + 1)
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
    with Session(engine, expire_on_commit=False) as session, _marker(engine) as marker:
        batch = _Batch(session, marker, transport, throttle, ctx, now, counts)
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
            claimed = session.exec(
                select(Delivery.alert_id, Delivery.attempts).where(col(Delivery.id).in_(ids))
            ).all()
            alert_ids = [alert_id for alert_id, _ in claimed]
            attempts = max(tries for _, tries in claimed) + 1
            alerts = list(
                session.exec(
                    select(Alert).where(col(Alert.id).in_(alert_ids))
                    .order_by(col(Alert.published_at).desc().nulls_last(), col(Alert.id).desc())
                )
            )  # fmt: skip
            links = _links(ctx, subscriber, now)
            rendered = messages.digest_mail(alerts, links, subscriber.timezone, subscriber.delivery)
            if _send(batch, subscriber, rendered, links, ids, attempts):
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
