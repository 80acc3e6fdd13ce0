"""``/feeds/alerts.{atom,rss,json}``: the alert feeds, for every filter, cheap to poll.

A feed is rendered once per store version and filter and kept in memory; a poll with
the current ETag or Last-Modified gets a 304 without touching the database, and a warm
feed is served from memory (gzip-compressed once when the client accepts it). Pages of
history follow RFC 5005 (``rel="next"`` with a ``before`` cursor).
"""

from __future__ import annotations

import gzip
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from alerts import filters, store
from alerts.feeds import atom, jsonfeed, rss
from alerts.feeds.entries import Entry, FeedInfo, entry
from alerts.filters import AlertFilter, Cursor, FilterError
from monitor.web.conditional import etag_for, http_date, is_fresh, not_modified
from monitor.web.published import Version

if TYPE_CHECKING:
    from monitor.web.app import WebContext

PAGE_SIZE = 50
CACHE_CONTROL = "public, max-age=60"
CACHE_ENTRIES = 512
FORMATS = {"atom": atom.MEDIA_TYPE, "rss": rss.MEDIA_TYPE, "json": jsonfeed.MEDIA_TYPE}
_PLAIN_TYPES = {
    "atom": "application/atom+xml", "rss": "application/rss+xml", "json": "application/feed+json",
}  # fmt: skip


@dataclass
class Cached:
    version: int
    body: bytes
    _gzipped: bytes | None = None

    def gzipped(self) -> bytes:
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gzipped


class FeedCache:
    """Rendered feeds by (format, canonical query), least recently used dropped first.

    Only touched from the event loop, so it needs no lock.
    """

    def __init__(self, size: int = CACHE_ENTRIES) -> None:
        self._size = size
        self._items: OrderedDict[str, Cached] = OrderedDict()
        self.hits = 0
        self.renders = 0

    def get(self, key: str, version: int) -> Cached | None:
        found = self._items.get(key)
        if found is None or found.version != version:
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return found

    def put(self, key: str, cached: Cached) -> None:
        self.renders += 1
        self._items[key] = cached
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


def feed_url(base: str, fmt: str, flt: AlertFilter, before: Cursor | None = None) -> str:
    """The canonical URL of a feed: equal filters give equal URLs (WebSub topics)."""
    params = flt.params() + ([("before", before.encode())] if before else [])
    query = urlencode(params)
    return f"{base}/feeds/alerts.{fmt}" + (f"?{query}" if query else "")


def page_url(base: str, flt: AlertFilter) -> str:
    query = flt.query_string()
    return f"{base}/alerts" + (f"?{query}" if query else "")


def alternates(base: str, flt: AlertFilter) -> dict[str, str]:
    """Media type to URL of each feed format of one filtered view (for discovery links)."""
    return {_PLAIN_TYPES[fmt]: feed_url(base, fmt, flt) for fmt in FORMATS}


def _render(
    ctx: WebContext, fmt: str, flt: AlertFilter, before: Cursor | None, version: Version
) -> bytes:
    base = ctx.settings.base_url
    with Session(ctx.engine) as session:
        found = filters.select_alerts(session, flt, limit=PAGE_SIZE + 1, after=before)
        page, more = found[:PAGE_SIZE], len(found) > PAGE_SIZE
        changes = store.latest_changes(session, page)
        entries: list[Entry] = [
            entry(a, page_url=f"{base}/alerts/{a.id}", changes=changes.get(int(a.id or 0), []))
            for a in page
        ]
    described = flt.describe()
    feed = FeedInfo(
        id=f"{base}/feeds/alerts" + (f"?{flt.query_string()}" if not flt.is_empty() else ""),
        title="Kratom regulatory alerts" + ("" if flt.is_empty() else f": {described}"),
        subtitle=f"Recalls, warning letters, advisories and scheduling actions ({described}).",
        self_url=feed_url(base, fmt, flt, before),
        html_url=page_url(base, flt),
        updated=version.changed_at,
        hub_url=ctx.settings.websub_hub,
        first_url=feed_url(base, fmt, flt) if before else "",
        next_url=feed_url(base, fmt, flt, Cursor.of(page[-1])) if more else "",
        related={t: u for t, u in alternates(base, flt).items() if t != _PLAIN_TYPES[fmt]},
    )
    category_base = f"{base}/categories"
    if fmt == "atom":
        return atom.render(feed, entries, category_base=category_base)
    if fmt == "rss":
        return rss.render(feed, entries, category_base=category_base)
    return jsonfeed.render(feed, entries)


def _accepts_gzip(request: Request) -> bool:
    accepted = request.headers.get("accept-encoding", "")
    return any(
        part.split(";")[0].strip() == "gzip" and "q=0" not in part.replace(" ", "")
        for part in accepted.split(",")
    )


def routes(ctx: WebContext, cache: FeedCache | None = None) -> list[Route]:
    """One route per format; ``cache`` is exposed for tests and metrics."""
    cache = cache or FeedCache()

    def handler(fmt: str) -> Callable[[Request], object]:
        async def serve(request: Request) -> Response:
            try:
                flt = filters.from_params(request.query_params.multi_items(), extra=("before",))
                raw = request.query_params.get("before")
                before = Cursor.decode(raw) if raw else None
            except FilterError as exc:
                return PlainTextResponse(f"Bad feed parameters: {exc}\n", status_code=400)
            version = await ctx.version.fresh()
            ctx.feed_served.set()
            key = f"{fmt}?{flt.query_string()}&before={before.encode() if before else ''}"
            etag = etag_for(version, key)
            gzipped = _accepts_gzip(request)
            served_etag = etag[:-1] + '-gz"' if gzipped else etag
            if is_fresh(request, etag, version) or is_fresh(request, served_etag, version):
                return not_modified(served_etag, version, CACHE_CONTROL)
            cached = cache.get(key, version.number)
            if cached is None:
                body = await run_in_threadpool(_render, ctx, fmt, flt, before, version)
                cached = Cached(version.number, body)
                cache.put(key, cached)
            headers = {
                "ETag": served_etag,
                "Last-Modified": http_date(version),
                "Cache-Control": CACHE_CONTROL,
                "Vary": "Accept-Encoding",
                "Access-Control-Allow-Origin": "*",
                "X-Content-Type-Options": "nosniff",
            }
            links = [f'<{feed_url(ctx.settings.base_url, fmt, flt, before)}>; rel="self"']
            if ctx.settings.websub_hub:
                links.append(f'<{ctx.settings.websub_hub}>; rel="hub"')
            headers["Link"] = ", ".join(links)
            if gzipped:
                headers["Content-Encoding"] = "gzip"
                return Response(cached.gzipped(), media_type=FORMATS[fmt], headers=headers)
            return Response(cached.body, media_type=FORMATS[fmt], headers=headers)

        return serve

    return [Route(f"/feeds/alerts.{fmt}", handler(fmt), methods=["GET", "HEAD"]) for fmt in FORMATS]
