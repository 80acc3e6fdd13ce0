"""Feed and API filters: parsing, the SQL rule against the mail rule, paging and search."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from alerts import filters, store
from alerts.draft import KINDS, SEVERITIES
from alerts.filters import AlertFilter, Cursor, FilterError
from alerts.models import Alert
from alerts.subscriptions import HAZARDS, wants
from tests.factories import draft

T0 = datetime(2026, 3, 1, tzinfo=UTC)
PLACES = [
    ("US", []), ("US", ["US-TX"]), ("US", ["US-TX", "US-OK"]), ("US", ["US", "US-FL"]),
    ("US-FL", []), ("US-TX", []), ("CA", []), ("CA", ["CA-ON"]),
]  # fmt: skip
AGENCIES = ["FDA", "FTC", "DEA", "Health Canada"]


def _store_varied(engine: Engine, count: int = 160, seed: int = 7) -> None:
    rng = random.Random(seed)
    drafts = []
    for n in range(count):
        jurisdiction, regions = rng.choice(PLACES)
        drafts.append(
            draft(
                uid=f"u{n}",
                url=f"https://www.fda.gov/recall/{n}",
                kind=rng.choice(KINDS),
                jurisdiction=jurisdiction,
                regions=regions,
                agency=rng.choice(AGENCIES),
                hazards=rng.sample(HAZARDS, rng.randint(0, 2)),
                severity=rng.choice(SEVERITIES),
                title=f"Alert {n} about kratom " + rng.choice(["capsules", "powder", "shots"]),
            )
        )
    with Session(engine) as session:
        for n, item in enumerate(drafts):
            # Spread the change times so the order is meaningful; some share a time.
            store.upsert(session, [item], now=T0 + timedelta(minutes=n // 2))
        session.commit()


def _expected(alerts: list[Alert], flt: AlertFilter) -> list[int]:
    picked = [
        a
        for a in alerts
        if wants(
            kinds=frozenset(flt.kinds),
            hazards=frozenset(flt.hazards),
            min_rank=SEVERITIES.index(flt.min_severity),
            places=frozenset(flt.places),
            alert=a,
        )
        and (not flt.agencies or a.agency.lower() in flt.agencies)
    ]
    picked.sort(key=lambda a: (a.updated_at, a.id), reverse=True)
    return [int(a.id or 0) for a in picked]


FILTERS = [
    AlertFilter(),
    AlertFilter(kinds=("recall",)),
    AlertFilter(places=("US-FL",)),
    AlertFilter(places=("US-TX", "CA")),
    AlertFilter(places=("US",)),
    AlertFilter(places=("CA-ON",)),
    AlertFilter(hazards=("salmonella", "heavy_metals")),
    AlertFilter(agencies=("health canada",)),
    AlertFilter(min_severity="high"),
    AlertFilter(kinds=("recall", "advisory"), places=("US-FL",), min_severity="moderate"),
    AlertFilter(hazards=("listeria",), places=("US-OK",), agencies=("fda", "ftc")),
]


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: f.query_string() or "all")
def test_the_sql_filter_picks_exactly_what_the_mail_rule_picks(
    engine: Engine, flt: AlertFilter
) -> None:
    _store_varied(engine)
    with Session(engine) as session:
        everything = filters.select_alerts(session, AlertFilter(), limit=1000)
        found = filters.select_alerts(session, flt, limit=1000)
    assert len(everything) == 160
    assert [a.id for a in found] == _expected(everything, flt)


def test_cursor_paging_visits_every_alert_once_in_order(engine: Engine) -> None:
    _store_varied(engine)
    flt = AlertFilter(places=("US",))
    with Session(engine) as session:
        whole = [a.id for a in filters.select_alerts(session, flt, limit=1000)]
        seen: list[int | None] = []
        after = None
        while True:
            page = filters.select_alerts(session, flt, limit=7, after=after)
            if not page:
                break
            seen += [a.id for a in page]
            after = Cursor.decode(Cursor.of(page[-1]).encode())
    assert seen == whole and len(set(seen)) == len(seen) > 7


def test_search_needs_every_word(engine: Engine) -> None:
    _store_varied(engine)
    with Session(engine) as session:
        both = filters.select_alerts(session, AlertFilter(), limit=1000, search="kratom powder")
        powder = [a for a in filters.select_alerts(session, AlertFilter(), limit=1000)]
    expected = {a.id for a in powder if "powder" in a.title}
    assert {a.id for a in both} == expected and expected


def test_query_parameters_parse_into_one_canonical_filter() -> None:
    one = filters.from_params(
        [("kind", "recall,advisory"), ("jurisdiction", "us-fl"), ("min_severity", "high")]
    )
    other = filters.from_params(
        [
            ("min_severity", "high"),
            ("kind", "advisory"),
            ("kind", "recall"),
            ("jurisdiction", "US-FL"),
        ]
    )
    assert one == other
    assert one.query_string() == "kind=advisory&kind=recall&jurisdiction=US-FL&min_severity=high"
    assert filters.from_params([]).is_empty()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([("kind", "rumour")], "kind"),
        ([("jurisdiction", "Florida")], "jurisdiction"),
        ([("hazard", "<script>")], "hazard"),
        ([("min_severity", "high"), ("min_severity", "low")], "min_severity"),
        ([("agency", "x" * 80)], "agency"),
        ([("kinds", "recall")], "unknown parameter"),
        ([("kind", ",".join(["recall"] * 30))], "at most"),
    ],
)
def test_bad_filter_parameters_are_named_in_the_error(
    params: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(FilterError, match=message):
        filters.from_params(params)


@pytest.mark.parametrize("value", ["", "abc", "1-", "-1", "99999999999999999-1", "1-2-3"])
def test_a_forged_cursor_is_refused(value: str) -> None:
    with pytest.raises(FilterError, match="cursor"):
        Cursor.decode(value)


def test_every_combination_of_one_kind_and_one_place_is_a_distinct_cache_key() -> None:
    keys = {
        AlertFilter(kinds=(k,), places=(p,)).query_string()
        for k, p in itertools.product(KINDS, ["US", "US-FL", "CA"])
    }
    assert len(keys) == len(KINDS) * 3
