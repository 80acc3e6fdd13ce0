"""Re-linking: new and revised alerts join the stored claims they bear on; followers hear of it.

Joined by data like the outbox's fan-out: an alert whose ``claims_revision`` is behind its
``revision`` has not been checked against stored claims yet. ``relink_due`` claims such
alerts with a compare-and-set on the alert row and, in the same transaction, updates the
links of every claim they bear on and queues one mail per follower of each document that
gained links. A crash leaves all of it or none; a second worker skips rows already taken.

For a claim, the new top ``TOP`` is taken from its current links plus the new alerts (the
true top of all alerts is among them), so the stored links always equal what annotating
the document afresh would give: new links are added, ranks and reasons refreshed, links
pushed out of the top removed. Mail lists only the links added.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, Text, cast, or_, update
from sqlmodel import Session, col, select

from alerts import mailbox
from alerts.claims import matrix, records
from alerts.claims.link import TOP, Candidate, Linker
from alerts.claims.mail import NewLinkLine, new_links_mail
from alerts.models import Alert, ClaimDocument, ClaimLink
from alerts.models import Claim as ClaimRow


@dataclass(frozen=True)
class NewLink:
    """A link a re-link added."""

    link_id: int
    document_id: int
    claim_id: int
    alert_id: int
    rank: int
    reason: str


@dataclass
class RelinkCounts:
    alerts: int = 0
    added: int = 0
    mails: int = 0


def _affected_claims(session: Session, alerts: Sequence[Alert]) -> list[ClaimRow]:
    """Claims whose topics an alert's kind bears on, and claims already linked to one."""
    topics = sorted({t for alert in alerts for t in matrix.topics_for(alert.kind)})
    ids = [int(alert.id or 0) for alert in alerts]
    linked = select(ClaimLink.claim_id).where(col(ClaimLink.alert_id).in_(ids))
    text = cast(col(ClaimRow.topics), Text)
    conditions = [text.like(f'%"{topic}"%') for topic in topics]
    conditions.append(col(ClaimRow.id).in_(linked))
    return list(session.exec(select(ClaimRow).where(or_(*conditions))))


def relink_alerts(
    session: Session, alerts: Sequence[Alert], *, now: datetime, top: int = TOP
) -> list[NewLink]:
    """Update the links of the stored claims these alerts bear on; returns links added."""
    claims = _affected_claims(session, alerts)
    if not claims:
        return []
    claim_ids = [int(c.id or 0) for c in claims]
    existing: dict[int, dict[int, ClaimLink]] = {}
    linked_alerts: dict[int, Candidate] = {}
    for link, alert in session.exec(
        select(ClaimLink, Alert)
        .join(Alert, col(Alert.id) == ClaimLink.alert_id)
        .where(col(ClaimLink.claim_id).in_(claim_ids))
    ):
        existing.setdefault(link.claim_id, {})[link.alert_id] = link
        linked_alerts[link.alert_id] = Candidate.of(alert)
    fresh = {int(a.id or 0): Candidate.of(a) for a in alerts}
    pool = list({**linked_alerts, **fresh}.values())
    names = dict(
        session.exec(
            select(ClaimDocument.id, ClaimDocument.names).where(
                col(ClaimDocument.id).in_({c.document_id for c in claims})
            )
        ).all()
    )
    linkers: dict[int, Linker] = {}
    added: list[NewLink] = []
    for claim in claims:
        linker = linkers.get(claim.document_id)
        if linker is None:
            named = names.get(claim.document_id, [])
            linker = linkers[claim.document_id] = Linker(pool, named, top=top)
        added += _apply(session, claim, linker, existing.get(int(claim.id or 0), {}), now)
    session.flush()
    return added


