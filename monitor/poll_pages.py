"""The pages of one poll: fetch them, parse them, store what they hold.

``fetch_pages`` follows a source's paging over HTTP and parses each page (drafts, and
records for sources that keep records); ``store_pages`` stores the drafts (and the drafts a
source derives from its records) inside the poll's transaction. ``monitor.poll`` runs them.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from sqlmodel import Session, select

from alerts import incidents, source_records, store
from alerts.classify import classify
from alerts.draft import AlertDraft
from alerts.models import Evidence, SourceState
from monitor.http import Fetched, fetch
from monitor.politeness import HostGate
from monitor.poll_details import DetailCounts, Sign
from sources.base import ParseError, Record, Source


@dataclass
class PollOutcome:
    """What one poll did.

    ``outcome``: ok; not_modified (HTTP 304, or the same bytes as last time);
    error; lost_lease (another worker took the source over mid-poll).
    """

    source: str
    poll_id: str
    outcome: str
    new: int = 0
    revised: int = 0
    unchanged: int = 0
    items: int = 0
    pages: int = 0
    bytes_read: int = 0
    duration_ms: int = 0
    error: str | None = None
    retry_after: float | None = None
    details: DetailCounts = field(default_factory=DetailCounts)
    new_ids: list[int] = field(default_factory=list)
    revised_ids: list[int] = field(default_factory=list)


@dataclass
class Page:
    """One fetched page and the classified drafts parsed from it."""

    fetched: Fetched
    drafts: list[AlertDraft]
    same_as_before: bool = False  # byte-identical to the last response: not parsed
    url: str = ""  # as requested, without an API key: detail links resolve against it
    records: list[Record] = field(default_factory=list)


def prepare(source: Source, content: bytes) -> list[AlertDraft]:
    """Parse a payload with the source's parser and classify every draft."""
    return [classify(draft) for draft in source.parse(content)]


def fetch_pages(
    source: Source,
    url: str,
    state: SourceState | None,
    client: httpx.Client,
    *,
    gate: HostGate | None = None,
    before_page: Callable[[], None] = lambda: None,
    sign: Sign = lambda url: (url, {}),
) -> list[Page]:
    pages: list[Page] = []
    next_url: str | None = url
    seen: set[str] = set()
    # A source that reads detail pages or keeps records re-reads its listing every poll:
    # a row deferred last time, or a record's age, matters even when the bytes are the same.
    every_time = source.detail is not None or source.records is not None
    if every_time:
        state = None
    while next_url and len(pages) < source.max_pages:
        if next_url in seen:
            raise ParseError(f"paging loops back to {next_url}")
        seen.add(next_url)
        first = not pages
        if not first:
            before_page()
        signed, extra = sign(next_url)
        fetched = fetch(
            client,
            signed,
            headers={**source.headers, **extra},
            expect=source.format,
            max_bytes=source.max_bytes,
            etag=state.etag if first and state else None,
            last_modified=state.last_modified if first and state else None,
            empty_response=source.empty_response,
            gate=gate,
        )
        if signed != next_url:
            fetched.url = next_url  # evidence never keeps a URL that carries an API key
        if fetched.not_modified or fetched.empty:
            pages.append(Page(fetched, [], url=next_url))
            break
        if (
            source.next_page is None
            and state is not None
            and state.last_content_sha256 == hashlib.sha256(fetched.content).hexdigest()
        ):
            # Servers without validators resend the same bytes; parsing them again
            # can only find what is already stored.
            pages.append(Page(fetched, [], same_as_before=True, url=next_url))
            break
        records = source.records(fetched.content) if source.records else []
        pages.append(Page(fetched, prepare(source, fetched.content), url=next_url, records=records))
        next_url = (
            source.next_page(fetched.content, fetched.headers, next_url)
            if source.next_page
            else None
        )
    return pages


def evidence_maker(session: Session, fetched: Fetched, keep_bytes: int) -> Callable[[], int | None]:
    """A lazy maker of the Evidence row for ``fetched``: called only when something is stored.

    Identical bodies share one row (keyed by SHA-256).
    """
    made: list[int] = []

    def make() -> int | None:
        if made:
            return made[0]
        digest = hashlib.sha256(fetched.content).hexdigest()
        existing = session.exec(select(Evidence.id).where(Evidence.sha256 == digest)).first()
        if existing is not None:
            made.append(existing)
            return existing
        row = Evidence(
            sha256=digest,
            url=fetched.url,
            retrieved_at=fetched.retrieved_at,
            status_code=fetched.status,
            content_type=fetched.content_type[:200],
            etag=(fetched.etag or None),
            last_modified=fetched.last_modified,
            size=len(fetched.content),
            body=zlib.compress(fetched.content, 6) if len(fetched.content) <= keep_bytes else None,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        made.append(row.id)
        return row.id

    return make


def store_pages(
    session: Session,
    source: Source,
    pages: Sequence[Page],
    outcome: PollOutcome,
    *,
    now: datetime,
    keep_bytes: int,
    origin: str = "poll",
) -> None:
    """Store the drafts of a poll's pages, link incidents and mark the source healthy.

    Runs inside the caller's transaction; the caller commits.
    """
    changed = []
    derived = _derive(session, source, pages, now=now)
    if derived:
        pages = [*pages, derived]
    for page in pages:
        if not page.drafts:
            continue
        result = store.upsert(
            session,
            page.drafts,
            now=now,
            origin=origin,
            evidence_id=evidence_maker(session, page.fetched, keep_bytes),
        )
        outcome.new += len(result.new)
        outcome.revised += len(result.revised)
        outcome.unchanged += result.unchanged
        outcome.new_ids += [a.id for a in result.new if a.id is not None]
        outcome.revised_ids += [a.id for a in result.revised if a.id is not None]
        changed += result.new + result.revised
    incidents.link(session, changed, now=now)
    if changed:
        store.mark_changed(session, now=now)  # last: its row lock orders concurrent writers


def _derive(
    session: Session, source: Source, pages: Sequence[Page], *, now: datetime
) -> Page | None:
    """Keep the records this poll read and derive drafts from all of the source's records.

    Returns a page holding the derived drafts (with the last fetched response as their
    evidence), or None for a source without records.
    """
    if source.records is None or source.derive is None or not pages:
        return None
    read = [page for page in pages if not page.fetched.not_modified]
    if read:
        source_records.keep(
            session, source.key, [r for page in read for r in page.records], now=now
        )
    drafts = [classify(d) for d in source.derive(source_records.kept(session, source.key), now)]
    return Page(pages[-1].fetched, drafts, url=pages[-1].url)
