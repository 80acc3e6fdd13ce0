"""One poll of one source, end to end: fetch pages, parse, classify, store, link.

The store work of a poll is one transaction: a failure anywhere rolls it back, and
the failure is then written to the source's health row and the poll log in a
transaction of its own, so staff see it and nothing half-done remains.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, select

from alerts import incidents, store
from alerts.classify import classify
from alerts.draft import AlertDraft
from alerts.models import Evidence, PollRun, SourceState
from monitor.http import Fetched, FetchError, fetch
from sources.base import ParseError, Source

log = logging.getLogger("monitor.poll")

FAILING_AFTER = 3  # consecutive failures before a source counts as failing


@dataclass
class PollOutcome:
    """What one poll did; ``outcome`` is ok, not_modified or error."""

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
    new_ids: list[int] = field(default_factory=list)
    revised_ids: list[int] = field(default_factory=list)


@dataclass
class Page:
    """One fetched page and the classified drafts parsed from it."""

    fetched: Fetched
    drafts: list[AlertDraft]


def prepare(source: Source, content: bytes) -> list[AlertDraft]:
    """Parse a payload with the source's parser and classify every draft."""
    return [classify(draft) for draft in source.parse(content)]


def _fetch_pages(
    source: Source, url: str, state: SourceState | None, client: httpx.Client
) -> list[Page]:
    pages: list[Page] = []
    next_url: str | None = url
    seen: set[str] = set()
    while next_url and len(pages) < source.max_pages:
        if next_url in seen:
            raise ParseError(f"paging loops back to {next_url}")
        seen.add(next_url)
        first = not pages
        fetched = fetch(
            client,
            next_url,
            expect=source.format,
            max_bytes=source.max_bytes,
            etag=state.etag if first and state else None,
            last_modified=state.last_modified if first and state else None,
            empty_response=source.empty_response,
        )
        if fetched.not_modified or fetched.empty:
            pages.append(Page(fetched, []))
            break
        pages.append(Page(fetched, prepare(source, fetched.content)))
        next_url = (
            source.next_page(fetched.content, fetched.headers, next_url)
            if source.next_page
            else None
        )
    return pages


def _evidence_maker(
    session: Session, fetched: Fetched, keep_bytes: int
) -> Callable[[], int | None]:
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


def _state(session: Session, key: str) -> SourceState:
    return session.get(SourceState, key) or SourceState(key=key)


def store_pages(
    session: Session,
    source: Source,
    pages: Sequence[Page],
    outcome: PollOutcome,
    *,
    now: datetime,
    keep_bytes: int,
) -> None:
    """Store the drafts of a poll's pages, link incidents and mark the source healthy.

    Runs inside the caller's transaction; the caller commits.
    """
    changed = []
    for page in pages:
        if not page.drafts:
            continue
        result = store.upsert(
            session,
            page.drafts,
            now=now,
            evidence_id=_evidence_maker(session, page.fetched, keep_bytes),
        )
        outcome.new += len(result.new)
        outcome.revised += len(result.revised)
        outcome.unchanged += result.unchanged
        outcome.new_ids += [a.id for a in result.new if a.id is not None]
        outcome.revised_ids += [a.id for a in result.revised if a.id is not None]
        changed += result.new + result.revised
    incidents.link(session, changed, now=now)
    state = _state(session, source.key)
    state.status = "ok"
    state.last_polled_at = now
    state.last_success_at = now
    state.consecutive_failures = 0
    state.items_seen += outcome.items
    state.last_poll_id = outcome.poll_id
    if len(pages) == 1 and not pages[0].fetched.not_modified:
        state.etag = pages[0].fetched.etag
        state.last_modified = pages[0].fetched.last_modified
    session.add(state)


def _record_run(session: Session, outcome: PollOutcome, started: datetime, now: datetime) -> None:
    session.add(
        PollRun(
            id=outcome.poll_id,
            source=outcome.source,
            started_at=started,
            finished_at=now,
            outcome=outcome.outcome,
            pages=outcome.pages,
            bytes_read=outcome.bytes_read,
            items=outcome.items,
            new=outcome.new,
            revised=outcome.revised,
            unchanged=outcome.unchanged,
            error=outcome.error,
        )
    )


