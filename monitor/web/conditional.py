"""Conditional GET (RFC 9110): ETag and Last-Modified out, 304 for matching requests.

Responses built from the alert store are validated by the store's version
(``monitor.web.published``): the ETag names the version and the representation, so a
client holding the current one gets a 304 without the server rendering anything.
"""

from __future__ import annotations

import hashlib
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import Response

from monitor.web.published import Version


def etag_for(version: Version, representation: str) -> str:
    """A strong ETag for one representation (path, filter, format) at one version."""
    digest = hashlib.blake2b(representation.encode(), digest_size=8).hexdigest()
    return f'"v{version.number}-{digest}"'


def http_date(version: Version) -> str:
    return format_datetime(version.changed_at.replace(microsecond=0), usegmt=True)


def is_fresh(request: Request, etag: str, version: Version) -> bool:
    """True when the client's copy is current: answer 304.

    If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 13.2.2).
    """
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = [t.strip().removeprefix("W/") for t in match.split(",")]
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            when = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if when.tzinfo is None:
            return False
        return version.changed_at.replace(microsecond=0) <= when
    return False


def not_modified(etag: str, version: Version, cache_control: str) -> Response:
    return Response(
        status_code=304,
        headers={
            "ETag": etag,
            "Last-Modified": http_date(version),
            "Cache-Control": cache_control,
        },
    )