def _apply(
    session: Session, claim: ClaimRow, linker: Linker, old: dict[int, ClaimLink], now: datetime
) -> list[NewLink]:
    wanted = {link.alert_id: link for link in linker.links(claim.topics)}
    for alert_id, row in old.items():
        if alert_id not in wanted:
            session.delete(row)
    session.flush()  # a removed pair may come back below with a new rank
    added: list[NewLink] = []
    for alert_id, link in wanted.items():
        kept = old.get(alert_id)
        if kept is not None:
            kept.rank, kept.reason = link.rank, link.reason
            session.add(kept)
            continue
        row = ClaimLink(
            claim_id=int(claim.id or 0), alert_id=alert_id, rank=link.rank, reason=link.reason,
            created_at=now,
        )  # fmt: skip
        session.add(row)
        session.flush()
        added.append(
            NewLink(
                int(row.id or 0), claim.document_id, row.claim_id, alert_id, link.rank, link.reason
            )
        )
    return added


def notify(session: Session, added: Sequence[NewLink], *, base_url: str, now: datetime) -> int:
    """Queue one mail per follower of each document that gained links; returns mails queued."""
    by_document: dict[int, list[NewLink]] = {}
    for link in added:
        by_document.setdefault(link.document_id, []).append(link)
    people = records.followers(session, list(by_document))
    if not people:
        return 0
    queued = 0
    for document_id, links in by_document.items():
        if document_id not in people:
            continue
        document = session.get_one(ClaimDocument, document_id)
        lines = _lines(session, links, base_url)
        subject, text = new_links_mail(
            title=document.title, url=document.url, lines=lines,
            staff_url=f"{base_url}/staff/documents/{document_id}",
        )  # fmt: skip
        digest = hashlib.sha256(",".join(str(k.link_id) for k in links).encode()).hexdigest()
        for user in people[document_id]:
            queued += mailbox.enqueue(
                session, dedupe_key=f"claim-links:{document_id}:{user.id}:{digest[:24]}",
                kind="claim_links", recipients=[user.email], subject=subject, text=text, now=now,
            )  # fmt: skip
    return queued


def _lines(session: Session, links: Sequence[NewLink], base_url: str) -> list[NewLinkLine]:
    claims = {
        int(c.id or 0): c
        for c in session.exec(
            select(ClaimRow).where(col(ClaimRow.id).in_({k.claim_id for k in links}))
        )
    }
    alerts = {
        int(a.id or 0): a
        for a in session.exec(select(Alert).where(col(Alert.id).in_({k.alert_id for k in links})))
    }
    return [
        NewLinkLine(
            claim=claims[k.claim_id].text, alert_title=alerts[k.alert_id].title,
            reason=k.reason, alert_url=f"{base_url}/alerts/{k.alert_id}",
        )
        for k in sorted(links, key=lambda k: (claims[k.claim_id].start, k.rank))
    ]  # fmt: skip


def relink_due(engine: Engine, *, base_url: str, now: datetime, limit: int = 200) -> RelinkCounts:
    """Re-link alerts not yet checked against stored claims; safe in several processes."""
    counts = RelinkCounts()
    with Session(engine) as session:
        pending = session.exec(
            select(Alert.id, Alert.claims_revision)
            .where(col(Alert.claims_revision) < col(Alert.revision))
            .order_by(col(Alert.id))
            .limit(limit)
        ).all()
        session.rollback()
        if not pending:
            return counts
        won: list[int] = []
        for alert_id, done in pending:  # ascending ids: concurrent workers lock in one order
            taken = session.connection().execute(
                update(Alert)
                .where(col(Alert.id) == alert_id, col(Alert.claims_revision) == done)
                .values(claims_revision=Alert.revision)
            )
            if taken.rowcount == 1 and alert_id is not None:
                won.append(alert_id)
        alerts = list(session.exec(select(Alert).where(col(Alert.id).in_(won))))
        added = relink_alerts(session, alerts, now=now) if alerts else []
        counts.alerts, counts.added = len(alerts), len(added)
        counts.mails = notify(session, added, base_url=base_url, now=now)
        session.commit()
    return counts
