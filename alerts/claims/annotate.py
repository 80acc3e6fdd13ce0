"""One article through the annotator: detect claims, tag topics, link alerts, store.

``annotate`` reads candidate alerts once for the whole article (``link.candidates``);
``annotate_and_save`` stores the result, or returns the stored document when the same text
from the same place was annotated before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from alerts.claims import records
from alerts.claims.detect import Claim, detect
from alerts.claims.document import Article
from alerts.claims.link import TOP, Candidate, Link, Linker, candidates
from alerts.models import ClaimDocument


@dataclass
class Annotated:
    """An article's claims, each with its ranked links, and the linked alerts by id."""

    article: Article
    found: list[tuple[Claim, list[Link]]] = field(default_factory=list)
    alerts: dict[int, Candidate] = field(default_factory=dict)


def annotate(session: Session, article: Article, *, top: int = TOP) -> Annotated:
    """Detect the article's claims and link each to the alerts that bear on it."""
    claims = detect(article.text, article.headings)
    topics = {topic for claim in claims for topic in claim.topics}
    pool = candidates(session, topics, article.names) if topics else []
    linker = Linker(pool, article.names, top=top)
    by_id = {candidate.id: candidate for candidate in pool}
    result = Annotated(article)
    for claim in claims:
        links = linker.links(claim.topics)
        result.found.append((claim, links))
        result.alerts.update((link.alert_id, by_id[link.alert_id]) for link in links)
    return result


def annotate_and_save(
    session: Session,
    article: Article,
    *,
    url: str,
    source_kind: str,
    fetched_at: datetime,
    now: datetime,
    via: str = "",
    created_by: int | None = None,
) -> tuple[ClaimDocument, bool]:
    """The stored document for this article and whether it was made now (flushed, not
    committed). The same text from the same URL is stored once.
    """
    known = records.find(session, url=url, sha256=article.sha256)
    if known is not None:
        return known, False
    result = annotate(session, article)
    document = records.save(
        session, article, result.found, url=url, source_kind=source_kind,
        fetched_at=fetched_at, now=now, via=via, created_by=created_by,
    )  # fmt: skip
    return document, True