def _record_failure(engine: Engine, outcome: PollOutcome, started: datetime) -> None:
    now = datetime.now(UTC)
    with Session(engine) as session:
        state = _state(session, outcome.source)
        state.consecutive_failures += 1
        state.status = "failing" if state.consecutive_failures >= FAILING_AFTER else "degraded"
        state.last_polled_at = now
        state.last_error = outcome.error
        state.last_error_at = now
        state.last_poll_id = outcome.poll_id
        session.add(state)
        _record_run(session, outcome, started, now)
        session.commit()


def poll_source(
    source: Source,
    *,
    engine: Engine,
    client: httpx.Client,
    url: str | None = None,
    evidence_keep_bytes: int = 2 * 1024 * 1024,
) -> PollOutcome:
    """Poll one source now and store what it says. Never raises for source trouble.

    Errors (HTTP, size cap, timeouts, malformed payloads, database errors) end the
    poll with ``outcome="error"`` and a message for staff on the source's row.
    """
    outcome = PollOutcome(source=source.key, poll_id=uuid.uuid4().hex[:12], outcome="ok")
    started = datetime.now(UTC)
    clock = time.perf_counter()
    try:
        # Read validators in a short session: no transaction stays open during network I/O.
        with Session(engine, expire_on_commit=False) as session:
            state = session.get(SourceState, source.key)
        pages = _fetch_pages(source, url or source.url, state, client)
        with Session(engine) as session:
            outcome.pages = len(pages)
            outcome.bytes_read = sum(len(p.fetched.content) for p in pages)
            outcome.items = sum(len(p.drafts) for p in pages)
            if pages and pages[0].fetched.not_modified:
                outcome.outcome = "not_modified"
            now = datetime.now(UTC)
            store_pages(session, source, pages, outcome, now=now, keep_bytes=evidence_keep_bytes)
            _record_run(session, outcome, started, now)
            session.commit()
    except (FetchError, ParseError) as exc:
        outcome.error = str(exc)
    except Exception as exc:  # the loop boundary: any failure becomes data on the row
        log.exception("poll crashed source=%s poll_id=%s", source.key, outcome.poll_id)
        outcome.error = f"{type(exc).__name__}: {exc}"
    if outcome.error is not None:
        outcome.outcome = "error"
        outcome.new = outcome.revised = outcome.unchanged = 0
        outcome.new_ids, outcome.revised_ids = [], []
        _record_failure(engine, outcome, started)
    outcome.duration_ms = int((time.perf_counter() - clock) * 1000)
    log.info(
        "poll source=%s poll_id=%s outcome=%s pages=%d items=%d new=%d revised=%d "
        "unchanged=%d duration_ms=%d%s",
        source.key, outcome.poll_id, outcome.outcome, outcome.pages, outcome.items,
        outcome.new, outcome.revised, outcome.unchanged, outcome.duration_ms,
        f" error={outcome.error!r}" if outcome.error else "",
    )  # fmt: skip
    return outcome


def poll_many(
    sources: Sequence[Source],
    *,
    engine: Engine,
    client: httpx.Client,
    urls: dict[str, str] | None = None,
    evidence_keep_bytes: int = 2 * 1024 * 1024,
    progress: Callable[[int, int, PollOutcome], None] | None = None,
) -> list[PollOutcome]:
    """Poll each source in turn; one source's failure never stops the others."""
    outcomes = []
    for index, source in enumerate(sources, start=1):
        outcome = poll_source(
            source,
            engine=engine,
            client=client,
            url=(urls or {}).get(source.key),
            evidence_keep_bytes=evidence_keep_bytes,
        )
        outcomes.append(outcome)
        if progress is not None:
            progress(index, len(sources), outcome)
    return outcomes
