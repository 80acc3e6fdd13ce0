"""One poll of one source, end to end: fetch pages, parse, classify, store, link.

The store work of a poll is one transaction: a failure anywhere rolls it back, and
the failure is then written to the source's health row and the poll log in a
transaction of its own, so staff see it and nothing half-done remains.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine, insert, update
from sqlmodel import Session, col

from alerts import health, mailbox
from alerts.models import PollRun, SourceState
from alerts.text import as_utc
from monitor import schedule
from monitor.http import Fetched, FetchError
from monitor.politeness import HostGate
from monitor.poll_details import Sign, complete
from monitor.poll_pages import (
    Page,
    PollOutcome,
    evidence_maker,
    fetch_pages,
    prepare,
    store_pages,
)
from sources.base import ParseError, Source

log = logging.getLogger("monitor.poll")

__all__ = [
    "LeaseLostError", "Page", "PollContext", "PollOutcome", "evidence_maker", "poll_many",
    "poll_source", "prepare", "store_pages",
]  # fmt: skip


class LeaseLostError(RuntimeError):
    """Another worker holds this source now; this poll's work is discarded."""


@dataclass
class PollContext:
    """How a poll is scheduled and reported: who holds the lease, cadence, alarms."""

    owner: str | None = None  # lease holder; None for a manual poll
    interval: timedelta | None = None  # None: the source's default cadence
    lease_ttl: timedelta = timedelta(minutes=5)
    stale_floor: timedelta = timedelta(days=2)
    staff: tuple[str, ...] = ()
    gate: HostGate | None = None
    rng: random.Random = field(default_factory=random.Random)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # API keys by environment variable name (``Source.needs_key``).
    keys: Mapping[str, str] = field(default_factory=dict)


def _locked_state(session: Session, key: str, owner: str | None) -> SourceState:
    """The source's row, locked for this transaction; LeaseLostError if not ours."""
    state = session.get(SourceState, key, with_for_update=True) or SourceState(key=key)
    if owner is not None and state.lease_owner != owner:
        raise LeaseLostError(f"lease on {key} now held by {state.lease_owner or 'nobody'}")
    return state


def _alarm(
    session: Session, state: SourceState, source: Source, url: str, ctx: PollContext, now: datetime
) -> None:
    change = health.alarm_change(state.alarm_open, state.status)
    if change is None:
        return
    if change == "open":
        subject, text = mailbox.source_alarm(
            key=source.key, title=source.title, status=state.status, error=state.last_error,
            since=state.failing_since if state.status == "failing" else state.last_changed_at,
            url=url,
        )  # fmt: skip
    else:
        subject, text = mailbox.source_recovery(key=source.key, title=source.title, url=url)
    state.alarm_open = change == "open"
    if ctx.staff:
        mailbox.enqueue(
            session, dedupe_key=f"source-{change}:{source.key}:{now.isoformat()}",
            kind=f"source_{'alarm' if change == 'open' else 'recovery'}",
            recipients=list(ctx.staff), subject=subject, text=text, now=now,
        )  # fmt: skip
    log.warning(
        "source alarm %s", "opened" if change == "open" else "closed",
        extra={"source": source.key, "status": state.status},
    )  # fmt: skip


def _after_success(
    session: Session,
    state: SourceState,
    source: Source,
    pages: Sequence[Page],
    outcome: PollOutcome,
    *,
    url: str,
    ctx: PollContext,
    now: datetime,
) -> None:
    """Health, liveness, validators and the next due time after a good poll."""
    first = pages[0].fetched if pages else None
    if first is not None and not first.not_modified:
        digest = hashlib.sha256(b"".join(p.fetched.content for p in pages)).hexdigest()
        if digest != state.last_content_sha256:
            state.change_gaps = health.record_change(state.change_gaps, state.last_changed_at, now)
            state.last_changed_at = now
            state.last_content_sha256 = digest
    if state.last_changed_at is None:
        state.last_changed_at = now
    if len(pages) == 1 and first is not None and not first.not_modified:
        state.etag = first.etag
        state.last_modified = first.last_modified
    state.consecutive_failures = 0
    state.failing_since = None
    state.last_polled_at = now
    state.last_success_at = now
    state.items_seen += outcome.items
    state.last_poll_id = outcome.poll_id
    state.status = health.status_for(
        consecutive_failures=0, last_changed_at=state.last_changed_at,
        gaps=state.change_gaps, floor=ctx.stale_floor, now=now,
    )  # fmt: skip
    _alarm(session, state, source, url, ctx, now)
    max_age = schedule.cache_max_age(first.headers) if first is not None else None
    interval = ctx.interval or source.every
    state.next_poll_at = schedule.next_after_success(now, interval, ctx.rng, max_age)
    state.lease_owner = None
    state.lease_expires_at = None
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


