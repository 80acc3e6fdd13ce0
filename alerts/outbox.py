"""Fan-out: new and revised alerts become rows in the delivery ledger.

Detect and notify are separate steps joined by data: an alert whose ``fanout_revision``
is behind its ``revision`` still needs its deliveries worked out. A worker claims that
work with a compare-and-set on the alert row, inside the same transaction that inserts
the deliveries, so a crash leaves either everything or nothing, and the ledger's unique
key makes a repeat harmless.

- Revision 1 of an alert (or the first revision seen) goes to every active subscriber
  whose filters match: ``immediate`` rows for immediate subscribers, ``digest`` rows for
  digest subscribers.
- A later revision whose changes alter what subscribers were told (classification,
  status, title, hazards ...) becomes a ``correction`` for exactly the subscribers who
  were already sent an earlier revision. Anyone still waiting for theirs will simply get
  the current version.
- History (backfill, and what a source held before its first successful poll) is
  marked done without deliveries: it is never mailed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, Text, cast, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from alerts import mailbox, messages, subscriptions
from alerts.draft import SEVERITIES
from alerts.models import Alert, AlertRevision, Delivery, Subscriber

_BATCH = 5000


@dataclass
class FanoutCounts:
    alerts: int = 0
    deliveries: int = 0
    corrections: int = 0
    history: int = 0


@dataclass(frozen=True)
class _Prefs:
    id: int
    kinds: frozenset[str]
    jurisdictions: frozenset[str]
    hazards: frozenset[str]
    min_rank: int
    delivery: str


@lru_cache(maxsize=8192)
def _members(raw: str | None) -> frozenset[str]:
    """A JSON list column as a set; the same few filter lists recur across subscribers."""
    return frozenset(json.loads(raw)) if raw and raw != "[]" else frozenset()


def _active_subscribers(session: Session) -> list[_Prefs]:
    """Every active subscriber's filters, read as raw text (decoded once per distinct list)."""
    rows = session.connection().execute(
        sa_select(
            col(Subscriber.id),
            cast(col(Subscriber.kinds), Text),
            cast(col(Subscriber.jurisdictions), Text),
            cast(col(Subscriber.hazards), Text),
            col(Subscriber.min_severity),
            col(Subscriber.delivery),
        ).where(col(Subscriber.status) == "confirmed", col(Subscriber.paused).is_(False))
    )
    ranks = {name: rank for rank, name in enumerate(SEVERITIES)}
    return [
        _Prefs(int(i or 0), _members(k), _members(j), _members(h), ranks[s], d)
        for i, k, j, h, s, d in rows
    ]


def _wants(prefs: _Prefs, alert: Alert) -> bool:
    return subscriptions.wants(
        kinds=prefs.kinds, hazards=prefs.hazards, min_rank=prefs.min_rank,
        places=prefs.jurisdictions, alert=alert,
    )  # fmt: skip


_COLUMNS = (
    "subscriber_id", "alert_id", "revision", "kind", "status", "created_at",
    "next_attempt_at", "attempts",
)  # fmt: skip


