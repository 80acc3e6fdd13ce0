"""LegiScan: search hits, bill pages, error answers and the timeline replay files.

Fixtures in ``tests/fixtures/legiscan/`` imitate the API's shapes (getSearch with numbered
keys, getSearchRaw with a results list, getBill, an error answered with HTTP 200); the
values asserted here are the ones written into them.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from alerts.classify import classify
from alerts.draft import AlertDraft
from monitor.demo.server import find_timeline_file
from sources import legiscan
from sources.base import ParseError

FIXTURES = Path(__file__).parent / "fixtures" / "legiscan"
TIMELINE = Path(__file__).parent.parent / "monitor" / "demo" / "timeline" / "legiscan"
UTAH, FLORIDA, LOUISIANA, DECOY = "1187041", "1948215", "1960412", "1915530"
API_KEY = "0123456789abcdef0123456789abcdef"  # the shape of a real LegiScan key


def payload(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def hits_by_uid(name: str = "search.json") -> dict[str, AlertDraft]:
    return {draft.uid: draft for draft in legiscan.parse(payload(name))}


def completed(name: str, uid: str) -> AlertDraft | None:
    """The bill page ``name`` completing the search hit ``uid``, classified."""
    draft = legiscan.parse_bill(hits_by_uid()[uid], payload(name))
    return classify(draft) if draft is not None else None


def as_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


# --------------------------------------------------------------------------- search shapes


def test_getsearch_hits_are_read_from_numbered_keys_beside_the_summary() -> None:
    data = json.loads(payload("search.json"))

    drafts = legiscan.parse(payload("search.json"))

    assert "summary" in data["searchresult"] and "0" in data["searchresult"]
    assert [d.uid for d in drafts] == [UTAH, FLORIDA, LOUISIANA, DECOY]


def test_numbered_keys_are_ordered_as_numbers_not_as_text() -> None:
    hit = {"state": "UT", "bill_number": "SB58", "title": "Kratom Consumer Protection Act"}
    body = as_json(
        {
            "status": "OK",
            "searchresult": {
                "summary": {"count": 2},
                "10": {**hit, "bill_id": 10},
                "2": {**hit, "bill_id": 2},
            },
        }
    )

    assert [d.uid for d in legiscan.parse(body)] == ["2", "10"]


def test_getsearchraw_results_list_gives_bills_that_wait_for_their_page() -> None:
    drafts = legiscan.parse(payload("search_raw.json"))

    assert [d.uid for d in drafts] == [UTAH, FLORIDA, DECOY]
    # Raw hits carry only id, hash and relevance: the bill page decides relevance.
    assert drafts[0].title == f"LegiScan bill {UTAH}"
    assert drafts[0].matched_terms == []


def test_a_search_hit_is_titled_by_state_number_and_title_and_placed_in_its_state() -> None:
    utah = hits_by_uid()[UTAH]

    assert utah.title == "UT SB58: Kratom Consumer Protection Act"
    assert utah.jurisdiction == "US-UT"
    assert utah.agency == "LegiScan (state legislatures)"
    assert utah.url == "https://legiscan.com/UT/bill/SB58/2019"
    assert utah.matched_terms == ["kratom"]


def test_a_bill_in_congress_applies_to_the_whole_country() -> None:
    body = as_json(
        {
            "status": "OK",
            "searchresult": {
                "0": {"bill_id": 77, "state": "US", "bill_number": "HR1", "title": "Kratom study"}
            },
        }
    )

    assert legiscan.parse(body)[0].jurisdiction == "US"


def test_an_empty_search_gives_no_drafts() -> None:
    assert legiscan.parse(payload("search_empty.json")) == []


# --------------------------------------------------------------------------- errors


def test_an_error_answered_with_http_200_raises_the_agency_message() -> None:
    with pytest.raises(ParseError, match="Unknown or disabled API key"):
        legiscan.parse(payload("error.json"))


def test_an_error_on_a_bill_page_is_a_parse_error_too() -> None:
    with pytest.raises(ParseError, match="LegiScan answered with an error"):
        legiscan.parse_bill(hits_by_uid()[UTAH], payload("error.json"))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (payload("truncated.json"), "invalid JSON"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b"[]", "expected a JSON object"),
        (b'{"status": "OK"}', "no searchresult"),
        (b'{"status": "MAINTENANCE"}', "status 'MAINTENANCE'"),
        (b'{"status": "OK", "searchresult": {"0": "SB58"}}', "search hit 0"),
        (b'{"status": "OK", "searchresult": {"0": {"state": "UT"}}}', "no numeric bill_id"),
        (b'{"status": "OK", "searchresult": {"results": {"bill_id": 1}}}', "JSON array"),
    ],
)
def test_malformed_search_answers_raise_parse_errors(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        legiscan.parse(body)


def test_a_bill_page_without_a_bill_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="getBill bill"):
        legiscan.parse_bill(hits_by_uid()[UTAH], b'{"status": "OK"}')


def test_a_bill_page_for_another_bill_is_refused() -> None:
    with pytest.raises(ParseError, match=f"expected {FLORIDA}"):
        legiscan.parse_bill(hits_by_uid()[FLORIDA], payload("bill_enacted.json"))


# --------------------------------------------------------------------------- kinds and status


def test_an_enacted_bill_page_comes_out_of_classify_as_a_state_law() -> None:
    utah = completed("bill_enacted.json", UTAH)

    assert utah is not None
    assert utah.kind == "state_law"
    assert utah.status == "enacted"
    assert utah.summary.startswith("Enacted. Last action 2019-03-25: Governor Signed.")
    assert utah.published_at is not None and utah.published_at.date().isoformat() == "2019-03-25"
    assert {"on": "2019-05-14", "what": "effective"} in utah.events


def test_a_pending_bill_page_comes_out_of_classify_as_a_notice() -> None:
    utah = completed("bill_pending.json", UTAH)

    assert utah is not None
    assert utah.kind == "notice"
    assert utah.status == "introduced"
    assert {"on": "2019-02-04", "what": "hearing"} in utah.events


def test_a_bill_that_died_in_committee_is_a_failed_notice() -> None:
    florida = completed("bill_failed.json", FLORIDA)

    assert florida is not None
    assert (florida.kind, florida.status) == ("notice", "failed")
    assert florida.details["last_action"] == "Died in committee"
    assert florida.jurisdiction == "US-FL"


def test_a_law_whose_description_names_schedule_i_stays_a_state_law() -> None:
    louisiana = completed("bill_law_with_schedule_text.json", LOUISIANA)

    assert louisiana is not None
    assert "Schedule I" in louisiana.details["description"]
    assert louisiana.kind == "state_law"
    assert louisiana.events == [{"on": "2025-08-01", "what": "scheduling"}]


def test_status_4_without_a_signature_or_chapter_is_passed_but_not_law() -> None:
    bill = json.loads(payload("bill_enacted.json"))
    bill["bill"]["history"] = [{"date": "2019-03-08", "action": "House passed on third reading"}]

    draft = legiscan.parse_bill(hits_by_uid()[UTAH], as_json(bill))

    assert draft is not None
    assert (classify(draft).kind, draft.status) == ("notice", "passed")


def test_a_vetoed_bill_is_a_notice() -> None:
    bill = json.loads(payload("bill_enacted.json"))
    bill["bill"]["status"] = 5
    bill["bill"]["history"].append({"date": "2019-03-28", "action": "Governor Vetoed"})

    draft = legiscan.parse_bill(hits_by_uid()[UTAH], as_json(bill))

    assert draft is not None
    assert (classify(draft).kind, draft.status) == ("notice", "vetoed")


def test_a_bill_page_not_about_kratom_is_dropped() -> None:
    assert legiscan.parse_bill(hits_by_uid()[DECOY], payload("bill_decoy.json")) is None


def test_bill_details_carry_the_sessions_links_sponsors_and_texts() -> None:
    utah = completed("bill_enacted.json", UTAH)

    assert utah is not None
    assert utah.details["session"] == "2019 General Session"
    assert utah.details["state_link"] == "https://le.utah.gov/~2019/bills/static/SB0058.html"
    assert utah.details["sponsors"] == 2
    assert [t["type"] for t in utah.details["texts"]] == ["Introduced", "Enrolled"]
    assert utah.raw["bill_id"] == int(UTAH)


# --------------------------------------------------------------------------- versions


def test_a_bill_turns_from_notice_into_state_law_under_the_same_uid_and_a_new_version() -> None:
    hit = hits_by_uid()[UTAH]
    pending = legiscan.parse_bill(hit, payload("bill_pending.json"))
    enacted = legiscan.parse_bill(hit, payload("bill_enacted.json"))

    assert pending is not None and enacted is not None
    assert pending.uid == enacted.uid == UTAH
    assert (classify(pending).kind, classify(enacted).kind) == ("notice", "state_law")
    assert legiscan.bill_version(pending) != legiscan.bill_version(enacted)


def test_the_detail_version_is_the_hits_change_hash() -> None:
    fresh = hits_by_uid()[UTAH]
    older = legiscan.parse(payload("search_raw.json"))[0]
    page = json.loads(payload("bill_enacted.json"))["bill"]

    assert legiscan.SOURCE.detail is not None
    assert legiscan.SOURCE.detail.version(fresh) == page["change_hash"]
    # The raw search was taken before the signature: its hash differs, so it is re-read.
    assert legiscan.SOURCE.detail.version(older) != page["change_hash"]


# --------------------------------------------------------------------------- URLs and the key


def test_the_bill_url_resolves_against_the_api_and_against_a_replay_server() -> None:
    hit = hits_by_uid()[UTAH]
    searched, _ = legiscan.authorize(legiscan.SOURCE.url, API_KEY)

    assert urljoin(searched, legiscan.bill_url(hit)) == (
        f"https://api.legiscan.com/?op=getBill&id={UTAH}"
    )
    assert urljoin("http://127.0.0.1:8765/legiscan?key=x", legiscan.bill_url(hit)) == (
        f"http://127.0.0.1:8765/legiscan?op=getBill&id={UTAH}"
    )


def test_authorize_puts_the_key_in_the_query_exactly_once() -> None:
    once, headers = legiscan.authorize(legiscan.SOURCE.url, API_KEY)
    twice, _ = legiscan.authorize(once, API_KEY)

    assert headers == {}
    assert twice.count("key=") == 1 and twice.endswith(f"&key={API_KEY}")
    assert "query=kratom+OR+mitragynine+OR+7-hydroxymitragynine" in twice


def test_next_page_asks_for_page_two_and_drops_the_key() -> None:
    searched, _ = legiscan.authorize(legiscan.SOURCE.url, API_KEY)

    following = legiscan.next_page(payload("search.json"), {}, searched)

    assert following is not None and following.endswith("&page=2")
    assert API_KEY not in following
    assert legiscan.next_page(payload("search_raw.json"), {}, searched) is None


def test_the_key_never_appears_in_drafts_raw_or_error_messages() -> None:
    echoed = as_json({"status": "ERROR", "alert": {"message": f"Invalid key {API_KEY}"}})
    drafts = [*legiscan.parse(payload("search.json")), *legiscan.parse(payload("search_raw.json"))]
    pages = [legiscan.parse_bill(hits_by_uid()[UTAH], payload("bill_enacted.json"))]

    with pytest.raises(ParseError) as caught:
        legiscan.parse(echoed)

    assert API_KEY not in str(caught.value) and "[redacted]" in str(caught.value)
    for draft in [*drafts, *(p for p in pages if p is not None)]:
        text = json.dumps([draft.facts(), draft.raw, legiscan.bill_url(draft)])
        assert API_KEY not in text


def test_the_source_needs_a_key_and_reads_bill_pages_as_json() -> None:
    source = legiscan.SOURCE

    assert (source.key, source.needs_key, source.format) == ("legiscan", "KM_LEGISCAN_KEY", "json")
    assert source.url.startswith("https://api.legiscan.com/?op=getSearch&state=ALL&query=kratom")
    assert source.detail is not None and source.detail.format == "json"
    assert source.authorize is legiscan.authorize


# --------------------------------------------------------------------------- timeline replay


def _expected() -> list[dict[str, str]]:
    data: list[dict[str, str]] = json.loads((TIMELINE / "expected.json").read_text())
    return data


def _served_on(day: str) -> bytes:
    """The search file the replay server plays on ``day`` (the newest not after it)."""
    files = sorted(p for p in TIMELINE.glob("????-??-??.json") if p.stem <= day)
    return files[-1].read_bytes()


@pytest.mark.parametrize("event", _expected(), ids=lambda e: e["event"])
def test_each_replayed_state_event_comes_out_with_its_expected_kind(event: dict[str, str]) -> None:
    hits = [d for d in legiscan.parse(_served_on(event["date"])) if event["uid_contains"] in d.uid]
    page = (TIMELINE / "pages" / f"{event['uid_contains']}.json").read_bytes()

    assert len(hits) == 1
    draft = legiscan.parse_bill(hits[0], page)
    assert draft is not None
    assert classify(draft).kind == event["kind"]
    assert draft.agency == event["agency"]


def test_every_replayed_hit_has_a_bill_page_with_the_same_change_hash() -> None:
    for step in sorted(TIMELINE.glob("????-??-??.json")):
        for hit in legiscan.parse(step.read_bytes()):
            page = json.loads((TIMELINE / "pages" / f"{hit.uid}.json").read_text())
            assert page["bill"]["change_hash"] == legiscan.bill_version(hit), step.name


def test_replayed_decoys_are_dropped_by_their_bill_pages() -> None:
    expected = {e["uid_contains"] for e in _expected()}
    others = {
        hit.uid: hit
        for step in TIMELINE.glob("????-??-??.json")
        for hit in legiscan.parse(step.read_bytes())
        if hit.uid not in expected
    }

    assert others, "the replay should hold decoy hits"
    for uid, hit in others.items():
        page = (TIMELINE / "pages" / f"{uid}.json").read_bytes()
        assert legiscan.parse_bill(hit, page) is None


def test_the_replay_server_answers_the_search_and_the_bill_pages_from_these_files() -> None:
    root = TIMELINE.parent
    search = find_timeline_file(root, date(2025, 8, 1), "/legiscan", f"key={API_KEY}")
    page = find_timeline_file(root, date(2025, 8, 1), "/legiscan", f"op=getBill&id={LOUISIANA}")

    assert search is not None and search[0].name == "2025-08-01.json"
    assert page is not None and page[0] == TIMELINE / "pages" / f"{LOUISIANA}.json"
