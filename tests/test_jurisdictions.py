"""The jurisdiction status table: the curated rows are well formed, and rule-change alerts
in the store are laid over them on both backends."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from alerts import store
from alerts.jurisdictions import (
    CODE,
    CONFIDENCES,
    CURATED,
    SINCE,
    STATUS_LABELS,
    STATUSES,
    Curated,
    is_newer,
    since_start,
    status_table,
)
from tests.factories import draft

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)
OHIO = Curated(
    code="US-OH",
    name="Ohio",
    status="regulated",
    since="2024-06-01",
    what="A test row.",
    source="https://example.org/ohio",
)
THAILAND = Curated(
    code="TH",
    name="Thailand",
    status="regulated",
    since="2022",
    what="A test row.",
    source="https://example.org/th",
)
TEST_TABLE = (OHIO, THAILAND)


def _store(engine: Engine, *drafts: Any) -> list[int]:
    with Session(engine) as session:
        result = store.upsert(session, list(drafts), now=NOW)
        session.commit()
        return [int(alert.id or 0) for alert in result.new]


def _rule(n: int, *, kind: str = "state_law", day: date, **overrides: Any) -> Any:
    return draft(
        source="legiscan",
        uid=f"bill-{n}",
        url=f"https://legiscan.com/bill/{n}",
        agency="Ohio General Assembly",
        kind=kind,
        title=f"Kratom bill {n}",
        published_at=datetime(day.year, day.month, day.day, 15, tzinfo=UTC),
        **overrides,
    )


def _rows(engine: Engine, curated: tuple[Curated, ...] = TEST_TABLE) -> dict[str, Any]:
    with Session(engine) as session:
        return {row.code: row for row in status_table(session, curated=curated)}


# -- the curated table ------------------------------------------------------------------


def test_curated_codes_are_iso_3166_country_or_subdivision_codes() -> None:
    bad = [row.code for row in CURATED if not CODE.match(row.code)]
    assert bad == []


def test_curated_codes_are_not_repeated() -> None:
    codes = [row.code for row in CURATED]
    assert len(codes) == len(set(codes))


def test_curated_statuses_and_confidences_come_from_the_allowed_sets() -> None:
    assert {row.status for row in CURATED} <= set(STATUSES)
    assert {row.confidence for row in CURATED} <= set(CONFIDENCES)
    assert set(STATUS_LABELS) == set(STATUSES)


def test_every_curated_row_has_a_real_date_or_year() -> None:
    for row in CURATED:
        assert SINCE.match(row.since), row.code
        assert date(1900, 1, 1) < since_start(row.since) <= date.today(), row.code


def test_every_curated_row_cites_an_https_source_or_says_why_it_cannot() -> None:
    for row in CURATED:
        if row.source is None:
            assert "no address" in row.note, row.code
        else:
            assert re.match(r"^https://[a-z0-9.-]+\.[a-z]{2,}/", row.source), row.code


def test_rows_dated_only_to_a_year_say_so_in_their_note() -> None:
    year_only = [row for row in CURATED if len(row.since) == 4]
    assert year_only
    for row in year_only:
        assert "Year only" in row.note or "latest year" in row.note, row.code


def test_every_curated_row_says_what_the_law_does_in_one_short_sentence() -> None:
    for row in CURATED:
        assert row.what.endswith("."), row.code
        assert len(row.what) <= 220, row.code
        assert row.name.strip(), row.code


def test_the_table_holds_the_timelines_state_and_country_statuses() -> None:
    by_code = {row.code: row.status for row in CURATED}
    assert by_code["US-AR"] == by_code["US-AL"] == by_code["US-LA"] == "scheduled"
    assert {by_code[c] for c in ("US-IN", "US-WI", "US-VT", "US-RI", "US-DC")} == {"banned"}
    assert {by_code[c] for c in ("US-UT", "US-AZ", "US-GA", "US-NV", "US-CO")} == {"regulated"}
    assert by_code["US-FL"] == "7oh_restricted"
    assert (by_code["TH"], by_code["AU"], by_code["GB"]) == ("regulated", "scheduled", "banned")


def test_an_alert_inside_a_year_or_month_counts_as_newer_but_not_on_an_exact_day() -> None:
    assert is_newer(date(2019, 1, 1), "2019")
    assert is_newer(date(2019, 3, 1), "2019-03")
    assert not is_newer(date(2018, 12, 31), "2019")
    assert not is_newer(date(2024, 7, 1), "2024-07-01")
    assert is_newer(date(2024, 7, 2), "2024-07-01")


def test_a_malformed_since_is_refused() -> None:
    with pytest.raises(ValueError, match="not an ISO date"):
        since_start("July 2024")


# -- the overlay, on SQLite and PostgreSQL ----------------------------------------------


def test_a_state_law_alert_newer_than_the_curated_date_flags_the_row(engine: Engine) -> None:
    (alert_id,) = _store(engine, _rule(1, day=date(2025, 2, 3), jurisdiction="US-OH"))
    row = _rows(engine)["US-OH"]
    assert row.changed_since_curated
    assert row.status == "regulated"  # never guessed from the alert
    assert row.latest_alert is not None
    assert row.latest_alert.id == alert_id
    assert row.latest_alert.title == "Kratom bill 1"
    assert row.latest_alert.date == date(2025, 2, 3)
    assert row.latest_alert.url == "https://legiscan.com/bill/1"


def test_an_older_state_law_alert_is_shown_but_not_flagged(engine: Engine) -> None:
    _store(engine, _rule(1, day=date(2024, 5, 30), jurisdiction="US-OH"))
    row = _rows(engine)["US-OH"]
    assert row.latest_alert is not None
    assert row.latest_alert.date == date(2024, 5, 30)
    assert not row.changed_since_curated


def test_the_newest_rule_alert_of_a_jurisdiction_is_the_one_attached(engine: Engine) -> None:
    _store(
        engine,
        _rule(1, day=date(2025, 1, 10), jurisdiction="US-OH"),
        _rule(2, day=date(2025, 9, 1), jurisdiction="US", regions=["US-OH"]),
        _rule(3, day=date(2024, 1, 1), jurisdiction="US-OH"),
    )
    row = _rows(engine)["US-OH"]
    assert row.latest_alert is not None
    assert row.latest_alert.title == "Kratom bill 2"


def test_an_alert_without_a_publication_date_is_dated_by_when_it_was_first_seen(
    engine: Engine,
) -> None:
    item = _rule(1, day=date(2020, 1, 1), jurisdiction="US-OH")
    item.published_at = None
    _store(engine, item)
    row = _rows(engine)["US-OH"]
    assert row.latest_alert is not None
    assert row.latest_alert.date == NOW.date()
    assert row.changed_since_curated


def test_a_jurisdiction_named_only_by_alerts_gets_an_unknown_row_for_review(
    engine: Engine,
) -> None:
    _store(engine, _rule(1, day=date(2025, 4, 28), jurisdiction="US-ND"))
    row = _rows(engine)["US-ND"]
    assert (row.status, row.curated, row.changed_since_curated) == ("unknown", False, True)
    assert row.latest_alert is not None
    assert row.latest_alert.title == "Kratom bill 1"


def test_a_state_alert_is_not_taken_for_news_about_the_whole_country(engine: Engine) -> None:
    _store(engine, _rule(1, day=date(2025, 2, 3), jurisdiction="US", regions=["US-OH"]))
    assert set(_rows(engine)) == {"US-OH", "TH"}


def test_a_country_wide_scheduling_alert_lands_on_the_country_row(engine: Engine) -> None:
    _store(engine, _rule(1, kind="scheduling", day=date(2023, 6, 1), jurisdiction="TH"))
    row = _rows(engine)["TH"]
    assert row.latest_alert is not None
    assert row.latest_alert.title == "Kratom bill 1"
    assert row.changed_since_curated


def test_alerts_that_are_not_rule_changes_are_ignored(engine: Engine) -> None:
    _store(
        engine,
        _rule(1, kind="recall", day=date(2025, 2, 3), jurisdiction="US-OH"),
        _rule(2, kind="advisory", day=date(2025, 2, 3), jurisdiction="US-KY"),
        _rule(3, kind="seizure", day=date(2025, 2, 3), jurisdiction="TH"),
    )
    rows = _rows(engine)
    assert set(rows) == {"US-OH", "TH"}
    assert all(row.latest_alert is None and not row.changed_since_curated for row in rows.values())


def test_rows_are_sorted_by_country_with_the_country_first_then_by_name(engine: Engine) -> None:
    _store(
        engine,
        _rule(1, day=date(2025, 1, 1), jurisdiction="US-AK"),
        _rule(2, day=date(2025, 1, 1), jurisdiction="CA"),
    )
    curated = (*TEST_TABLE, Curated("US", "United States", "legal", "2016", "Test.", None))
    with Session(engine) as session:
        codes = [row.code for row in status_table(session, curated=curated)]
    assert codes == ["CA", "TH", "US", "US-OH", "US-AK"]  # names: Ohio < US-AK


def test_the_shipped_table_reads_an_empty_store_without_flags(engine: Engine) -> None:
    with Session(engine) as session:
        rows = status_table(session)
    assert sorted(row.code for row in rows) == sorted(row.code for row in CURATED)
    keys = [(row.code.split("-")[0], "-" in row.code, row.name.casefold()) for row in rows]
    assert keys == sorted(keys)
    assert not any(row.changed_since_curated or row.latest_alert for row in rows)


def test_curated_rows_that_repeat_a_code_are_refused(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(ValueError, match="repeat"):
        status_table(session, curated=(OHIO, OHIO))
