"""``kratom-monitor demo --timeline``: replay the real kratom timeline through the real poll.

Each folder ``<root>/<source key>/`` holds what that agency endpoint served on given days
(``<YYYY-MM-DD>.<ext>``), its detail pages (``pages/``) and the timeline events it must
turn into alerts (``expected.json``). The replay steps through the sorted union of the
snapshot days; on each day the loopback server plays that day's files and every
registered source with a folder (from its first snapshot on) is polled through HTTP, with
a clock at noon UTC of that day. Nothing leaves the machine: every polled URL points at
the loopback server, and sources without a folder are not polled.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from alerts.models import Alert
from monitor import db, timeline_report
from monitor.demo.server import TIMELINE, DemoServer, dated_files
from monitor.http import make_client
from monitor.poll import PollContext, poll_source
from monitor.settings import Settings
from monitor.timeline_report import PollNote
from sources import registry
from sources.base import Source

# Sources that need an API key get this one: the loopback server accepts anything.
REPLAY_KEY = "timeline-replay-key"
USER_AGENT = "kratom-monitor/0.1 (timeline replay)"
QUIET_IS_FINE = timedelta(days=100 * 365)


class TimelineError(RuntimeError):
    """The timeline data or the database cannot be replayed; the message says why."""


class LoopbackOnly(httpx.BaseTransport):
    """An HTTP transport that refuses every host but the loopback server, so a snapshot
    that links a real agency page (a detail page without ``{base}``) fails its poll
    instead of reaching the internet."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != "127.0.0.1":
            raise httpx.ConnectError(
                f"the timeline replay is offline; refused {request.url}", request=request
            )
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def first_days(root: Path, sources: Sequence[Source]) -> dict[str, date]:
    """The first snapshot day of each source that has a timeline folder with snapshots.

    Raises TimelineError when a folder holds two snapshots for one day.
    """
    found: dict[str, date] = {}
    for source in sources:
        try:
            days = dated_files(root / source.key)
        except ValueError as exc:
            raise TimelineError(str(exc)) from None
        if days:
            found[source.key] = min(days)
    return found


def replay_days(root: Path) -> list[date]:
    """The replay's steps: every day on which any folder under ``root`` has a snapshot."""
    days: set[date] = set()
    for folder in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        try:
            days.update(dated_files(folder))
        except ValueError as exc:
            raise TimelineError(str(exc)) from None
    return sorted(days)


def replay_url(base_url: str, source: Source) -> str:
    """The loopback URL for ``source``, keeping the real URL's query (``since_url``,
    ``authorize`` and paging work on it as they would on the agency's)."""
    query = urlsplit(source.url).query
    return f"{base_url}/{source.key}" + (f"?{query}" if query else "")


def _noon(day: date) -> Callable[[], datetime]:
    moment = datetime.combine(day, time(12, 0), tzinfo=UTC)
    return lambda: moment


def replay(
    root: Path,
    engine: Engine,
    *,
    sources: Sequence[Source] = registry.SOURCES,
    progress: Callable[[date, list[PollNote]], None] | None = None,
) -> list[PollNote]:
    """Play every snapshot day of ``root`` in order and poll the sources; return the polls.

    A source is polled on each day from its first snapshot on. Poll failures are data
    (``PollNote.error``), never exceptions; a malformed timeline folder raises
    TimelineError.
    """
    starts = first_days(root, sources)
    polled = [s for s in sources if s.key in starts]
    keys = {s.needs_key: REPLAY_KEY for s in polled if s.needs_key}
    notes: list[PollNote] = []
    with (
        DemoServer(timeline=root) as server,
        make_client(user_agent=USER_AGENT, timeout=30.0, transport=LoopbackOnly()) as client,
    ):
        urls = {s.key: replay_url(server.base_url, s) for s in polled}
        for day in replay_days(root):
            server.date = day
            # A fixed seed: the replay of the same data is the same every time. Agencies
            # stay quiet for years between kratom events; that is not a stale source.
            ctx = PollContext(
                clock=_noon(day), keys=keys, rng=random.Random(0), stale_floor=QUIET_IS_FINE
            )
            today: list[PollNote] = []
            for source in polled:
                if starts[source.key] > day:
                    continue
                outcome = poll_source(
                    source, engine=engine, client=client, url=urls[source.key], ctx=ctx
                )
                note = PollNote(
                    day=day, source=source.key, outcome=outcome.outcome,
                    new=outcome.new, revised=outcome.revised, error=outcome.error,
                )  # fmt: skip
                today.append(note)
            notes += today
            if progress is not None:
                progress(day, today)
    return notes


@contextlib.contextmanager
def replay_engine(database_url: str | None) -> Iterator[Engine]:
    """A migrated database without alerts: ``database_url``, or a fresh SQLite file in a
    temporary folder (removed afterwards) when it is None.

    Raises TimelineError when the named database already holds alerts: they would be
    counted as caught.
    """
    with contextlib.ExitStack() as stack:
        if database_url is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="km-timeline-"))
            database_url = f"sqlite:///{Path(folder) / 'timeline.db'}"
        engine = db.make_engine(database_url)
        stack.callback(engine.dispose)
        db.migrate(engine)
        with Session(engine) as session:
            held = session.exec(select(func.count()).select_from(Alert)).one()
        if held:
            raise TimelineError(
                f"the database already holds {held} alerts; the timeline replay needs an "
                "empty one (unset KM_DATABASE_URL to replay into a temporary SQLite file)"
            )
        yield engine


def _progress(day: date, notes: list[PollNote]) -> None:
    new = sum(n.new for n in notes)
    failed = [n.source for n in notes if n.outcome == "error"]
    line = f"{day}: {len(notes)} polls, {new} new alerts"
    if failed:
        line += f", failed: {', '.join(failed)}"
    print(line, file=sys.stderr, flush=True)


def run_cli(settings: Settings, *, as_json: bool, root: Path = TIMELINE) -> int:
    """The command: replay, then print the report (Markdown or JSON) on stdout.

    The database is ``settings.database_url`` only when ``KM_DATABASE_URL`` is set.
    Returns 1 when a covered event was missed (or the timeline cannot be replayed), else 0.
    """
    chosen = settings.database_url if os.environ.get("KM_DATABASE_URL") else None
    try:
        expected = timeline_report.load_expected(root)
        uncovered = timeline_report.load_uncovered(root)
        with replay_engine(chosen) as engine:
            notes = replay(root, engine, progress=_progress)
            with Session(engine) as session:
                rows = timeline_report.match(
                    session, expected, uncovered, notes, root=root,
                    registered={s.key for s in registry.SOURCES},
                )  # fmt: skip
    except (TimelineError, timeline_report.ExpectationError) as exc:
        print(f"kratom-monitor: error: {exc}", file=sys.stderr)
        return 1
    print(timeline_report.to_json(rows, notes) if as_json else timeline_report.to_markdown(rows))
    return 1 if any(r.status == "missed" for r in rows) else 0
