"""Alert filters for feeds and the API: parsed from a query string, applied in SQL.

The rules are the mail subscriber's rules (``alerts.subscriptions.wants``) plus an
agency filter: values of one parameter are alternatives, different parameters must all
hold, and places use the shared key rule of ``alerts.places``. A filter has one
canonical query string, so equal filters share one cached feed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    func,
    literal,
    literal_column,
    or_,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import String
from sqlmodel import Session, col, select

from alerts.draft import KINDS, SEVERITIES
from alerts.models import PG_HAZARDS, PG_PLACES, PG_TEXT, Alert, UTCDateTime
from alerts.places import wanted_keys
from alerts.subscriptions import HAZARDS

PARAMETERS = ("kind", "jurisdiction", "agency", "hazard", "min_severity")
_PLACE = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$")
_AGENCY = re.compile(r"^[\w .&'-]{1,60}$")
_MAX_VALUES = 20
_MAX_WORDS = 8


class FilterError(ValueError):
    """A bad filter parameter; the message names it and is safe to show."""


@dataclass(frozen=True)
class AlertFilter:
    """What a feed or API list shows. Empty tuples mean "any"."""

    kinds: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()
    hazards: tuple[str, ...] = ()
    min_severity: str = "info"

    def params(self) -> list[tuple[str, str]]:
        """The canonical query parameters (sorted, no defaults)."""
        items = [("kind", k) for k in self.kinds]
        items += [("jurisdiction", p) for p in self.places]
        items += [("agency", a) for a in self.agencies]
        items += [("hazard", h) for h in self.hazards]
        if self.min_severity != "info":
            items.append(("min_severity", self.min_severity))
        return items

    def query_string(self) -> str:
        """``kind=recall&jurisdiction=US-FL``: the same string for equal filters."""
        return urlencode(self.params())

    def is_empty(self) -> bool:
        return not self.params()

    def describe(self) -> str:
        """A short human description, used in feed titles."""
        parts = []
        if self.kinds:
            parts.append(" or ".join(k.replace("_", " ") for k in self.kinds))
        if self.hazards:
            parts.append("hazard " + " or ".join(h.replace("_", " ") for h in self.hazards))
        if self.places:
            parts.append("in " + " or ".join(self.places))
        if self.agencies:
            parts.append("from " + " or ".join(self.agencies))
        if self.min_severity != "info":
            parts.append(f"severity {self.min_severity} and above")
        return ", ".join(parts) or "all alerts"


def _values(items: Iterable[tuple[str, str]], name: str) -> list[str]:
    found: list[str] = []
    for key, value in items:
        if key == name:
            found += [v.strip() for v in value.split(",") if v.strip()]
    if len(found) > _MAX_VALUES:
        raise FilterError(f"{name}: at most {_MAX_VALUES} values")
    return found


def _members(name: str, values: list[str], allowed: Iterable[str]) -> tuple[str, ...]:
    allowed = tuple(allowed)
    for value in values:
        if value not in allowed:
            raise FilterError(f"{name}: {value[:40]!r} is not one of {', '.join(allowed)}")
    return tuple(sorted(set(values)))


def from_params(items: Iterable[tuple[str, str]], *, extra: Iterable[str] = ()) -> AlertFilter:
    """Parse query parameters; FilterError names the first bad one.

    Values may repeat (``kind=recall&kind=advisory``) or be comma-separated. Parameters
    other than the filter's own and ``extra`` are refused, so a typo never silently
    widens a feed to everything.
    """
    items = list(items)
    known = set(PARAMETERS) | set(extra)
    unknown = sorted({key for key, _ in items if key not in known})
    if unknown:
        raise FilterError(
            f"unknown parameter {unknown[0][:40]!r}; filters are {', '.join(PARAMETERS)}"
        )
    places = [p.upper() for p in _values(items, "jurisdiction")]
    bad = [p for p in places if not _PLACE.match(p)]
    if bad:
        raise FilterError(f"jurisdiction: {bad[0][:40]!r} is not an ISO 3166 code (US, US-FL)")
    agencies = [a.lower() for a in _values(items, "agency")]
    bad = [a for a in agencies if not _AGENCY.match(a)]
    if bad:
        raise FilterError(f"agency: {bad[0][:40]!r} is not an agency name")
    severities = _values(items, "min_severity")
    if len(severities) > 1:
        raise FilterError("min_severity: give one value")
    return AlertFilter(
        kinds=_members("kind", _values(items, "kind"), KINDS),
        places=tuple(sorted(set(places))),
        agencies=tuple(sorted(set(agencies))),
        hazards=_members("hazard", _values(items, "hazard"), HAZARDS),
        min_severity=_members("min_severity", severities, SEVERITIES)[0] if severities else "info",
    )


def _has_any(dialect: str, column: str, expression: str, values: Iterable[str]) -> Any:
    """A JSON list column holds any of ``values`` (GIN-indexed on PostgreSQL)."""
    values = sorted(values)
    if dialect == "postgresql":
        return literal_column(expression).op("?|")(bindparam(None, values, type_=ARRAY(String())))
    # SQLite keeps JSON as text; members are plain codes with no quotes to escape.
    stored: ColumnElement[Any] = literal_column(column)
    return or_(*(stored.like(f'%"{v}"%') for v in values))


def conditions(flt: AlertFilter, dialect: str) -> list[Any]:
    """SQL conditions for ``flt`` on ``alert``."""
    where: list[Any] = []
    if flt.kinds:
        where.append(col(Alert.kind).in_(flt.kinds))
    if flt.agencies:
        where.append(func.lower(Alert.agency).in_(flt.agencies))
    if flt.hazards:
        where.append(_has_any(dialect, "alert.hazards", PG_HAZARDS, flt.hazards))
    if flt.places:
        where.append(_has_any(dialect, "alert.places", PG_PLACES, wanted_keys(flt.places)))
    if flt.min_severity != "info":
        allowed = SEVERITIES[SEVERITIES.index(flt.min_severity) :]
        where.append(col(Alert.severity).in_(allowed))
    return where


def search_condition(words: str, dialect: str) -> Any:
    """Full-text search over title and summary: every word must occur.

    PostgreSQL uses its English text search (stemmed, index-backed; quotes and ``-word``
    work as in a web search); SQLite matches each word as a substring.
    """
    if dialect == "postgresql":
        return literal_column(PG_TEXT).op("@@")(
            func.websearch_to_tsquery(text("'english'::regconfig"), words)
        )
    terms = [w for w in re.split(r"\s+", words.strip()) if w][:_MAX_WORDS]
    clauses: list[ColumnElement[bool]] = []
    for term in terms:
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        clauses.append(
            or_(
                col(Alert.title).ilike(pattern, escape="\\"),
                col(Alert.summary).ilike(pattern, escape="\\"),
            )
        )
    return and_(*clauses)


@dataclass(frozen=True)
class Cursor:
    """A position in the newest-change-first order: after (updated_at, id)."""

    updated_at: datetime
    alert_id: int

    def encode(self) -> str:
        micros = int(self.updated_at.timestamp() * 1_000_000)
        return f"{micros}-{self.alert_id}"

    @staticmethod
    def decode(value: str) -> Cursor:
        """FilterError when ``value`` is not a cursor this module made."""
        match = re.fullmatch(r"(\d{1,16})-(\d{1,10})", value.strip())
        if not match:
            raise FilterError("cursor: not a cursor from a previous page")
        try:
            moment = datetime.fromtimestamp(int(match[1]) / 1_000_000, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise FilterError("cursor: not a cursor from a previous page") from exc
        return Cursor(moment, int(match[2]))

    @staticmethod
    def of(alert: Alert) -> Cursor:
        return Cursor(alert.updated_at, int(alert.id or 0))


def select_alerts(
    session: Session,
    flt: AlertFilter,
    *,
    limit: int,
    after: Cursor | None = None,
    search: str | None = None,
) -> list[Alert]:
    """Alerts passing ``flt``, the most recently changed first, ``limit`` of them."""
    dialect = session.get_bind().dialect.name
    # Ids first: on PostgreSQL the ordered indexes carry every filtered column, so this
    # is an index-only scan however many alerts it passes over; then only the rows shown.
    query = select(Alert.id).where(*conditions(flt, dialect))
    if search and search.strip():
        query = query.where(search_condition(search, dialect))
    if after is not None:
        query = query.where(
            tuple_(col(Alert.updated_at), col(Alert.id))
            < tuple_(literal(after.updated_at, UTCDateTime()), literal(after.alert_id))
        )
    query = query.order_by(col(Alert.updated_at).desc(), col(Alert.id).desc()).limit(limit)
    ids = [int(i) for i in session.exec(query) if i is not None]
    if not ids:
        return []
    rows = {a.id: a for a in session.exec(select(Alert).where(col(Alert.id).in_(ids)))}
    return [rows[i] for i in ids if i in rows]
