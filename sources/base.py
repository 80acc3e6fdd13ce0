"""What a source is: a key, an endpoint, a cadence and a pure parser."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from alerts.draft import AlertDraft
from alerts.source_records import Kept, Record

Parser = Callable[[bytes], list[AlertDraft]]
# (body, response headers, URL of this page) -> URL of the next page, or None
NextPage = Callable[[bytes, Mapping[str, str], str], str | None]
# (HTTP status, body) -> True when the agency says "no results" this way
EmptyResponse = Callable[[int, bytes], bool]
# (configured URL, since, until) -> first-page URLs covering that date range
BackfillUrls = Callable[[str, date, date], list[str]]


# (configured URL, key) -> (URL, extra request headers) carrying an API key
Authorize = Callable[[str, str], tuple[str, dict[str, str]]]
# (configured URL, time of the last successful poll or None) -> URL of this poll
SinceUrl = Callable[[str, datetime | None], str]
Format = Literal["xml", "json", "html"]

__all__ = ["Detail", "Kept", "ParseError", "Record", "Source"]


class ParseError(ValueError):
    """The payload is not what the source expects; the message says how, for staff."""


@dataclass(frozen=True)
class Detail:
    """A second page per item (a warning letter behind its listing row, a bill behind its
    search hit). The poll fetches ``url(draft)`` once per ``version(draft)`` (kept, so a
    re-poll reads it from the store), at most ``per_poll`` new ones per poll; a draft whose
    page is not yet read waits for a later poll. ``parse`` returns the completed draft, or
    None when the page shows the item is not ours after all (not about kratom).
    """

    url: Callable[[AlertDraft], str | None]
    parse: Callable[[AlertDraft, bytes], AlertDraft | None]
    format: Format = "html"
    version: Callable[[AlertDraft], str] = lambda draft: ""
    per_poll: int = 20
    max_bytes: int = 5 * 1024 * 1024


@dataclass(frozen=True)
class Source:
    """One agency endpoint. ``parse`` must never do I/O.

    ``backfill_urls``, when set, says how to read the source's history: given the URL
    actually polled (the default ``url`` or a configured override: a mirror, a test
    server) and an inclusive date range, it returns the first-page URLs that together
    cover the range, oldest window first. Each is then followed with ``next_page``.
    It is pure string work and never does I/O. Sources without it have no history API:
    a regular poll already reads everything they serve.
    """

    key: str
    title: str
    agency: str
    kind_hint: str
    url: str
    every: timedelta
    parse: Parser
    format: Format
    next_page: NextPage | None = None
    empty_response: EmptyResponse | None = None
    max_bytes: int = 25 * 1024 * 1024
    max_pages: int = 25
    backfill_urls: BackfillUrls | None = None
    # For the source catalog: what the source covers, in a line a reader understands.
    covers: str = ""
    # The environment variable holding an API key the source cannot run without; without
    # it the source is shown as "needs configuration" and never polled.
    needs_key: str | None = None
    authorize: Authorize | None = None
    since_url: SinceUrl | None = None
    detail: Detail | None = None
    # Sources of records: ``records`` reads them from a page (instead of ``parse``, which
    # may return []), the poll keeps them, and ``derive`` makes drafts from every kept
    # record of the source (signals, red-list changes, page diffs).
    records: Callable[[bytes], list[Record]] | None = None
    derive: Callable[[Sequence[Kept], datetime], list[AlertDraft]] | None = None
    # (HTTP status, start of the body) -> a message for staff when the agency refused the
    # request in its own recognisable way (a bot wall, an invalid key); None otherwise.
    explain_refusal: Callable[[int, bytes], str | None] | None = None
    # Request headers the agency needs (a browser-like Accept for HTML pages).
    headers: Mapping[str, str] = field(default_factory=dict)