def _record_failure(
    engine: Engine,
    source: Source,
    outcome: PollOutcome,
    started: datetime,
    *,
    url: str,
    ctx: PollContext,
) -> None:
    now = ctx.clock()
    with Session(engine) as session:
        try:
            state = _locked_state(session, outcome.source, ctx.owner)
        except LeaseLostError:
            _record_run(session, outcome, started, now)
            session.commit()
            return
        state.consecutive_failures += 1
        state.failing_since = state.failing_since or now
        state.status = health.status_for(
            consecutive_failures=state.consecutive_failures, last_changed_at=state.last_changed_at,
            gaps=state.change_gaps, floor=ctx.stale_floor, now=now,
        )  # fmt: skip
        state.last_polled_at = now
        state.last_error = outcome.error
        state.last_error_at = now
        state.last_poll_id = outcome.poll_id
        _alarm(session, state, source, url, ctx, now)
        interval = ctx.interval or source.every
        delay = schedule.backoff_delay(
            state.consecutive_failures, interval, ctx.rng, outcome.retry_after
        )
        state.next_poll_at = now + delay
        state.lease_owner = None
        state.lease_expires_at = None
        session.add(state)
        _record_run(session, outcome, started, now)
        session.commit()


def _finish_quietly(
    engine: Engine,
    source: Source,
    state: SourceState | None,
    fetched: Fetched,
    outcome: PollOutcome,
    *,
    ctx: PollContext,
    started: datetime,
) -> bool:
    """Close an unchanged poll of a healthy, leased source in one short transaction.

    Most polls find nothing new. When the source is healthy, stays healthy and has no
    alarm to settle, this writes the same row updates as the full path with one UPDATE
    (fenced on our lease: zero rows means another worker owns the source) and one
    INSERT of the poll log. Returns False when the full path must run instead.
    """
    if ctx.owner is None or state is None or state.last_changed_at is None:
        return False
    now = ctx.clock()
    if state.status != "ok" or state.consecutive_failures or state.alarm_open:
        return False
    still = health.status_for(
        consecutive_failures=0, last_changed_at=state.last_changed_at,
        gaps=state.change_gaps, floor=ctx.stale_floor, now=now,
    )  # fmt: skip
    if still != "ok":
        return False
    interval = ctx.interval or source.every
    values: dict[str, object] = {
        "last_polled_at": now, "last_success_at": now, "last_poll_id": outcome.poll_id,
        "next_poll_at": schedule.next_after_success(
            now, interval, ctx.rng, schedule.cache_max_age(fetched.headers)
        ),
        "lease_owner": None, "lease_expires_at": None,
    }  # fmt: skip
    if not fetched.not_modified:  # same bytes, perhaps with fresh validators
        values.update(etag=fetched.etag, last_modified=fetched.last_modified)
    with engine.begin() as connection:
        claimed = connection.execute(
            update(SourceState)
            .where(col(SourceState.key) == source.key, col(SourceState.lease_owner) == ctx.owner)
            .values(**values)
        )
        if claimed.rowcount != 1:
            raise LeaseLostError(f"lease on {source.key} now held by another worker")
        connection.execute(
            insert(PollRun).values(
                id=outcome.poll_id, source=source.key, started_at=started, finished_at=now,
                outcome=outcome.outcome, pages=outcome.pages, bytes_read=outcome.bytes_read,
                items=0, new=0, revised=0, unchanged=0, error=None,
            )
        )  # fmt: skip
    return True


def _signer(source: Source, key: str) -> Sign:
    """What puts the source's API key into a request (nothing for keyless sources)."""
    authorize = source.authorize
    if not key or authorize is None:
        return lambda url: (url, {})
    return lambda url: authorize(url, key)


def _redact(text: str, key: str) -> str:
    """``text`` with the API key replaced: errors are shown to staff and logged."""
    return text.replace(key, "[key]") if key else text


