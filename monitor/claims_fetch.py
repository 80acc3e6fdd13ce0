"""Fetch an article (or a content site's feed) by URL for the claim annotator, safely.

The URL comes from a person or a third-party feed, so the fetch must not become a way into
the monitor's own network (SSRF):

- only ``http`` and ``https``, no credentials in the URL;
- the host is resolved and **every** address checked: loopback, private, link-local,
  multicast, reserved, unspecified and other non-global addresses are refused, unless
  ``allow_private`` (``KM_ANNOTATE_ALLOW_PRIVATE``) says otherwise;
- the connection goes to the address that was checked (the URL's host stays in ``Host`` and
  in TLS SNI and certificate checks), so a second DNS answer cannot swap it;
- redirects are followed by hand, at most ``MAX_REDIRECTS``, each target checked again;
- the body is capped at ``max_bytes`` (after decompression) and the whole fetch, redirects
  included, at ``timeout`` seconds.

Every failure is a ``ArticleFetchError`` whose message says what happened, for the person.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

MAX_REDIRECTS = 5
ARTICLE_TYPES = frozenset(
    {"text/html", "application/xhtml+xml", "text/plain", "text/markdown", "text/x-markdown"}
)
FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/xml", "text/xml"}
)
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class ArticleFetchError(RuntimeError):
    """The article could not or may not be fetched; the message says why."""


@dataclass
class Page:
    """A fetched body and where it finally came from."""

    url: str
    content: bytes
    content_type: str
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    headers: dict[str, str] = field(default_factory=dict)
    not_modified: bool = False


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ArticleFetchError(f"cannot resolve the host {host!r}: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def why_not_public(address: Address) -> str | None:
    """None for a globally routable unicast address; else what kind of address it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for test, name in (
        (address.is_loopback, "a loopback"),
        (address.is_link_local, "a link-local"),
        (address.is_multicast, "a multicast"),
        (address.is_unspecified, "an unspecified"),
        (address.is_reserved, "a reserved"),
        (address.is_private, "a private"),
        (not address.is_global, "a non-public"),
    ):
        if test:
            return name
    return None


def _checked(
    url: httpx.URL, *, allow_private: bool, also_allow: frozenset[str], resolver: Resolver
) -> str:
    """The address to connect to for ``url``, after checking all of the host's addresses."""
    if url.scheme not in ("http", "https"):
        scheme = url.scheme or "?"
        raise ArticleFetchError(f"only http and https URLs can be fetched, not {scheme}:")
    if not url.host:
        raise ArticleFetchError("the URL has no host")
    if url.userinfo:
        raise ArticleFetchError("URLs with a user name or password are not fetched")
    port = url.port or (443 if url.scheme == "https" else 80)
    addresses = resolver(url.host, port)
    if not addresses:
        raise ArticleFetchError(f"the host {url.host!r} has no address")
    for raw in addresses:
        try:
            address = ipaddress.ip_address(raw.split("%", 1)[0])
        except ValueError:
            raise ArticleFetchError(f"the host {url.host!r} resolved to {raw!r}") from None
        kind = why_not_public(address)
        if kind is not None and not allow_private and str(address) not in also_allow:
            named = "" if url.host == str(address) else f" ({url.host})"
            raise ArticleFetchError(
                f"refused to fetch {url}: {address}{named} is {kind} address "
                "(KM_ANNOTATE_ALLOW_PRIVATE=1 allows private addresses)"
            )
    return addresses[0]


def _pinned(url: httpx.URL, address: str) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
    """The request URL with the checked address, its Host header and TLS server name."""
    host = url.host
    default = 443 if url.scheme == "https" else 80
    header = f"[{host}]" if ":" in host else host
    if url.port and url.port != default:
        header += f":{url.port}"
    extensions = {"sni_hostname": host} if url.scheme == "https" else {}
    return url.copy_with(host=address), {"Host": header}, extensions


def _media(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def fetch(
    client: httpx.Client,
    url: str,
    *,
    allow_private: bool = False,
    also_allow: frozenset[str] = frozenset(),
    max_bytes: int = 2 * 1024 * 1024,
    timeout: float = 20.0,
    accept: frozenset[str] = ARTICLE_TYPES,
    headers: dict[str, str] | None = None,
    resolver: Resolver = resolve,
    clock: Callable[[], float] = time.monotonic,
) -> Page:
    """GET ``url`` under the rules in the module doc; a 304 (when ``headers`` carry
    validators) comes back as ``Page(not_modified=True)``. ``also_allow`` names non-public
    addresses that may be fetched all the same (an intranet mirror, a test server).
    """
    deadline = clock() + timeout
    try:
        current = httpx.URL(url.strip())
    except httpx.InvalidURL as exc:
        raise ArticleFetchError(f"not a URL: {exc}") from None
    for _ in range(MAX_REDIRECTS + 1):
        address = _checked(
            current, allow_private=allow_private, also_allow=also_allow, resolver=resolver
        )
        target, host, extensions = _pinned(current, address)
        left = deadline - clock()
        if left <= 0:
            raise ArticleFetchError(f"fetching {url} took longer than {timeout:g} s")
        request = client.build_request(
            "GET", target, headers={**(headers or {}), **host}, extensions=extensions,
            timeout=httpx.Timeout(left),
        )  # fmt: skip
        try:
            response = client.send(request, stream=True, follow_redirects=False)
        except httpx.TimeoutException:
            raise ArticleFetchError(f"fetching {url} took longer than {timeout:g} s") from None
        except httpx.HTTPError as exc:
            problem = f"{type(exc).__name__}: {exc}"
            raise ArticleFetchError(f"cannot fetch {current}: {problem}") from None
        try:
            location = response.headers.get("location")
            if response.is_redirect and location:
                try:
                    current = current.join(location)
                except httpx.InvalidURL:
                    raise ArticleFetchError(f"{current} redirects to a bad URL") from None
                continue
            return _read(response, str(current), max_bytes, accept, deadline, clock, timeout)
        finally:
            response.close()
    raise ArticleFetchError(f"{url} redirects more than {MAX_REDIRECTS} times")


def _read(
    response: httpx.Response,
    url: str,
    max_bytes: int,
    accept: frozenset[str],
    deadline: float,
    clock: Callable[[], float],
    timeout: float,
) -> Page:
    kept = {k.lower(): v for k, v in response.headers.items()}
    if response.status_code == 304:
        return Page(url, b"", kept.get("content-type", ""), headers=kept, not_modified=True)
    if response.status_code >= 400:
        raise ArticleFetchError(f"HTTP {response.status_code} from {url}")
    content_type = kept.get("content-type", "")
    if content_type and _media(content_type) not in accept:
        media = _media(content_type)
        raise ArticleFetchError(f"{url} is not an article page (content type {media})")
    declared = kept.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ArticleFetchError(f"{url} is larger than the {max_bytes:,}-byte limit")
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise ArticleFetchError(f"{url} is larger than the {max_bytes:,}-byte limit")
            if clock() > deadline:
                raise ArticleFetchError(f"fetching {url} took longer than {timeout:g} s")
            chunks.append(chunk)
    except httpx.TimeoutException:
        raise ArticleFetchError(f"fetching {url} took longer than {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise ArticleFetchError(f"reading {url} failed: {type(exc).__name__}: {exc}") from None
    return Page(url, b"".join(chunks), content_type, headers=kept)
