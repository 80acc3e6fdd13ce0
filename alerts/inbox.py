"""The staff inbox query: the feed filters plus triage status, a date range and search.

Shares ``alerts.filters`` (so the inbox, feeds and API agree on what a filter means) and
adds what only staff need. Values are parsed from the page's query string, so a view
is a URL that can be shared.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import exists, func, not_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from alerts import filters
from alerts.filters import AlertFilter, Cursor, FilterError
from alerts.models import Alert, AlertTriage
from alerts.triage import STATUSES

EXTRA = ("triage", "since", "until", "q", "cursor")
MAX_SEARCH = 200


@dataclass(frozen=True)
class InboxQuery:
    """One inbox view."""

    flt: AlertFilter = field(default_factory=AlertFilter)
    triage: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    search: str = ""

    def params(self) -> list[tuple[str, str]]:
        items = self.flt.params() + [("triage", t) for t in self.triage]
        if self.since:
            items.append(("since", self.since.isoformat()))
        if self.until:
            items.append(("until", self.until.isoformat()))
        if self.search:
            items.append(("q", self.search))
        return items

    def query_string(self) -> str:
        return urlencode(self.params())


def _day(name: str, values: list[str]) -> date | None:
    if not values or not values[0].strip():
        return None
    try:
        return date.fromisoformat(values[0].strip())
    except ValueError:
        raise FilterError(f"{name}: give a date as YYYY-MM-DD") from None


def parse(items: Iterable[tuple[str, str]]) -> tuple[InboxQuery, Cursor | None]:
    """The view and page cursor from query parameters; FilterError names a bad one.

    Empty values (an untouched form field) mean "any".
    """
    items = [(k, v) for k, v in items if v.strip()]
    flt = filters.from_params(items, extra=EXTRA)
    triage = sorted({v for k, v in items if k == "triage"})
    bad = [t for t in triage if t not in STATUSES]
    if bad:
        raise FilterError(f"triage: {bad[0][:20]!r} is not one of {', '.join(STATUSES)}")
    since = _day("since", [v for k, v in items if k == "since"])
    until = _day("until", [v for k, v in items if k == "until"])
    if since and until and since > until:
        raise FilterError("since: the range starts after it ends")
    search = " ".join(next((v for k, v in items if k == "q"), "").split())
    if len(search) > MAX_SEARCH:
        raise FilterError(f"q: at most {MAX_SEARCH} characters")
    raw = next((v for k, v in items if k == "cursor"), "")
    cursor = Cursor.decode(raw) if raw else None
    return InboxQuery(flt, tuple(triage), since, until, search.replace("\x00", "")), cursor


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def select_inbox(
    session: Session, query: InboxQuery, *, limit: int, after: Cursor | None = None
) -> list[Alert]:
    """The view's alerts, most recently changed first."""
    dialect = session.get_bind().dialect.name
    statement = select(Alert).where(*filters.conditions(query.flt, dialect))
    if query.search:
        statement = statement.where(filters.search_condition(query.search, dialect))
    when = func.coalesce(Alert.published_at, Alert.first_seen_at)
    if query.since:
        statement = statement.where(when >= _midnight(query.since))
    if query.until:
        statement = statement.where(when < _midnight(query.until) + timedelta(days=1))
    if query.triage:
        reviewed = sa_select(col(AlertTriage.alert_id)).where(
            col(AlertTriage.alert_id) == col(Alert.id), col(AlertTriage.status) != "new"
        )
        chosen = sa_select(col(AlertTriage.alert_id)).where(
            col(AlertTriage.alert_id) == col(Alert.id), col(AlertTriage.status).in_(query.triage)
        )
        statement = statement.where(
            (not_(exists(reviewed)) | exists(chosen)) if "new" in query.triage else exists(chosen)
        )
    if after is not None:
        statement = statement.where(
            (col(Alert.updated_at) < after.updated_at)
            | ((col(Alert.updated_at) == after.updated_at) & (col(Alert.id) < after.alert_id))
        )
    statement = statement.order_by(col(Alert.updated_at).desc(), col(Alert.id).desc())
    return list(session.exec(statement.limit(limit)))
