"""The second page behind a listing row (``sources.base.Detail``): read once per version.

A warning letter behind its row in FDA's listing, a bill behind its search hit. Each page is
fetched at most once per version and kept (``alerts.source_records``), so a re-poll reads it
from the store; at most ``Detail.per_poll`` pages are fetched per poll, and a row whose page
is not read yet waits for a later poll. A page that is gone (404, 410) is kept as gone and
its row skipped; any other failure fails the poll, with the page's URL in the message, after
the pages already read are kept.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

import httpx
from sqlalchemy import Engine
from sqlmodel import Session

from alerts import source_records
from alerts.classify import classify
from alerts.draft import AlertDraft
from monitor.http import FetchError, fetch
from monitor.politeness import HostGate
from sources.base import Detail, ParseError, Source

log = logging.getLogger("monitor.poll")

# (URL without the key) -> (URL to request, extra headers): adds a source's API key
Sign = Callable[[str], tuple[str, dict[str, str]]]


@dataclass
class DetailCounts:
    """What one poll did with detail pages."""

    fetched: int = 0
    kept: int = 0  # read from the store
    deferred: int = 0  # over this poll's budget: next poll
    gone: int = 0


def complete(
    source: Source,
    drafts: list[AlertDraft],
    listing_url: str,
    *,
    engine: Engine,
    client: httpx.Client,
    sign: Sign,
    now: datetime,
    counts: DetailCounts,
    gate: HostGate | None = None,
) -> list[AlertDraft]:
    """``drafts`` completed from their detail pages; rows without a page yet are left out."""
    detail = source.detail
    if detail is None:
        return drafts
    done: list[AlertDraft] = []
    for draft in drafts:
        href = detail.url(draft)
        if href is None:
            done.append(draft)
            continue
        url = urljoin(listing_url, href)
        body = _body(source, detail, draft, url, engine=engine, client=client, sign=sign,
                     now=now, counts=counts, gate=gate)  # fmt: skip
        if body is None:
            continue
        try:
            completed = detail.parse(draft, body)
        except ParseError as exc:
            raise ParseError(f"{url}: {exc}") from exc
        if completed is not None:
            done.append(classify(completed))
    return done


def _body(
    source: Source,
    detail: Detail,
    draft: AlertDraft,
    url: str,
    *,
    engine: Engine,
    client: httpx.Client,
    sign: Sign,
    now: datetime,
    counts: DetailCounts,
    gate: HostGate | None,
) -> bytes | None:
    """The page's bytes (kept or fetched now), or None when gone or deferred."""
    version = detail.version(draft)
    with Session(engine) as session:
        row = source_records.page(session, source.key, url)
        if row is not None and row.version == version[:200]:
            counts.kept += 1
            if row.status_code != 200:
                counts.gone += 1
                return None
            return source_records.page_body(row)
    if counts.fetched >= detail.per_poll:
        counts.deferred += 1
        return None
    counts.fetched += 1
    signed, extra = sign(url)
    try:
        fetched = fetch(
            client, signed, expect=detail.format, max_bytes=detail.max_bytes, gate=gate,
            headers=extra,  # the detail's own Accept; not the listing's headers
        )  # fmt: skip
        content, status = fetched.content, fetched.status
    except FetchError as exc:
        if exc.status not in (404, 410):
            raise FetchError(
                f"detail page {url}: {exc}", status=exc.status, retry_after=exc.retry_after
            ) from exc
        log.warning("detail page gone", extra={"source": source.key, "url": url})
        content, status = b"", exc.status
        counts.gone += 1
    with Session(engine) as session:
        source_records.save_page(
            session, source.key, url, version=version, content=content,
            sha256=hashlib.sha256(content).hexdigest(), status_code=status, now=now,
        )  # fmt: skip
        session.commit()
    return content if status == 200 else None