def _insert(session: Session, rows: list[dict[str, Any]], *, fresh: bool) -> None:
    """Insert ledger rows; repeats of an existing key are ignored.

    ``fresh`` rows (an alert's first fan-out, claimed in this very transaction) cannot
    exist yet, so on PostgreSQL they are streamed with COPY, which is many times faster
    than INSERT for tens of thousands of subscribers.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect.name
    if fresh and dialect == "postgresql":
        raw: Any = connection.connection.dbapi_connection  # psycopg: has COPY
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY delivery ({', '.join(_COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row([row[name] for name in _COLUMNS])
        return
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = builder(Delivery).on_conflict_do_nothing(
        index_elements=["subscriber_id", "alert_id", "revision", "kind"]
    )
    for start in range(0, len(rows), _BATCH):
        connection.execute(statement, rows[start : start + _BATCH])


def _changes_since(session: Session, alert_id: int, after: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for revision in session.exec(
        select(AlertRevision)
        .where(AlertRevision.alert_id == alert_id, col(AlertRevision.revision) > after)
        .order_by(col(AlertRevision.revision))
    ):
        found.extend(revision.changes)
    return found


def fan_out(engine: Engine, *, now: datetime, limit: int = 100) -> FanoutCounts:
    """Work out deliveries for alerts that need it; safe to run in several processes."""
    counts = FanoutCounts()
    with Session(engine) as session:
        pending = session.exec(
            select(Alert.id, Alert.fanout_revision)
            .where(col(Alert.fanout_revision) < col(Alert.revision))
            .order_by(col(Alert.id))
            .limit(limit)
        ).all()
        session.rollback()
        subscribers: list[_Prefs] | None = None
        for alert_id, done in pending:
            claim = session.connection().execute(
                update(Alert)
                .where(col(Alert.id) == alert_id, col(Alert.fanout_revision) == done)
                .values(fanout_revision=Alert.revision)
            )
            if claim.rowcount != 1:  # another worker took it
                session.rollback()
                continue
            alert = session.get_one(Alert, alert_id)
            session.refresh(alert)
            if alert.origin != "poll":
                counts.history += 1
            elif done == 0:
                if subscribers is None:
                    subscribers = _active_subscribers(session)
                counts.deliveries += _first_deliveries(session, alert, subscribers, now)
            else:
                counts.corrections += _corrections(session, alert, done, now)
            counts.alerts += 1
            session.commit()
    return counts


def _first_deliveries(
    session: Session, alert: Alert, subscribers: list[_Prefs], now: datetime
) -> int:
    assert alert.id is not None
    rows = [
        _row(prefs.id, alert, "immediate" if prefs.delivery == "immediate" else "digest", now)
        for prefs in subscribers
        if _wants(prefs, alert)
    ]
    _insert(session, rows, fresh=True)
    return len(rows)


def _row(subscriber_id: int, alert: Alert, kind: str, now: datetime) -> dict[str, Any]:
    return {
        "subscriber_id": subscriber_id,
        "alert_id": alert.id,
        "revision": alert.revision,
        "kind": kind,
        "status": "pending",
        "created_at": now,
        "next_attempt_at": now,
        "attempts": 0,
    }


def _corrections(session: Session, alert: Alert, done: int, now: datetime) -> int:
    assert alert.id is not None
    if not messages.material_changes(_changes_since(session, alert.id, done)):
        return 0
    told = session.exec(
        select(Delivery.subscriber_id)
        .where(Delivery.alert_id == alert.id, col(Delivery.status) == "sent")
        .distinct()
    ).all()
    rows = [_row(subscriber_id, alert, "correction", now) for subscriber_id in told]
    _insert(session, rows, fresh=False)
    return len(rows)


def describe(prefs: subscriptions.Preferences) -> str:
    """A one-line summary of preferences, for confirmation mail and pages."""
    at = f"{prefs.send_hour:02d}:00 {prefs.timezone}"
    when = {
        "immediate": "sent as they happen",
        "daily": f"in a daily digest at {at}",
        "weekly": f"in a weekly digest on Mondays at {at}",
    }[prefs.delivery]
    hazards = ", ".join(h.replace("_", " ") for h in prefs.hazards)
    parts = [
        ", ".join(k.replace("_", " ") for k in prefs.kinds) or "all alert kinds",
        f"in {', '.join(prefs.jurisdictions)}" if prefs.jurisdictions else "everywhere",
        f"hazards: {hazards}" if hazards else "",
        f"severity {prefs.min_severity} and above" if prefs.min_severity != "info" else "",
        when,
    ]
    return "; ".join(p for p in parts if p)


def queue_confirmation(
    session: Session, subscriber: Subscriber, *, secret: str, base_url: str, now: datetime
) -> bool:
    """Queue the double opt-in mail (idempotent per request time)."""
    token = subscriptions.link_token(secret, "confirm", subscriber, now=now)
    rendered = messages.confirmation_mail(
        f"{base_url}/confirm/{token}", describe(subscriptions.preferences_of(subscriber))
    )
    stamp = (subscriber.confirm_sent_at or now).isoformat()
    return mailbox.enqueue(
        session,
        dedupe_key=f"confirm:{subscriber.id}:{stamp}",
        kind="confirmation",
        recipients=[subscriber.email],
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        now=now,
    )
