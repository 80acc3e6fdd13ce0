"""Stored documents, claims and links: saving an annotation and reading it back for pages.

Callers own the transaction: functions add and flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import func
from sqlmodel import Session, col, select

from alerts.claims.document import SOURCE_KINDS, Article
from alerts.claims.link import Link
from alerts.models import Alert, ClaimDocument, ClaimLink, DocumentFollow, StaffUser
from alerts.models import Claim as ClaimRow


class Found(Protocol):
    """A detected claim (``alerts.claims.detect.Claim``) as records need it."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def topics(self) -> tuple[str, ...]: ...
    @property
    def kind(self) -> str: ...
    @property
    def cues(self) -> tuple[str, ...]: ...


@dataclass
class Linked:
    """One stored claim with its links and their alerts, best first."""

    claim: ClaimRow
    links: list[tuple[ClaimLink, Alert]] = field(default_factory=list)


def find(session: Session, *, url: str, sha256: str) -> ClaimDocument | None:
    """The stored document with this URL ("" for none) and text hash, if any."""
    return session.exec(
        select(ClaimDocument).where(ClaimDocument.url == url, ClaimDocument.sha256 == sha256)
    ).first()


def save(
    session: Session,
    article: Article,
    found: Sequence[tuple[Found, Sequence[Link]]],
    *,
    url: str,
    source_kind: str,
    fetched_at: datetime,
    now: datetime,
    via: str = "",
    created_by: int | None = None,
) -> ClaimDocument:
    """Store an annotated article: the document, its claims and their links (flushed)."""
    if source_kind not in SOURCE_KINDS:
        raise ValueError(f"unknown source kind {source_kind!r}")
    document = ClaimDocument(
        url=url, title=article.title, text=article.text, sha256=article.sha256,
        fetched_at=fetched_at, created_at=now, source_kind=source_kind, via=via,
        names=list(article.names), created_by=created_by,
    )  # fmt: skip
    session.add(document)
    session.flush()
    assert document.id is not None
    rows = [
        ClaimRow(
            document_id=document.id, start=claim.start, end=claim.end, text=claim.text,
            topics=list(claim.topics), kind=claim.kind, cues=list(claim.cues),
        )
        for claim, _ in found
    ]  # fmt: skip
    session.add_all(rows)
    session.flush()
    for row, (_, links) in zip(rows, found, strict=True):
        assert row.id is not None
        session.add_all(
            ClaimLink(
                claim_id=row.id, alert_id=link.alert_id, rank=link.rank, reason=link.reason,
                created_at=now,
            )
            for link in links
        )  # fmt: skip
    session.flush()
    return document


def linked_claims(session: Session, document_id: int) -> list[Linked]:
    """A document's claims in text order, each with its links (rank order) and alerts."""
    claims = session.exec(
        select(ClaimRow)
        .where(ClaimRow.document_id == document_id)
        .order_by(col(ClaimRow.start), col(ClaimRow.id))
    ).all()
    by_id = {int(c.id or 0): Linked(c) for c in claims}
    if by_id:
        rows = session.exec(
            select(ClaimLink, Alert)
            .join(Alert, col(Alert.id) == ClaimLink.alert_id)
            .where(col(ClaimLink.claim_id).in_(list(by_id)))
            .order_by(col(ClaimLink.claim_id), col(ClaimLink.rank), col(ClaimLink.id))
        )
        for link, alert in rows:
            by_id[link.claim_id].links.append((link, alert))
    return list(by_id.values())


def claims_on_alert(
    session: Session, alert_id: int, *, limit: int = 100
) -> list[tuple[ClaimRow, ClaimDocument, ClaimLink]]:
    """Stored claims an alert bears on, newest documents first."""
    rows = session.exec(
        select(ClaimRow, ClaimDocument, ClaimLink)
        .join(ClaimLink, col(ClaimLink.claim_id) == ClaimRow.id)
        .join(ClaimDocument, col(ClaimDocument.id) == ClaimRow.document_id)
        .where(ClaimLink.alert_id == alert_id)
        .order_by(col(ClaimDocument.created_at).desc(), col(ClaimRow.start))
        .limit(limit)
    )
    return [(claim, document, link) for claim, document, link in rows]


@dataclass(frozen=True)
class Listed:
    """A document in the list: how many claims it has and how many alert links."""

    document: ClaimDocument
    claims: int
    links: int


def documents(session: Session, *, limit: int = 50, offset: int = 0) -> list[Listed]:
    """Stored documents, newest first, with their claim and link counts (three queries)."""
    found = session.exec(
        select(ClaimDocument)
        .order_by(col(ClaimDocument.created_at).desc(), col(ClaimDocument.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    ids = [int(d.id or 0) for d in found]
    claims = dict(
        session.exec(
            select(ClaimRow.document_id, func.count())
            .where(col(ClaimRow.document_id).in_(ids))
            .group_by(col(ClaimRow.document_id))
        ).all()
    )
    links = dict(
        session.exec(
            select(ClaimRow.document_id, func.count())
            .join(ClaimLink, col(ClaimLink.claim_id) == ClaimRow.id)
            .where(col(ClaimRow.document_id).in_(ids))
            .group_by(col(ClaimRow.document_id))
        ).all()
    )
    return [
        Listed(d, int(claims.get(int(d.id or 0), 0)), int(links.get(int(d.id or 0), 0)))
        for d in found
    ]


def follows(session: Session, user_id: int, document_id: int) -> bool:
    return session.get(DocumentFollow, (user_id, document_id)) is not None


def follow(session: Session, user_id: int, document_id: int, *, on: bool, now: datetime) -> bool:
    """Follow (``on``) or stop following a document; True when that changed anything."""
    found = session.get(DocumentFollow, (user_id, document_id))
    if on and found is None:
        session.add(DocumentFollow(user_id=user_id, document_id=document_id, created_at=now))
    elif not on and found is not None:
        session.delete(found)
    else:
        return False
    session.flush()
    return True


def followers(session: Session, document_ids: Sequence[int]) -> dict[int, list[StaffUser]]:
    """Enabled staff following each document."""
    found: dict[int, list[StaffUser]] = {}
    if not document_ids:
        return found
    rows = session.exec(
        select(DocumentFollow.document_id, StaffUser)
        .join(StaffUser, col(StaffUser.id) == DocumentFollow.user_id)
        .where(col(DocumentFollow.document_id).in_(list(document_ids)))
        .where(col(StaffUser.disabled).is_(False))
        .order_by(col(StaffUser.id))
    )
    for document_id, user in rows:
        found.setdefault(document_id, []).append(user)
    return found
