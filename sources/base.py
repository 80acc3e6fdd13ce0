"""What a source is: a key, an endpoint, a cadence and a pure parser."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from alerts.draft import AlertDraft

Parser = Callable[[bytes], list[AlertDraft]]
# (body, response headers, URL of this page) -> URL of the next page, or None
NextPage = Callable[[bytes, Mapping[str, str], str], str | None]
# (HTTP status, body) -> True when the agency says "no results" this way
EmptyResponse = Callable[[int, bytes], bool]


class ParseError(ValueError):
    """The payload is not what the source expects; the message says how, for staff."""


@dataclass(frozen=True)
class Source:
    """One agency endpoint. ``parse`` must never do I/O."""

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