def _record_unconfigured(
    engine: Engine, source: Source, outcome: PollOutcome, started: datetime, *, ctx: PollContext
) -> None:
    """A source without its API key: shown as needing configuration, never as failing."""
    now = ctx.clock()
    outcome.outcome = "needs_config"
    outcome.error = f"needs configuration: set {source.needs_key} to an API key for {source.title}"
    with Session(engine) as session:
        try:
            state = _locked_state(session, source.key, ctx.owner)
        except LeaseLostError:
            return
        state.status = "needs_config"
        state.last_polled_at = now
        state.last_error = outcome.error
        state.consecutive_failures = 0
        state.failing_since = None
        state.next_poll_at = now + (ctx.interval or source.every)
        state.lease_owner = None
        state.lease_expires_at = None
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
    ctx: PollContext | None = None,
) -> PollOutcome:
    """Poll one source now and store what it says. Never raises for source trouble.

    Errors (HTTP, size cap, timeouts, malformed payloads, database errors) end the
    poll with ``outcome="error"`` and a message for staff on the source's row, and
    schedule a retry with backoff. With ``ctx.owner`` set, the poll only commits while
    that worker still holds the source's lease (``outcome="lost_lease"`` otherwise).
    """
    ctx = ctx or PollContext()
    url = url or source.url
    outcome = PollOutcome(source=source.key, poll_id=uuid.uuid4().hex[:12], outcome="ok")
    started = ctx.clock()
    clock = time.perf_counter()
    key = ctx.keys.get(source.needs_key, "") if source.needs_key else ""
    if source.needs_key and not key:
        _record_unconfigured(engine, source, outcome, started, ctx=ctx)
        return outcome
    sign = _signer(source, key)

    def renew_lease() -> None:
        if ctx.owner is not None and not schedule.renew(
            engine, key=source.key, owner=ctx.owner, until=ctx.clock() + ctx.lease_ttl
        ):
            raise LeaseLostError(f"lease on {source.key} expired mid-poll")

    try:
        # Read validators in a short session: no transaction stays open during network I/O.
        with Session(engine, expire_on_commit=False) as session:
            state = session.get(SourceState, source.key)
        if source.since_url is not None:
            url = source.since_url(url, as_utc(state.last_success_at) if state else None)
        pages = fetch_pages(
            source, url, state, client, gate=ctx.gate, before_page=renew_lease, sign=sign
        )
        for page in pages:
            page.drafts = complete(
                source, page.drafts, page.url, engine=engine, client=client, sign=sign,
                now=ctx.clock(), counts=outcome.details, gate=ctx.gate,
            )  # fmt: skip
        outcome.pages = len(pages)
        outcome.bytes_read = sum(len(p.fetched.content) for p in pages)
        outcome.items = sum(len(p.drafts) + len(p.records) for p in pages)
        if pages and (pages[0].fetched.not_modified or pages[0].same_as_before):
            outcome.outcome = "not_modified"
        quiet = outcome.outcome == "not_modified" and _finish_quietly(
            engine, source, state, pages[0].fetched, outcome, ctx=ctx, started=started
        )
        if not quiet:
            with Session(engine) as session:
                now = ctx.clock()
                state = _locked_state(session, source.key, ctx.owner)
                # What a source holds at its first successful poll is history, not news.
                first = state.last_success_at is None
                store_pages(
                    session, source, pages, outcome, now=now, keep_bytes=evidence_keep_bytes,
                    origin="baseline" if first else "poll",
                )  # fmt: skip
                _after_success(session, state, source, pages, outcome, url=url, ctx=ctx, now=now)
                _record_run(session, outcome, started, now)
                session.commit()
    except LeaseLostError as exc:
        outcome.outcome, outcome.error = "lost_lease", str(exc)
    except FetchError as exc:
        explained = (
            source.explain_refusal(exc.status or 0, exc.body) if source.explain_refusal else None
        )
        outcome.error = _redact(f"{explained} ({exc})" if explained else str(exc), key)
        outcome.retry_after = exc.retry_after
    except ParseError as exc:
        outcome.error = _redact(str(exc), key)
    except Exception as exc:  # the loop boundary: any failure becomes data on the row
        log.exception("poll crashed", extra={"source": source.key, "poll_id": outcome.poll_id})
        outcome.error = _redact(f"{type(exc).__name__}: {exc}", key)
    if outcome.error is not None and outcome.outcome != "lost_lease":
        outcome.outcome = "error"
        _record_failure(engine, source, outcome, started, url=url, ctx=ctx)
    if outcome.error is not None:
        outcome.new = outcome.revised = outcome.unchanged = 0
        outcome.new_ids, outcome.revised_ids = [], []
    outcome.duration_ms = int((time.perf_counter() - clock) * 1000)
    log.info(
        "poll %s",
        outcome.outcome,
        extra={
            "source": source.key, "poll_id": outcome.poll_id, "outcome": outcome.outcome,
            "pages": outcome.pages, "items": outcome.items, "new": outcome.new,
            "revised": outcome.revised, "unchanged": outcome.unchanged,
            "duration_ms": outcome.duration_ms, "error": outcome.error,
        },
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
    ctx: PollContext | None = None,
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
            ctx=ctx,
        )
        outcomes.append(outcome)
        if progress is not None:
            progress(index, len(sources), outcome)
    return outcomes
