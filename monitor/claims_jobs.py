"""Claim annotation in the running monitor: articles by URL, watched feeds, re-linking.

- ``article_at(url)`` fetches (``monitor.claims_fetch``) and reads an article;
- ``annotate_url`` stores its annotation (the staff "annotate a URL" form and the CLI's
  ``--save`` use it);
- ``FeedWatch`` polls the content sites' feeds in ``KM_ANNOTATE_FEEDS``: items not yet
  stored are fetched, annotated and stored (``source_kind="feed"``), a few per poll; a feed
  that fails is logged and tried again at its next turn;
- ``relink`` is the worker job that re-links stored claims to new alerts
  (``alerts.claims.relink``) and queues the followers' mail.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from alerts.claims.annotate import annotate_and_save
from alerts.claims.document import Article, DocumentError, read
from alerts.claims.relink import RelinkCounts, relink_due
from alerts.models import ClaimDocument
from monitor.claims_fetch import FEED_TYPES, ArticleFetchError, Page, fetch
from monitor.settings import Settings
from sources._rss import read_feed
from sources.base import ParseError

log = logging.getLogger("monitor.claims")
ITEMS_PER_POLL = 10


def article_at(client: httpx.Client, url: str, settings: Settings) -> tuple[Article, Page]:
    """The article at ``url``; ArticleFetchError or DocumentError with the reason."""
    page = fetch(
        client, url, allow_private=settings.annotate_allow_private,
        max_bytes=settings.annotate_max_bytes, timeout=settings.annotate_timeout,
    )  # fmt: skip
    article = read(page.content, content_type=page.content_type, url=page.url)
    return article, page


def annotate_url(
    engine: Engine,
    client: httpx.Client,
    url: str,
    settings: Settings,
    *,
    now: datetime,
    created_by: int | None = None,
    source_kind: str = "url",
    via: str = "",
    title: str = "",
) -> tuple[int, bool]:
    """Fetch, annotate and store the article at ``url``: (document id, stored just now).
    ``title`` is used when the page names none (a feed item's title).
    """
    article, page = article_at(client, url, settings)
    if not article.title and title:
        article = replace(article, title=" ".join(title.split())[:500])
    with Session(engine) as session:
        document, made = annotate_and_save(
            session, article, url=page.url, source_kind=source_kind, fetched_at=page.fetched_at,
            now=now, via=via, created_by=created_by,
        )  # fmt: skip
        session.commit()
        return int(document.id or 0), made


def relink(engine: Engine, settings: Settings) -> RelinkCounts:
    """The worker job: new and revised alerts join the stored claims they bear on."""
    counts = relink_due(engine, base_url=settings.base_url, now=datetime.now(UTC))
    if counts.added:
        log.info(
            "claims re-linked",
            extra={"alerts": counts.alerts, "links": counts.added, "mails": counts.mails},
        )
    return counts


@dataclass
class FeedState:
    """What the watcher remembers of one feed between polls (in this process)."""

    etag: str | None = None
    last_modified: str | None = None
    next_at: datetime | None = None
    last_error: str | None = None


@dataclass
class FeedWatch:
    """Polls ``settings.annotate_feeds`` every ``annotate_every_seconds``."""

    engine: Engine
    client: httpx.Client
    settings: Settings
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    states: dict[str, FeedState] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def tick(self) -> int:
        """Poll the feeds that are due; returns how many articles were stored."""
        if not self._lock.acquire(blocking=False):
            return 0
        try:
            stored = 0
            for feed in self.settings.annotate_feeds:
                state = self.states.setdefault(feed, FeedState())
                now = self.clock()
                if state.next_at is not None and now < state.next_at:
                    continue
                state.next_at = now + timedelta(seconds=self.settings.annotate_every_seconds)
                try:
                    stored += self.poll(feed, state)
                    state.last_error = None
                except (ArticleFetchError, ParseError) as exc:
                    state.last_error = str(exc)
                    log.warning("annotate feed failed", extra={"feed": feed, "error": str(exc)})
            return stored
        finally:
            self._lock.release()

    def poll(self, feed: str, state: FeedState) -> int:
        """One poll of one feed: new items fetched, annotated and stored."""
        validators = {"If-None-Match": state.etag or "", "If-Modified-Since": state.last_modified}
        page = fetch(
            self.client, feed, allow_private=self.settings.annotate_allow_private,
            max_bytes=self.settings.annotate_max_bytes, timeout=self.settings.annotate_timeout,
            accept=FEED_TYPES, headers={k: v for k, v in validators.items() if v},
        )  # fmt: skip
        if page.not_modified:
            return 0
        state.etag, state.last_modified = (
            page.headers.get("etag"),
            page.headers.get("last-modified"),
        )
        titles: dict[str, str] = {}
        for entry in read_feed(page.content).entries:
            link = str(entry.get("link") or "")
            if link.startswith(("http://", "https://")):
                titles.setdefault(link, str(entry.get("title") or ""))
        links = list(titles)
        with Session(self.engine) as session:
            known = set(
                session.exec(
                    select(ClaimDocument.url).where(col(ClaimDocument.url).in_(links))
                ).all()
            )
        stored = 0
        for link in [link for link in links if link not in known][:ITEMS_PER_POLL]:
            try:
                _, made = annotate_url(
                    self.engine, self.client, link, self.settings, now=self.clock(),
                    source_kind="feed", via=feed, title=titles[link],
                )  # fmt: skip
            except (ArticleFetchError, DocumentError) as exc:
                log.warning("annotate item failed", extra={"url": link, "error": str(exc)})
                continue
            stored += made
        return stored
