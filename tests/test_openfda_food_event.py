"""openFDA food/event (CAERS): kratom reports kept as records, and the EARS signal that
turns a weekly rise in them into an adverse-event alert."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerts.classify import classify
from sources.base import Kept, ParseError, Record
from sources.openfda_food_event import (
    CAVEAT,
    SOURCE,
    derive,
    is_serious,
    parse,
    records,
)

FIXTURES = Path(__file__).parent / "fixtures" / "openfda_food_event"
TIMELINE = Path(__file__).resolve().parent.parent / "monitor/demo/timeline/openfda_food_event"
QUIET = [1, 0, 2, 1, 1, 0, 1, 2, 0, 1, 1, 1]
FIRST_MONDAY = date(2018, 1, 1)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def by_uid(found: list[Record]) -> dict[str, Record]:
    return {record.uid: record for record in found}


def report(
    number: str,
    created: date,
    *,
    brand: str = "GREEN MALAY KRATOM POWDER",
    reactions: tuple[str, ...] = ("NAUSEA",),
    outcomes: tuple[str, ...] = ("VISITED A HEALTH CARE PROVIDER",),
) -> dict[str, Any]:
    return {
        "report_number": number,
        "date_created": created.strftime("%Y%m%d"),
        "products": [{"name_brand": brand, "role": "Suspect", "industry_code": "54"}],
        "reactions": list(reactions),
        "outcomes": list(outcomes),
        "consumer": {"age": "40", "age_unit": "Year(s)", "gender": "Female"},
    }


def response(reports: list[dict[str, Any]]) -> bytes:
    meta = {"results": {"skip": 0, "limit": 100, "total": len(reports)}}
    return json.dumps({"meta": meta, "results": reports}).encode()


def weekly_reports(counts: list[int], **fields: Any) -> list[dict[str, Any]]:
    """``counts[i]`` reports created on the Tuesday of week i (from FIRST_MONDAY)."""
    out = []
    for week, count in enumerate(counts):
        tuesday = FIRST_MONDAY + timedelta(days=7 * week + 1)
        out += [report(f"W{week:02d}-{n:02d}", tuesday, **fields) for n in range(count)]
    return out


def kept(content: bytes, seen: datetime | None = None) -> list[Kept]:
    """The records of a response as the store would hand them to ``derive``."""
    at = seen or datetime(2018, 1, 1, tzinfo=UTC)
    return [Kept(r.uid, r.version, r.data, None, at, at, at) for r in records(content)]


def week_after(counts: list[int]) -> datetime:
    """A moment in the week after the last week of ``counts``."""
    return datetime.combine(
        FIRST_MONDAY + timedelta(days=7 * len(counts) + 2), datetime.min.time(), UTC
    )


# --------------------------------------------------------------------------- records


def test_records_keep_only_reports_whose_products_name_kratom() -> None:
    content = fixture("basic.json")

    found = records(content)

    assert [r.uid for r in found] == [
        "2018-CFS-003107",
        "2018-CFS-002981",
        "2018-CFS-002799",
        "2018-CFS-002741",
        "2018-CFS-002702",
        "2018-CFS-002655",
    ]
    assert b"ORANGE CREAM SODA" in content
    assert b"KRATOS PRE-WORKOUT" in content  # Kratos is not kratom


def test_a_report_becomes_record_data_with_iso_dates_products_reactions_and_consumer() -> None:
    record = by_uid(records(fixture("basic.json")))["2018-CFS-003107"]

    assert record.data == {
        "report_number": "2018-CFS-003107",
        "date_created": "2018-03-12",
        "date_started": "2018-03-02",
        "products": [
            {
                "name_brand": "Red Bali Kratom Powder",
                "industry_name": "Vit/Min/Prot/Unconv Diet(Human/Animal)",
                "role": "Suspect",
            }
        ],
        "reactions": ["SALMONELLOSIS", "DIARRHOEA", "PYREXIA"],
        "outcomes": ["HOSPITALIZATION", "VISITED AN ER"],
        "serious": True,
        "consumer": {"age": "34", "age_unit": "Year(s)", "gender": "Female"},
        "matched_terms": ["kratom"],
    }


def test_odd_casing_in_a_concomitant_product_still_names_kratom() -> None:
    record = by_uid(records(fixture("basic.json")))["2018-CFS-002981"]

    assert record.data["matched_terms"] == ["kratom"]
    assert [p["role"] for p in record.data["products"]] == ["Suspect", "Concomitant"]


def test_mitragyna_and_7_oh_brand_names_are_kratom_reports() -> None:
    found = by_uid(records(fixture("basic.json")))

    assert found["2018-CFS-002799"].data["matched_terms"] == ["mitragyna speciosa"]
    assert found["2018-CFS-002741"].data["matched_terms"] == ["7-OH"]


def test_missing_and_not_available_fields_become_none_or_empty() -> None:
    found = by_uid(records(fixture("basic.json")))

    bare = found["2018-CFS-002799"].data
    assert bare["date_started"] is None
    assert bare["outcomes"] == []
    assert bare["serious"] is False
    assert bare["consumer"] == {"age": None, "age_unit": None, "gender": None}
    assert bare["products"][0]["industry_name"] is None
    assert found["2018-CFS-002981"].data["consumer"]["gender"] is None
    assert found["2018-CFS-002741"].data["date_started"] is None  # "" in the payload
    assert found["2018-CFS-002702"].data["consumer"]["age"] is None  # consumer: null
    assert found["2018-CFS-002702"].data["products"][0]["role"] is None


@pytest.mark.parametrize(
    ("outcomes", "serious"),
    [
        (["DEATH"], True),
        (["HOSPITALIZATION"], True),
        (["Hospitalization"], True),
        (["LIFE THREATENING"], True),
        (["DISABILITY"], True),
        (["CONGENITAL ANOMALY"], True),
        (["REQ. INTERVENTION TO PRVNT PERM. IMPRMNT."], True),
        (["SERIOUS INJURIES/ ILLNESS"], True),
        (["OTHER SERIOUS (IMPORTANT MEDICAL EVENTS)"], True),
        (["NON-SERIOUS INJURIES/ ILLNESS"], False),
        (["VISITED AN ER", "VISITED A HEALTH CARE PROVIDER"], False),
        (["NONE"], False),
        (["OTHER"], False),
        ([], False),
    ],
)
def test_seriousness_follows_the_caers_outcome_words(outcomes: list[str], serious: bool) -> None:
    assert is_serious(outcomes) is serious


def test_the_fixture_marks_deaths_and_intervention_as_serious_and_er_visits_not() -> None:
    found = by_uid(records(fixture("basic.json")))

    assert found["2018-CFS-002741"].data["serious"] is True
    assert found["2018-CFS-002981"].data["serious"] is True
    assert found["2018-CFS-002655"].data["serious"] is False


def test_the_version_changes_only_when_the_report_changes() -> None:
    first = records(response([report("R1", date(2018, 3, 6))]))[0]
    again = records(response([report("R1", date(2018, 3, 6))]))[0]
    changed = records(response([report("R1", date(2018, 3, 6), outcomes=("DEATH",))]))[0]

    assert first.version == again.version
    assert changed.uid == first.uid
    assert changed.version != first.version


def test_a_report_without_a_number_gets_a_stable_content_uid() -> None:
    bare = report("", date(2018, 3, 6))

    first = records(response([bare]))[0]
    second = records(response([bare]))[0]

    assert first.uid.startswith("report-")
    assert first.uid == second.uid


def test_the_same_report_twice_in_a_response_is_kept_once() -> None:
    twice = [report("R1", date(2018, 3, 6)), report("R1", date(2018, 3, 6))]

    assert [r.uid for r in records(response(twice))] == ["R1"]


def test_parse_makes_no_alert_per_report() -> None:
    assert parse(fixture("basic.json")) == []


# --------------------------------------------------------------------------- quirks and bad input


def test_openfda_404_not_found_is_an_empty_result_not_an_error() -> None:
    assert SOURCE.empty_response is not None
    assert SOURCE.empty_response(404, fixture("not_found.json"))
    assert not SOURCE.empty_response(500, fixture("not_found.json"))
    assert not SOURCE.empty_response(404, b"<html>Not Found</html>")


def test_the_not_found_body_itself_reads_as_no_reports() -> None:
    assert records(fixture("not_found.json")) == []


def test_a_200_with_an_openfda_error_object_is_a_parse_error_naming_the_code() -> None:
    with pytest.raises(ParseError, match="openFDA error BAD_REQUEST"):
        records(fixture("error_200.json"))


def test_malformed_json_is_a_parse_error_with_its_position() -> None:
    with pytest.raises(ParseError, match="invalid JSON at line"):
        records(fixture("malformed.json"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty body"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b"[]", "expected a JSON object for an openFDA response"),
        (b'{"meta": {}}', "expected a JSON array for openFDA results"),
        (b'{"results": ["KRATOM"]}', "expected a JSON object for a CAERS report"),
        (
            b'{"results": [{"report_number": "R9", "products": "KRATOM"}]}',
            "the products of report R9",
        ),
        (
            b'{"results": [{"report_number": "R9", "products": [{"name_brand": "KRATOM"}],'
            b' "reactions": {"a": 1}}]}',
            "the reactions of report R9",
        ),
    ],
)
def test_bad_payloads_are_parse_errors_a_staff_member_can_read(
    content: bytes, message: str
) -> None:
    with pytest.raises(ParseError, match=message):
        records(content)


def test_next_page_follows_the_link_header_with_search_after() -> None:
    assert SOURCE.next_page is not None
    following = f"{SOURCE.url}&search_after=0%3D1520294400000%3B1%3D2018-CFS-002702"
    headers = {"Link": f'<{following}>; rel="next"'}

    assert SOURCE.next_page(fixture("basic.json"), headers, SOURCE.url) == following


def test_next_page_stops_without_a_link_once_every_report_was_read() -> None:
    assert SOURCE.next_page is not None
    assert SOURCE.next_page(fixture("basic.json"), {}, SOURCE.url) is None


def test_the_source_is_declared_as_an_fda_adverse_event_record_source() -> None:
    assert (SOURCE.key, SOURCE.agency, SOURCE.kind_hint, SOURCE.format) == (
        "openfda_food_event",
        "FDA",
        "adverse_event",
        "json",
    )
    assert SOURCE.url.startswith("https://api.fda.gov/food/event.json?search=")
    assert "products.name_brand:kratom" in SOURCE.url
    assert "sort=date_created:desc" in SOURCE.url
    assert SOURCE.records is records
    assert SOURCE.derive is derive
    assert SOURCE.covers


# --------------------------------------------------------------------------- signals


def test_a_rise_over_a_quiet_baseline_becomes_one_adverse_event_draft() -> None:
    counts = [*QUIET, 9]

    drafts = derive(kept(response(weekly_reports(counts))), week_after(counts))

    assert [d.uid for d in drafts] == ["signal:reports:2018-W13"]
    draft = drafts[0]
    assert draft.kind == "adverse_event"
    assert draft.agency == "FDA"
    assert draft.source == "openfda_food_event"
    assert draft.title == (
        "Kratom adverse-event reports above baseline: 9 reports in week of 2018-03-26 "
        "(baseline 0.9)"
    )
    assert draft.published_at == datetime(2018, 4, 2, tzinfo=UTC)
    assert draft.matched_terms == ["kratom"]
    assert "date_created:[20180326+TO+20180401]" in draft.url


def test_the_signal_details_carry_counts_baseline_method_and_reports() -> None:
    counts = [*QUIET, 9]

    draft = derive(kept(response(weekly_reports(counts))), week_after(counts))[0]

    details = draft.details
    assert details["series"] == "reports"
    assert details["week_start"] == "2018-03-26"
    assert details["count"] == 9
    assert details["baseline_mean"] == pytest.approx(0.86, abs=0.01)
    assert details["baseline_sd"] == pytest.approx(0.69, abs=0.01)
    assert details["statistic"] == pytest.approx(8.14, abs=0.01)
    assert details["method"] == "EARS C2"
    assert details["weeks_used"] == 7
    assert details["baseline_from"] == "2018-01-22"
    assert details["c1_flagged"] is True
    assert details["c3_flagged"] is True
    assert details["report_numbers"] == [f"W12-{n:02d}" for n in range(9)]
    assert details["top_reactions"] == [{"term": "NAUSEA", "reports": 9}]
    json.dumps(details)  # JSON-ready


def test_the_signal_summary_gives_count_baseline_method_reactions_and_the_caveat() -> None:
    counts = [*QUIET, 9]

    summary = derive(kept(response(weekly_reports(counts))), week_after(counts))[0].summary

    assert "received 9 reports naming kratom products in the week of 2018-03-26" in summary
    assert "average of 0.9 a week (standard deviation 0.7)" in summary
    assert "over the 7 weeks from 2018-01-22 to 2018-03-11" in summary
    assert "EARS C2 statistic" in summary
    assert "NAUSEA (9)" in summary
    assert summary.endswith(CAVEAT)
    assert "cannot establish causation" in CAVEAT


def test_derive_gives_the_same_drafts_every_time_in_any_record_order() -> None:
    counts = [*QUIET, 9, 12]
    stored = kept(response(weekly_reports(counts)))
    now = week_after(counts)

    first = derive(stored, now)
    again = derive(list(reversed(stored)), now)

    assert [d.facts() for d in first] == [d.facts() for d in again]
    assert [d.uid for d in first] == ["signal:reports:2018-W13", "signal:reports:2018-W14"]


def test_a_later_poll_keeps_the_uid_and_numbers_of_a_past_signal() -> None:
    counts = [*QUIET, 9]
    earlier = derive(kept(response(weekly_reports(counts))), week_after(counts))
    later_counts = [*counts, 1, 1, 0]
    later = derive(kept(response(weekly_reports(later_counts))), week_after(later_counts))

    assert [d.facts() for d in later] == [d.facts() for d in earlier]


def test_the_current_incomplete_week_is_not_counted() -> None:
    counts = [*QUIET, 9]
    stored = kept(response(weekly_reports(counts)))
    during = week_after(counts) - timedelta(days=7)  # Wednesday of the spike week

    assert derive(stored, during) == []
    assert len(derive(stored, week_after(counts))) == 1


def test_serious_outcome_reports_are_a_series_of_their_own() -> None:
    quiet = weekly_reports(QUIET)
    serious = [report(f"S-{n}", date(2018, 3, 27), outcomes=("HOSPITALIZATION",)) for n in range(5)]

    drafts = derive(kept(response(quiet + serious)), week_after([*QUIET, 5]))

    assert [d.uid for d in drafts] == ["signal:reports:2018-W13", "signal:serious:2018-W13"]
    serious_draft = drafts[1]
    assert serious_draft.title.startswith("Serious kratom adverse-event reports above baseline: ")
    assert "5 serious-outcome reports" in serious_draft.title
    assert serious_draft.details["series"] == "serious"
    assert serious_draft.details["baseline_mean"] == 0.0


def test_no_records_or_a_short_history_gives_no_drafts() -> None:
    assert derive([], datetime(2018, 6, 1, tzinfo=UTC)) == []
    short = [1, 0, 1, 30]

    assert derive(kept(response(weekly_reports(short))), week_after(short)) == []


def test_reports_without_a_creation_date_are_not_counted() -> None:
    counts = [*QUIET, 9]
    undated = weekly_reports(counts)
    for item in undated[-9:]:
        item["date_created"] = ""

    assert derive(kept(response(undated)), week_after(counts)) == []


def test_reports_gone_from_the_listing_still_count() -> None:
    counts = [*QUIET, 9]
    at = datetime(2018, 4, 2, tzinfo=UTC)
    stored = [
        Kept(r.uid, r.version, r.data, None, at, at, at, gone_at=at)
        for r in records(response(weekly_reports(counts)))
    ]

    assert [d.uid for d in derive(stored, week_after(counts))] == ["signal:reports:2018-W13"]


def test_classify_keeps_the_signal_an_adverse_event_when_reactions_name_seizures() -> None:
    counts = [*QUIET, 9]
    fits = weekly_reports(counts, reactions=("SEIZURE", "DEATH"), outcomes=("DEATH",))

    drafts = derive(kept(response(fits)), week_after(counts))
    decided = [classify(d) for d in drafts]

    assert [d.kind for d in decided] == ["adverse_event", "adverse_event"]
    assert "opioid_effects" in decided[0].hazards
    assert {"term": "SEIZURE", "reports": 9} in drafts[0].details["top_reactions"]
    assert "CONVULSION (9)" in drafts[0].summary


def test_report_numbers_in_the_details_are_capped_at_fifty() -> None:
    counts = [*[5] * 12, 80]

    draft = derive(kept(response(weekly_reports(counts))), week_after(counts))[0]

    assert draft.details["count"] == 80
    assert len(draft.details["report_numbers"]) == 50


def test_the_signal_names_the_kratom_products_of_its_week() -> None:
    counts = [*QUIET, 9]

    draft = derive(
        kept(response(weekly_reports(counts, brand="Maeng Da Kratom Capsules"))),
        week_after(counts),
    )[0]

    assert [p.name for p in draft.products] == ["Maeng Da Kratom Capsules"]


# --------------------------------------------------------------------------- timeline replay


def replay() -> dict[str, list[str]]:
    """Poll each timeline file on its date: records into a store, then derive."""
    store: dict[str, Kept] = {}
    seen: dict[str, list[str]] = {}
    for path in sorted(TIMELINE.glob("[0-9]*.json")):
        at = datetime.fromisoformat(path.stem).replace(tzinfo=UTC)
        for record in records(path.read_bytes()):
            old = store.get(record.uid)
            first = old.first_seen_at if old else at
            store[record.uid] = Kept(record.uid, record.version, record.data, None, first, at, at)
        drafts = [classify(d) for d in derive(list(store.values()), at)]
        assert all(d.kind == "adverse_event" and d.agency == "FDA" for d in drafts)
        seen[path.stem] = [d.uid for d in drafts]
    return seen


def test_the_timeline_raises_the_expected_signal_first_on_the_expected_date() -> None:
    expected = json.loads((TIMELINE / "expected.json").read_text())
    seen = replay()

    for event in expected:
        assert (event["agency"], event["kind"]) == ("FDA", "adverse_event")
        dates = [day for day, uids in seen.items() if any(event["uid_contains"] in u for u in uids)]
        assert dates and dates[0] == event["date"]


def test_the_timeline_baseline_from_late_2017_raises_nothing() -> None:
    seen = replay()

    assert next(day for day, uids in seen.items() if uids) >= "2018-02-20"
    assert any(day < "2018-01-01" for day in seen)


def test_the_timeline_files_are_cumulative() -> None:
    previous: set[str] = set()
    for path in sorted(TIMELINE.glob("[0-9]*.json")):
        numbers = {r.uid for r in records(path.read_bytes())}
        assert previous <= numbers, path.name
        previous = numbers
