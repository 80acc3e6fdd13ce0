"""Query parsing for the read API: no I/O, so a bad request is refused before any read.

Values are checked against the patterns the OpenAPI document publishes
(``monitor.web.openapi``), so the document and the API agree on what is valid.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.requests import Request

from alerts import filters
from alerts.filters import AlertFilter, Cursor, FilterError
from monitor.web import openapi

_ENUMERATED = ("kind", "hazard", "min_severity")
_PATTERNED = {"jurisdiction": "jurisdiction", "agency": "agency"}

Items = Sequence[tuple[str, str]]


class ProblemError(Exception):
    """An answer other than 200; ``detail`` is safe to show."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _single(items: Items, name: str) -> str | None:
    values = [value for key, value in items if key == name]
    if len(values) > 1:
        raise ProblemError(400, f"{name}: give one value")
    return values[0] if values else None


def _matches(name: str, value: str) -> bool:
    # re.match, as JSON Schema validators apply ``pattern`` (anchored by ^ and $ in it).
    return re.match(openapi.PATTERNS[name], value) is not None


def _limit(items: Items) -> int:
    raw = _single(items, "limit")
    if raw is None:
        return openapi.DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,6}", raw) or not 1 <= int(raw) <= openapi.MAX_LIMIT:
        raise ProblemError(400, f"limit: give a whole number from 1 to {openapi.MAX_LIMIT}")
    return int(raw)


def _only(items: Items, allowed: tuple[str, ...]) -> None:
    unknown = sorted({key for key, _ in items if key not in allowed})
    if unknown:
        raise ProblemError(
            400, f"unknown parameter {unknown[0][:40]!r}; parameters are {', '.join(allowed)}"
        )


@dataclass(frozen=True)
class AlertQuery:
    """A parsed ``GET /alerts`` request."""

    flt: AlertFilter
    search: str | None
    after: Cursor | None
    limit: int


def parse_alert_query(items: Items) -> AlertQuery:
    """The request's filter, search, cursor and limit; ProblemError(400) names a bad one."""
    try:
        flt = filters.from_params(items, extra=("q", "cursor", "limit"))
    except FilterError as exc:
        raise ProblemError(400, str(exc)) from None
    for key, value in items:
        if key in _ENUMERATED and not value.strip():
            raise ProblemError(400, f"{key}: empty value")
        if key in _PATTERNED and not _matches(_PATTERNED[key], value):
            raise ProblemError(400, f"{key}: {value[:40]!r} is not valid")
    search = _single(items, "q")
    if search is not None and len(search) > openapi.MAX_QUERY:
        raise ProblemError(400, f"q: at most {openapi.MAX_QUERY} characters")
    raw_cursor = _single(items, "cursor")
    after = None
    if raw_cursor is not None:
        if not _matches("alert_cursor", raw_cursor):
            raise ProblemError(400, "cursor: not a cursor from a previous page")
        try:
            after = Cursor.decode(raw_cursor)
        except FilterError as exc:
            raise ProblemError(400, str(exc)) from None
    # PostgreSQL text cannot hold NUL; it carries no meaning in a search anyway.
    search = search.replace("\x00", " ") if search else None
    return AlertQuery(flt, search, after, _limit(items))


def parse_incident_query(items: Items) -> tuple[int | None, int]:
    """``(before id or None, limit)``; ProblemError(400) names a bad parameter."""
    _only(items, ("cursor", "limit"))
    raw = _single(items, "cursor")
    if raw is not None and not _matches("incident_cursor", raw):
        raise ProblemError(400, "cursor: not a cursor from a previous page")
    return (int(raw) if raw is not None else None), _limit(items)


def item_id(request: Request, name: str, what: str) -> int:
    raw = str(request.path_params[name])
    if not re.fullmatch(r"[0-9]{1,10}", raw) or not 1 <= int(raw) <= openapi.MAX_ID:
        raise ProblemError(404, f"There is no {what} {raw[:40]!r}.")
    return int(raw)
