"""Backfill: read a source's history over a date range and store it as history.

New alerts are stored with ``origin="backfill"``: kept, listed and linked into
incidents, never mailed. A backfill sends nothing and never touches the source's
health or scheduling row, so it cannot delay or disturb the regular polls.

Each window (a first-page URL from ``Source.backfill_urls`` and the pages after it)
is fetched in full, then stored in one transaction. A failing window stops the run
after the earlier windows are committed; re-running is safe because the store skips
items it already holds.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TextIO
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine
from sqlmodel import Session

from alerts import incidents, store
from alerts.models import Alert
from monitor import db
from monitor.http import Fetched, FetchError, fetch, make_client
from monitor.poll import Page, evidence_maker, prepare
from monitor.settings import Settings
from sources import registry
from sources.base import ParseError, Source

MAX_RETRIES = 5  # rate-limit retries per request before the window fails
MAX_RETRY_WAIT = 120.0  # never sleep longer than this on one Retry-After
NO_HINT_WAIT = 30.0  # a 429 without Retry-After
DEFAULT_PAUSE = 0.25  # openFDA allows 240 requests a minute
# The Federal Register asks for at most 5 requests a second.
PAUSES = {"federal_register": 0.2}


class BackfillError(RuntimeError):
    """A window failed; ``result`` counts the windows committed before it."""

    def __init__(self, message: str, result: BackfillResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class BackfillProgress:
    """Where a backfill is, reported after each page; counts are totals so far."""

    window: int
    windows: int
    window_done: bool
    pages: int
    alerts: int


@dataclass
class BackfillResult:
    """What a backfill stored; ``windows`` counts committed windows only."""

    source: str
    windows: int = 0
    pages: int = 0
    items: int = 0
    new: int = 0
    revised: int = 0
    unchanged: int = 0
    # 1-based numbers of windows that stopped at the source's page limit
    truncated: list[int] = field(default_factory=list)


class _Pacer:
    """Keeps at least ``pause`` seconds between request starts to the same host."""

    def __init__(self, pause: float, sleep: Callable[[float], None]) -> None:
        self.pause, self.sleep = pause, sleep
        self.last: dict[str, float] = {}

    def wait(self, url: str) -> None:
        host = urlsplit(url).netloc.lower()
        if host in self.last:
            remaining = self.pause - (time.monotonic() - self.last[host])
            if remaining > 0:
                self.sleep(remaining)
        self.last[host] = time.monotonic()


def _rate_limited(exc: FetchError) -> bool:
    # Only the server's own 429/503 is worth waiting out; a local daily quota is not.
    return exc.status == 429 or (exc.status == 503 and exc.retry_after is not None)


def _fetch(
    source: Source, client: httpx.Client, url: str, pacer: _Pacer, sleep: Callable[[float], None]
) -> Fetched:
    retries = 0
    while True:
        pacer.wait(url)
        try:
            return fetch(
                client,
                url,
                expect=source.format,
                max_bytes=source.max_bytes,
                empty_response=source.empty_response,
            )
        except FetchError as exc:
            if not _rate_limited(exc):
                raise
            if retries == MAX_RETRIES:
                raise FetchError(
                    f"still rate limited after {MAX_RETRIES} retries ({exc})", status=exc.status
                ) from exc
            retries += 1
            wait = NO_HINT_WAIT if exc.retry_after is None else exc.retry_after
            sleep(min(wait, MAX_RETRY_WAIT))


def _fetch_window(
    source: Source,
    first: str,
    client: httpx.Client,
    pacer: _Pacer,
    sleep: Callable[[float], None],
    on_page: Callable[[Page, bool], None],
) -> tuple[list[Page], str | None]:
    """A window's pages, and the next URL when the page limit cut it short.

    Raises FetchError, or ParseError for a malformed page or a paging loop.
    """
    pages: list[Page] = []
    seen: set[str] = set()
    next_url: str | None = first
    while next_url and len(pages) < source.max_pages:
        if next_url in seen:
            raise ParseError(f"paging loops back to {next_url}")
        seen.add(next_url)
        fetched = _fetch(source, client, next_url, pacer, sleep)
        page = Page(fetched, [] if fetched.empty else prepare(source, fetched.content))
        pages.append(page)
        next_url = (
            source.next_page(fetched.content, fetched.headers, next_url)
            if source.next_page and not fetched.empty
            else None
        )
        on_page(page, next_url is None or len(pages) >= source.max_pages)
    return pages, next_url


def backfill(
    source: Source,
    *,
    engine: Engine,
    client: httpx.Client,
    url: str | None = None,
    since: date,
    until: date,
    progress: Callable[[BackfillProgress], None] | None = None,
    pause: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    evidence_keep_bytes: int = 2 * 1024 * 1024,
) -> BackfillResult:
    """Fetch every window of ``since``..``until`` from ``url`` (default: the source's) and store it.

    ``pause`` is the minimum gap between requests to one host (default: the agency's
    published limit); rate-limit replies are slept off with ``sleep`` (at most
    MAX_RETRY_WAIT seconds each, MAX_RETRIES times per request).

    Raises ValueError when the source has no history API or ``since`` is after
    ``until``, and BackfillError when a window fails (HTTP error, repeated rate
    limiting, malformed payload, paging loop); windows before it stay committed.
    """
    if source.backfill_urls is None:
        raise ValueError(f"{source.key} has no history API")
    if since > until:
        raise ValueError(f"since {since} is after until {until}")
    urls = source.backfill_urls(url or source.url, since, until)
    pacer = _Pacer(PAUSES.get(source.key, DEFAULT_PAUSE) if pause is None else pause, sleep)
    result = BackfillResult(source=source.key)
    pages_seen = alerts_seen = 0
    for number, first in enumerate(urls, start=1):

        def on_page(page: Page, done: bool, number: int = number) -> None:
            nonlocal pages_seen, alerts_seen
            pages_seen, alerts_seen = pages_seen + 1, alerts_seen + len(page.drafts)
            if progress is not None:
                progress(BackfillProgress(number, len(urls), done, pages_seen, alerts_seen))

        try:
            pages, rest = _fetch_window(source, first, client, pacer, sleep, on_page)
            _store(engine, pages, result, evidence_keep_bytes)
        except (FetchError, ParseError) as exc:
            raise BackfillError(
                f"{source.key}: window {number}/{len(urls)} failed: {exc}; "
                f"{result.windows} earlier window(s) are stored and re-running is safe "
                f"(window URL: {first})",
                result,
            ) from exc
        if rest:
            result.truncated.append(number)
    return result


def _store(engine: Engine, pages: list[Page], result: BackfillResult, keep_bytes: int) -> None:
    """Store one window's pages as history in one transaction, then count them."""
    new = revised = unchanged = 0
    changed: list[Alert] = []
    with Session(engine) as session:
        now = datetime.now(UTC)
        for page in pages:
            if not page.drafts:
                continue
            # The same evidence rows as a poll, so a backfilled alert shows its source response.
            done = store.upsert(
                session,
                page.drafts,
                now=now,
                evidence_id=evidence_maker(session, page.fetched, keep_bytes),
                origin="backfill",
            )
            new, revised = new + len(done.new), revised + len(done.revised)
            unchanged += done.unchanged
            changed += done.new + done.revised
        incidents.link(session, changed, now=now)
        if changed:
            store.mark_changed(session, now=now)
        session.commit()
    # Counted after the commit, so a failed window adds nothing to the totals.
    result.windows += 1
    result.pages += len(pages)
    result.items += sum(len(page.drafts) for page in pages)
    result.new, result.revised = result.new + new, result.revised + revised
    result.unchanged += unchanged


# --- command line -------------------------------------------------------------------


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


class ProgressBar:
    """Renders progress as one rewritten line: ``[#####-----] window 3/12 pages 7 alerts 41``."""

    def __init__(self, stream: TextIO, width: int = 10) -> None:
        self.stream, self.width = stream, width
        self.drawn = False

    def __call__(self, p: BackfillProgress) -> None:
        finished = p.window if p.window_done else p.window - 1
        filled = self.width * finished // max(p.windows, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(
            f"\r[{bar}] window {p.window}/{p.windows} pages {p.pages} alerts {p.alerts}"
        )
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        """End the bar's line, if one was drawn."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def summary(result: BackfillResult) -> str:
    """The one-line report: ``backfill SOURCE: N new, M revised, K unchanged over ...``."""
    return (
        f"backfill {result.source}: {result.new} new, {result.revised} revised, "
        f"{result.unchanged} unchanged over {result.windows} windows ({result.pages} pages)"
    )


def cmd_backfill(settings: Settings, args: argparse.Namespace) -> int:
    """``kratom-monitor backfill``: 0 when every window is stored, 1 when one failed.

    Exits 2 (argparse) when ``--since`` is after ``--until``; returns 2 for a source
    without a history API. A schema that needs ``init`` raises ``db.SchemaError``.
    """
    source = registry.get(args.source)
    until: date = args.until or datetime.now(UTC).date()
    if source.backfill_urls is None:
        print(
            f"kratom-monitor: error: {source.key} has no history API; "
            "a regular poll reads everything it serves",
            file=sys.stderr,
        )
        return 2
    if args.since > until:
        args.backfill_parser.error(f"--since {args.since} is after --until {until}")
    url = settings.source_url(source.key, source.url)
    bar = ProgressBar(sys.stderr)
    failure: BackfillError | None = None
    engine = db.make_engine(settings.database_url)
    try:
        db.require_current(engine)
        with make_client(user_agent=settings.user_agent, timeout=settings.http_timeout) as client:
            result = backfill(
                source, engine=engine, client=client, url=url, since=args.since, until=until,
                progress=bar, evidence_keep_bytes=settings.evidence_keep_bytes,
            )  # fmt: skip
    except BackfillError as exc:
        failure, result = exc, exc.result
    finally:
        bar.finish()
        engine.dispose()
    for number in result.truncated:
        print(
            f"warning: window {number} stopped at the page limit ({source.max_pages} pages); "
            "backfill a shorter range to read the rest",
            file=sys.stderr,
        )
    print(summary(result))
    if failure is not None:
        print(f"kratom-monitor: error: {failure}", file=sys.stderr)
        return 1
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``backfill`` subcommand to the CLI's subparsers."""
    parser = commands.add_parser(
        "backfill", help="store a source's history for a date range; never mailed"
    )
    parser.add_argument(
        "source", metavar="SOURCE", choices=list(registry.BY_KEY), help="source key"
    )
    parser.add_argument("--since", type=_day, required=True, help="first day (YYYY-MM-DD)")
    parser.add_argument("--until", type=_day, help="last day (YYYY-MM-DD; default: today, UTC)")
    # The handler needs the parser to report --since after --until as argparse does.
    parser.set_defaults(func=cmd_backfill, backfill_parser=parser)
