"""The polite HTTP client: timeouts, validators, size cap, and honest failure.

A bot-wall page, an HTML error page or an empty body where a feed was expected is a
``FetchError``, never "no items": a source that silently returns nothing is how
monitors go blind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

import httpx

from monitor.politeness import HostGate, HostLimit, QuotaExhaustedError

_HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)
_NO_GATE = HostGate(limits={}, default=HostLimit(concurrency=1_000_000))
_ACCEPT = {
    "json": "application/json",
    "xml": "application/rss+xml, application/xml;q=0.9, */*;q=0.5",
    "html": "text/html, application/xhtml+xml;q=0.9, */*;q=0.5",
}
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


class FetchError(RuntimeError):
    """A fetch failed; ``retry_after`` (seconds) is set when the server asked for a pause."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        body: bytes = b"",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.body = body[:65536]  # the start of a refusal page, for the source to explain


@dataclass
class Fetched:
    """One response, read in full (up to the cap)."""

    url: str
    status: int
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)
    retrieved_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    not_modified: bool = False
    empty: bool = False

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def make_client(
    *,
    user_agent: str,
    timeout: float = 30.0,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """An httpx client with explicit timeouts, redirects followed and compression accepted."""
    return httpx.Client(
        headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=True,
        max_redirects=5,
        transport=transport,
    )


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _html_title(body: bytes) -> str:
    match = _TITLE.search(body[:20000])
    if not match:
        return ""
    return re.sub(r"\s+", " ", match.group(1).decode("utf-8", "replace")).strip()[:120]


_WALL_TITLE = re.compile(
    r"apology|access denied|attention required|just a moment|request rejected|are you a robot",
    re.I,
)


def _check_body(response_url: str, content: bytes, content_type: str, expect: str) -> None:
    if not content.strip():
        raise FetchError(f"empty body (HTTP 200) where {expect.upper()} was expected")
    if expect == "html":
        title = _html_title(content)
        if "apology" in response_url or _WALL_TITLE.search(title):
            raise FetchError(
                f"got a bot-wall page ({title!r}) instead of the agency's page at {response_url}"
            )
        if "json" in content_type.lower():
            raise FetchError(f"content type {content_type!r} where an HTML page was expected")
        return
    if "apology" in response_url or _HTML_START.match(content[:4096]):
        title = _html_title(content)
        raise FetchError(
            f"got an HTML page where {expect.upper()} was expected"
            f" (bot wall or error page{': ' + repr(title) if title else ''}) at {response_url}"
        )
    lowered = content_type.lower()
    if expect == "json" and "html" in lowered:
        raise FetchError(f"content type {content_type!r} where JSON was expected")
    if expect == "xml" and ("json" in lowered or "html" in lowered):
        raise FetchError(f"content type {content_type!r} where XML was expected")


def fetch(
    client: httpx.Client,
    url: str,
    *,
    expect: Literal["xml", "json", "html"],
    max_bytes: int,
    etag: str | None = None,
    last_modified: str | None = None,
    empty_response: Callable[[int, bytes], bool] | None = None,
    gate: HostGate | None = None,
    headers: Mapping[str, str] | None = None,
) -> Fetched:
    """GET ``url``; raise FetchError for anything but a usable body (or a 304).

    Sends ``If-None-Match``/``If-Modified-Since`` when validators are known. The body
    is read in chunks and abandoned once it passes ``max_bytes`` (after decompression).
    """
    sent = {"Accept": _ACCEPT[expect], **(headers or {})}
    if etag:
        sent["If-None-Match"] = etag
    if last_modified:
        sent["If-Modified-Since"] = last_modified
    try:
        with (gate or _NO_GATE).slot(url), client.stream("GET", url, headers=sent) as response:
            status = response.status_code
            kept = {k.lower(): v for k, v in response.headers.items()}
            if status == 304:
                return Fetched(str(response.url), status, b"", kept, not_modified=True)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(
                    f"response of {int(declared):,} bytes exceeds the {max_bytes:,}-byte cap",
                    status=status,
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(
                        f"response body exceeds the {max_bytes:,}-byte cap", status=status
                    )
                chunks.append(chunk)
            content = b"".join(chunks)
            final_url = str(response.url)
    except QuotaExhaustedError as exc:
        raise FetchError(str(exc), retry_after=exc.retry_after) from exc
    except httpx.TimeoutException as exc:
        raise FetchError(f"timed out ({type(exc).__name__}) fetching {url}") from exc
    except httpx.TooManyRedirects as exc:
        raise FetchError(f"too many redirects fetching {url}") from exc
    except httpx.DecodingError as exc:
        raise FetchError(f"could not decompress the response from {url}: {exc}") from exc
    except httpx.TransportError as exc:
        raise FetchError(f"connection failed ({type(exc).__name__}: {exc}) for {url}") from exc

    if empty_response is not None and empty_response(status, content):
        return Fetched(final_url, status, content, kept, empty=True)
    if status == 429 or (status == 503 and "retry-after" in kept):
        wait = retry_after_seconds(kept.get("retry-after"))
        hint = f"; retry after {wait:.0f} s" if wait is not None else ""
        raise FetchError(f"rate limited (HTTP {status}){hint}", status=status, retry_after=wait)
    if status == 403:
        raise FetchError(
            f"HTTP 403 from {final_url}: the agency refused this client"
            " (some agencies block clients that are not browsers)",
            status=status,
            body=content,
        )
    if status >= 400:
        raise FetchError(f"HTTP {status} from {final_url}", status=status, body=content)
    try:
        _check_body(final_url, content, kept.get("content-type", ""), expect)
    except FetchError as exc:
        exc.status, exc.body = status, content[:65536]
        raise
    return Fetched(final_url, status, content, kept)
