"""Federal Register documents: rulemaking stage, source facts and kind, per fixture.

The fixtures in ``tests/fixtures/federal_register/`` imitate the documents search API
with ``fields[]``; the 2016 DEA documents carry the real numbers, citations and dockets,
the 2026-2029 ones are invented.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from alerts.classify import classify
from alerts.draft import AlertDraft
from sources import federal_register
from sources.base import ParseError
from sources.federal_register import STAGES, agency_code, docket_ids, stage_of

FIXTURES = Path(__file__).parent / "fixtures" / "federal_register"


def only(name: str) -> AlertDraft:
    drafts = federal_register.parse((FIXTURES / name).read_bytes())
    assert len(drafts) == 1
    return drafts[0]


def by_uid(name: str) -> dict[str, AlertDraft]:
    return {d.uid: d for d in federal_register.parse((FIXTURES / name).read_bytes())}


def test_the_2016_notice_of_intent_is_a_dea_scheduling_notice_of_intent() -> None:
    intent = only("notice_of_intent.json")

    assert intent.uid == "2016-20803@2016-08-31"
    assert intent.published_at == datetime(2016, 8, 31, tzinfo=UTC)
    assert intent.agency == "DEA"
    assert intent.details == {
        "stage": "notice_of_intent",
        "document_type": "Proposed Rule",
        "fr_document_number": "2016-20803",
        "citation": "81 FR 59929",
        "pages": "59929-59934",
        "docket_ids": ["DEA-442"],
        "agencies": ["Justice Department", "Drug Enforcement Administration"],
    }
    assert classify(intent).kind == "scheduling"


def test_the_notice_of_intent_dates_its_earliest_scheduling_day() -> None:
    intent = only("notice_of_intent.json")

    assert intent.events == [{"on": "2016-09-30", "what": "scheduling"}]
    assert classify(intent).events == intent.events
    # Not an effective date: the order had not been issued.
    assert "effective_on" not in intent.details


def test_the_2016_withdrawal_reads_its_comment_deadline_and_docket() -> None:
    withdrawal = only("withdrawal.json")

    assert withdrawal.uid == "2016-24659@2016-10-13"
    assert withdrawal.details["stage"] == "withdrawal"
    assert withdrawal.details["docket_ids"] == ["DEA-442W"]
    assert withdrawal.details["citation"] == "81 FR 70652"
    assert withdrawal.details["pages"] == "70652-70654"
    assert withdrawal.details["comment_close_on"] == "2016-12-01"
    assert withdrawal.details["effective_on"] == "2016-10-13"
    assert classify(withdrawal).kind == "scheduling"


def test_a_withdrawal_is_not_read_as_the_notice_of_intent_it_names() -> None:
    # The title names "Notice of Intent" and "Temporarily Place": the withdrawal wins.
    title = only("withdrawal.json").title

    assert "Notice of Intent" in title and "Temporarily Place" in title
    assert stage_of("Proposed Rule", title) == "withdrawal"


def test_a_proposed_rule_carries_its_comment_deadline_rin_and_both_dockets() -> None:
    proposed = only("proposed_rule.json")

    assert proposed.details["stage"] == "proposed_rule"
    assert proposed.details["comment_close_on"] == "2027-04-02"
    assert proposed.details["regulation_id_numbers"] == ["1117-AB90"]
    assert proposed.details["docket_ids"] == ["DEA-1402", "DEA-1402A"]
    assert proposed.events == [{"on": "2027-04-02", "what": "comments_close"}]
    assert classify(proposed).kind == "scheduling"


def test_a_final_rule_carries_its_effective_date() -> None:
    final = only("final_rule.json")

    assert final.details["stage"] == "final_rule"
    assert final.details["effective_on"] == "2027-09-01"
    assert "comment_close_on" not in final.details
    assert final.events == [{"on": "2027-09-01", "what": "effective"}]
    assert classify(final).kind == "scheduling"


def test_temporary_orders_their_extension_and_an_hhs_recommendation_get_their_stages() -> None:
    drafts = by_uid("temporary_orders.json")

    stages = {uid: d.details["stage"] for uid, d in drafts.items()}
    assert stages == {
        "2029-90003@2029-04-20": "temporary_order_extension",
        "2027-90020@2027-05-03": "temporary_order",
        "2027-90004@2027-01-04": "recommendation",
    }
    assert {classify(d).kind for d in drafts.values()} == {"scheduling"}
    assert drafts["2027-90004@2027-01-04"].agency == "FDA"


def test_search_hits_that_name_no_kratom_term_are_left_out() -> None:
    drafts = federal_register.parse((FIXTURES / "decoy.json").read_bytes())

    # The quota notice and the information collection matched somewhere in their full
    # text; only the workshop names kratom, and only in its excerpt.
    assert [d.uid for d in drafts] == ["2026-90029@2026-12-01"]
    assert drafts[0].matched_terms == ["kratom"]
    assert drafts[0].details["stage"] == "notice"
    assert classify(drafts[0]).kind == "notice"


def test_an_fda_notice_about_an_international_review_stays_a_notice() -> None:
    notice = by_uid("basic.json")["2021-99017@2021-08-16"]

    assert notice.kind == "notice"
    assert notice.details["stage"] == "notice"
    assert notice.details["comment_close_on"] == "2021-09-15"


def test_a_correction_is_its_own_stage() -> None:
    correction = by_uid("dates.json")["2027-90002@2027-01-12"]

    assert correction.details["stage"] == "correction"
    assert "effective_on" not in correction.details  # the API gave February 30


@pytest.mark.parametrize(
    ("doc_type", "title", "action", "stage"),
    [
        ("RULE", "Placement of Mitragynine in Schedule I", "", "final_rule"),
        ("PRORULE", "Placement of Mitragynine in Schedule I", "", "proposed_rule"),
        ("Presidential Document", "Kratom Awareness Week, 2027", "", "presidential_document"),
        ("PRESDOCU", "Kratom Awareness Week, 2027", "", "presidential_document"),
        ("Proposed Rule", "Temporary Placement of 7-Hydroxymitragynine", "", "notice_of_intent"),
        ("Rule", "Temporary Placement of 7-Hydroxymitragynine", "", "temporary_order"),
        ("Notice", "Kratom", "Notice of intent.", "notice_of_intent"),
        ("Proposed Rule", "Placement of Mitragynine", "Proposed rule; withdrawal.", "withdrawal"),
        ("Notice", "Opioid Withdrawal and Kratom Use; Public Workshop", "Notice.", "notice"),
        ("", "Mitragynine", "Final rule; correcting amendment.", "correction"),
        ("Uncategorized Document", "Kratom", "", "notice"),
    ],
)
def test_stage_reads_both_type_spellings_and_the_action_wording(
    doc_type: str, title: str, action: str, stage: str
) -> None:
    assert stage_of(doc_type, title, action) == stage
    assert stage in STAGES


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["Docket No. DEA-442"], ["DEA-442"]),
        (["[Docket No. DEA-442]"], ["DEA-442"]),
        (["CMS-1833-F and CMS-1808-F"], ["CMS-1833-F", "CMS-1808-F"]),
        (["Docket Nos. DEA-442, DEA-442W; DEA-442"], ["DEA-442", "DEA-442W"]),
        (["BLM_HQ_FRN_MO4500181705"], ["BLM_HQ_FRN_MO4500181705"]),
        (["Docket ID: FDA-2021-N-9917", None, 7, "  "], ["FDA-2021-N-9917"]),
    ],
)
def test_free_text_docket_strings_are_split_into_identifiers(
    raw: list[object], expected: list[str]
) -> None:
    assert docket_ids(raw) == expected


def test_an_agency_known_only_by_its_raw_name_in_capitals_is_still_recognised() -> None:
    agencies = [
        {"raw_name": "DEPARTMENT OF JUSTICE"},
        {"raw_name": "DRUG ENFORCEMENT ADMINISTRATION"},
    ]

    assert agency_code(agencies) == "DEA"
    assert agency_code([{"raw_name": "OFFICE OF THE SECRETARY"}]) == "Office of the Secretary"
    assert agency_code([]) == "Federal Register"


def test_details_are_json_ready_and_leave_out_missing_facts() -> None:
    doc = {
        "document_number": "2027-90077",
        "publication_date": "2027-06-01",
        "title": "Kratom; Notice of Inquiry",
        "type": "Notice",
        "agencies": None,
        "docket_ids": "Docket No. FDA-2027-N-1",  # a string, not the usual list
        "regulation_id_numbers": [None, "0910-AJ01"],
        "start_page": "12",
    }
    draft = federal_register.parse(json.dumps({"count": 1, "results": [doc]}).encode())[0]

    assert draft.details == {
        "stage": "notice",
        "document_type": "Notice",
        "fr_document_number": "2027-90077",
        "regulation_id_numbers": ["0910-AJ01"],
    }
    assert json.loads(json.dumps(draft.details)) == draft.details


def test_the_search_asks_for_all_three_names_in_one_or_query() -> None:
    query = dict(parse_qsl(urlsplit(federal_register.SOURCE.url).query))

    assert query["conditions[term]"] == 'kratom | mitragynine | "7-hydroxymitragynine"'
    assert query["conditions[term]"] == federal_register.TERM_QUERY
    assert {"regulation_id_numbers", "start_page", "end_page"} <= set(federal_register.FIELDS)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b'{"count": 1, "results": {"document_number": "x"}}', "JSON array"),
        (b'{"count": 1, "results": ["2016-20803"]}', "JSON object"),
        (b'{"count": 1, "results": [{"title": "Kratom"}]}', "without document_number"),
        (b"<html><body>Request blocked</body></html>", "invalid JSON"),
    ],
)
def test_bad_search_responses_raise_parse_errors_staff_can_read(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        federal_register.parse(body)


TIMELINE = Path(__file__).parent.parent / "monitor" / "demo" / "timeline" / "federal_register"


def test_the_timeline_replay_files_give_each_expected_alert_on_its_day() -> None:
    expected = json.loads((TIMELINE / "expected.json").read_text())

    assert len(expected) == 2
    for event in expected:
        drafts = [
            classify(d)
            for d in federal_register.parse((TIMELINE / f"{event['date']}.json").read_bytes())
        ]
        hits = [d for d in drafts if event["uid_contains"] in d.uid]
        assert [(d.agency, d.kind) for d in hits] == [(event["agency"], event["kind"])]


def test_the_timeline_search_results_are_cumulative_and_newest_first() -> None:
    first = federal_register.parse((TIMELINE / "2016-08-31.json").read_bytes())
    later = federal_register.parse((TIMELINE / "2016-10-13.json").read_bytes())

    assert [d.details["stage"] for d in later] == ["withdrawal", "notice_of_intent"]
    assert later[1].facts() == first[0].facts()  # re-served unchanged: no revision
