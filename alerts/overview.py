"""What the staff overview pages summarise: the newest incidents and the subscriber counts.

Read-only queries; the caller owns the session. Counts of preferences are over confirmed
subscribers only (paused ones included), since they are the ones who get mail. An empty
kinds or hazards list means "any" and is counted under ``ANY``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from alerts.models import Alert, Incident, Subscriber
from alerts.subscriptions import DELIVERIES

STATUSES = ("pending", "confirmed", "unsubscribed", "suppressed")
ANY = "any"


@dataclass(frozen=True)
class IncidentRow:
    """One incident as the overview lists it; ``first_alert_id`` is its oldest alert."""

    id: int
    title: str
    alerts: int
    agencies: list[str]
    updated_at: datetime
    first_alert_id: int | None


def recent_incidents(session: Session, *, limit: int = 20) -> list[IncidentRow]:
    """The ``limit`` most recently updated incidents, newest first."""
    found = list(
        session.exec(
            select(Incident)
            .order_by(col(Incident.updated_at).desc(), col(Incident.id).desc())
            .limit(limit)
        )
    )
    ids = [incident.id for incident in found if incident.id is not None]
    members: dict[int, list[tuple[datetime, int, str]]] = {i: [] for i in ids}
    if ids:
        query = sa_select(
            col(Alert.incident_id), col(Alert.id), col(Alert.agency),
            col(Alert.published_at), col(Alert.first_seen_at),
        ).where(col(Alert.incident_id).in_(ids))  # fmt: skip
        rows = session.connection().execute(query)
        for incident_id, alert_id, agency, published_at, first_seen_at in rows:
            if incident_id is not None and alert_id is not None:
                members[incident_id].append((published_at or first_seen_at, alert_id, agency))
    result = []
    for incident in found:
        assert incident.id is not None
        alerts = sorted(members[incident.id])
        result.append(
            IncidentRow(
                id=incident.id,
                title=incident.title,
                alerts=len(alerts),
                agencies=sorted({agency for _, _, agency in alerts}),
                updated_at=incident.updated_at,
                first_alert_id=alerts[0][1] if alerts else None,
            )
        )
    return result


@dataclass(frozen=True)
class SubscriberCounts:
    """Subscribers by status (every status listed, zeros included), and the confirmed
    ones by delivery, by kind and by hazard preference (a subscriber counts once under
    each kind or hazard they chose, or once under ``ANY``)."""

    by_status: dict[str, int]
    paused: int
    by_delivery: dict[str, int]
    by_kind: dict[str, int]
    by_hazard: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def subscriber_counts(session: Session) -> SubscriberCounts:
    by_status = dict.fromkeys(STATUSES, 0)
    query = select(Subscriber.status, func.count()).group_by(Subscriber.status)
    for status, count in session.exec(query):
        by_status[status] = by_status.get(status, 0) + int(count)
    by_delivery = dict.fromkeys(DELIVERIES, 0)
    by_kind: dict[str, int] = {}
    by_hazard: dict[str, int] = {}
    paused = 0
    confirmed = select(Subscriber.delivery, Subscriber.kinds, Subscriber.hazards, Subscriber.paused)
    for delivery, kinds, hazards, is_paused in session.exec(
        confirmed.where(Subscriber.status == "confirmed")
    ):
        by_delivery[delivery] = by_delivery.get(delivery, 0) + 1
        paused += bool(is_paused)
        for kind in set(kinds) or {ANY}:
            by_kind[kind] = by_kind.get(kind, 0) + 1
        for hazard in set(hazards) or {ANY}:
            by_hazard[hazard] = by_hazard.get(hazard, 0) + 1
    return SubscriberCounts(by_status, paused, by_delivery, by_kind, by_hazard)


def suppressed(session: Session, *, limit: int = 500) -> list[Subscriber]:
    """Suppressed subscribers, most recently suppressed first."""
    query = (
        select(Subscriber)
        .where(Subscriber.status == "suppressed")
        .order_by(col(Subscriber.suppressed_at).desc().nulls_last(), col(Subscriber.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def all_subscribers(session: Session) -> list[Subscriber]:
    """Every subscriber, oldest first (for an export)."""
    return list(session.exec(select(Subscriber).order_by(col(Subscriber.id))))
