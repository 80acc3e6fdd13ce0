"""The staff inbox query: triage status, date range and search on top of the feed filters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from alerts import inbox, store, triage
from alerts.filters import FilterError
from alerts.models import StaffUser
from tests.factories import draft

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _setup(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        analyst = StaffUser(email="ana@health.example", role="analyst", created_at=NOW)
        session.add(analyst)
        ids = {}
        for n, (name, day, kind) in enumerate(
            [("salmonella powder", 1, "recall"), ("lead capsules", 10, "recall"),
             ("7-OH tablets", 20, "advisory")]
        ):  # fmt: skip
            found = store.upsert(
                session,
                [draft(uid=f"u{n}", url=f"https://www.fda.gov/{n}", kind=kind,
                       title=f"Kratom {name}", published_at=datetime(2026, 2, day, tzinfo=UTC))],
                now=NOW + timedelta(minutes=n),
            )  # fmt: skip
            ids[name] = int(found.new[0].id or 0)
        session.flush()
        triage.set_status(session, ids["lead capsules"], "reviewing", user=analyst, now=NOW)
        triage.set_status(session, ids["7-OH tablets"], "dismissed", user=analyst, now=NOW)
        session.commit()
        return ids


def _titles(engine: Engine, query: str) -> list[str]:
    from urllib.parse import parse_qsl

    view, cursor = inbox.parse(parse_qsl(query, keep_blank_values=True))
    with Session(engine) as session:
        return [a.title for a in inbox.select_inbox(session, view, limit=50, after=cursor)]


def test_the_inbox_filters_by_triage_status_date_and_words(engine: Engine) -> None:
    _setup(engine)
    assert _titles(engine, "") == [
        "Kratom 7-OH tablets", "Kratom lead capsules", "Kratom salmonella powder",
    ]  # fmt: skip
    assert _titles(engine, "triage=new") == ["Kratom salmonella powder"]
    assert _titles(engine, "triage=new&triage=reviewing") == [
        "Kratom lead capsules", "Kratom salmonella powder",
    ]  # fmt: skip
    assert _titles(engine, "triage=dismissed") == ["Kratom 7-OH tablets"]
    assert _titles(engine, "since=2026-02-05&until=2026-02-10") == ["Kratom lead capsules"]
    assert _titles(engine, "q=capsules&kind=recall") == ["Kratom lead capsules"]
    assert _titles(engine, "kind=&triage=&q=") == _titles(engine, "")  # empty form fields


def test_an_inbox_view_is_one_canonical_url() -> None:
    view, _ = inbox.parse([("q", "  lead   capsules "), ("triage", "reviewing"),
                           ("since", "2026-02-01"), ("kind", "recall")])  # fmt: skip
    assert view.query_string() == "kind=recall&triage=reviewing&since=2026-02-01&q=lead+capsules"
    assert view.since == date(2026, 2, 1)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ([("triage", "done")], "triage"),
        ([("since", "yesterday")], "since"),
        ([("since", "2026-03-01"), ("until", "2026-02-01")], "starts after"),
        ([("q", "x" * 300)], "q:"),
        ([("cursor", "nope")], "cursor"),
    ],
)
def test_bad_inbox_parameters_name_themselves(query: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(FilterError, match=message):
        inbox.parse(query)
