"""What a source is: a key, an endpoint, a cadence and a pure parser."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from alerts.draft import AlertDraft

Parser = Callable[[bytes], list[AlertDraft]]
# (body, response headers, URL of this page) -> URL of the next page, or None
NextPage = Callable[[bytes, Mapping[str, str], str], str | None]
# (HTTP status, body) -> True when the agency says "no results" this way
EmptyResponse = Callable[[int, bytes], bool]
# (configured URL, since, until) -> first-page URLs covering that date range
BackfillUrls = Callable[[str, date, date], list[str]]


class ParseError(ValueError):
    """The payload is not what the source expects; the message says how, for staff."""


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
    format: Literal["xml", "json"]
    next_page: NextPage | None = None
    empty_response: EmptyResponse | None = None
    max_bytes: int = 25 * 1024 * 1024
    max_pages: int = 25
    backfill_urls: BackfillUrls | None = None
