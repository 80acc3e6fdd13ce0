"""regulations.gov API v4 documents: JSON:API parsing, paging, incremental URLs, key errors.

Fixtures: ``tests/fixtures/regulations_gov/`` (document ids for Docket DEA-442 are
invented in the API's style); the timeline replay files in
``monitor/demo/timeline/regulations_gov/`` are checked against their ``expected.json``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from alerts import store
from alerts.classify import classify
from alerts.draft import AlertDraft
from sources import regulations_gov
from sources.base import ParseError

FIXTURES = Path(__file__).parent / "fixtures" / "regulations_gov"
TIMELINE = Path(__file__).resolve().parent.parent / "monitor" / "demo" / "timeline"
URL = regulations_gov.SOURCE.url
KEY = "Zq7Xk2PfT9mLw4RbN8cVd3HsJ6gYe1UaKo5Ii0Qx"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def drafts(content: bytes) -> dict[str, AlertDraft]:
    return {d.uid: classify(d) for d in regulations_gov.parse(content)}


def since(url: str) -> str:
    """The lastModifiedDate filter value of ``url``, decoded."""
    name = "filter[lastModifiedDate][ge]="
    (value,) = [unquote(p) for p in url.split("?", 1)[1].split("&") if unquote(p).startswith(name)]
    return value[len(name) :]


# ------------------------------------------------------------------------------ parsing


def test_hits_whose_title_and_highlight_do_not_name_kratom_are_skipped() -> None:
    content = fixture("basic.json")
    parsed = drafts(content)

    assert b"DEA-2027-0031-0001" in content  # a cathinone rule the full-text search matched
    assert list(parsed) == ["FDA-2027-N-0101-0001", "DEA-2016-0013-0001", "DEA-2016-0009-0001"]


def test_each_document_is_keyed_on_its_id_and_links_to_its_regulations_gov_page() -> None:
    intent = drafts(fixture("basic.json"))["DEA-2016-0009-0001"]

    assert intent.source == "regulations_gov"
    assert intent.url == "https://www.regulations.gov/document/DEA-2016-0009-0001"
    assert intent.published_at == datetime(2016, 8, 31, 4, 0, tzinfo=UTC)
    assert intent.raw["attributes"]["frDocNum"] == "2016-20803"


def test_the_agency_comes_from_agency_id_and_dea_scheduling_titles_are_scheduling() -> None:
    parsed = drafts(fixture("basic.json"))

    assert (parsed["DEA-2016-0009-0001"].agency, parsed["DEA-2016-0009-0001"].kind) == (
        "DEA",
        "scheduling",
    )
    assert (parsed["DEA-2016-0013-0001"].agency, parsed["DEA-2016-0013-0001"].kind) == (
        "DEA",
        "scheduling",
    )
    assert (parsed["FDA-2027-N-0101-0001"].agency, parsed["FDA-2027-N-0101-0001"].kind) == (
        "FDA",
        "notice",
    )


def test_a_deadline_at_midnight_eastern_is_read_as_that_eastern_day() -> None:
    withdrawal = drafts(fixture("basic.json"))["DEA-2016-0013-0001"]

    assert withdrawal.raw["attributes"]["commentEndDate"] == "2016-12-02T04:59:59Z"
    assert withdrawal.details == {
        "docket_id": "DEA-2016-0013",
        "document_type": "Proposed Rule",
        "fr_doc_num": "2016-24659",
        "comment_start": "2016-10-13",
        "comment_end": "2016-12-01",
        "open_for_comment": True,
        "withdrawn": False,
    }
    assert withdrawal.events == [{"on": "2016-12-01", "what": "comments_close"}]
    assert withdrawal.status == "open for comment"


def test_a_summer_deadline_is_read_in_eastern_daylight_time() -> None:
    fda = drafts(fixture("basic.json"))["FDA-2027-N-0101-0001"]

    assert fda.raw["attributes"]["commentEndDate"] == "2027-05-04T03:59:59Z"
    assert fda.details["comment_end"] == "2027-05-03"


def test_a_document_without_a_comment_period_has_no_comment_facts() -> None:
    intent = drafts(fixture("basic.json"))["DEA-2016-0009-0001"]

    assert intent.events == []
    assert intent.status is None
    assert "comment_end" not in intent.details
    assert intent.details["open_for_comment"] is False


def test_a_withdrawn_document_says_so_in_status_and_details() -> None:
    (memo,) = drafts(fixture("last_page.json")).values()

    assert memo.status == "withdrawn"
    assert memo.details["withdrawn"] is True
    assert "fr_doc_num" not in memo.details  # null in the API


def test_the_search_highlight_reaches_the_summary_as_plain_text() -> None:
    withdrawal = drafts(fixture("basic.json"))["DEA-2016-0013-0001"]

    assert b"<em>kratom</em>" in fixture("basic.json")
    assert "<em>" not in withdrawal.summary
    assert "Docket No. DEA-442W" in withdrawal.summary
    assert "Comments accepted through December 1, 2016." in withdrawal.summary


def test_truncated_and_wrongly_shaped_bodies_are_parse_errors() -> None:
    with pytest.raises(ParseError, match="invalid JSON"):
        regulations_gov.parse(fixture("truncated.json"))
    with pytest.raises(ParseError, match="expected a JSON array for data"):
        regulations_gov.parse(fixture("wrong_shape.json"))
    with pytest.raises(ParseError, match="without an id"):
        regulations_gov.parse(b'{"data": [{"type": "documents", "attributes": {}}]}')


def test_json_nested_too_deeply_is_a_parse_error_not_a_crash() -> None:
    deep = b"[" * 200_000

    with pytest.raises(ParseError, match="nested too deeply"):
        regulations_gov.parse(deep)
    assert regulations_gov.explain_refusal(403, deep) is None
    assert regulations_gov.next_page(deep, {}, URL) is None


# ------------------------------------------------------------------------ API errors


def test_an_invalid_key_error_names_the_code_and_the_setting_to_check() -> None:
    with pytest.raises(ParseError) as failure:
        regulations_gov.parse(fixture("error_key_invalid.json"))

    assert str(failure.value) == (
        "regulations.gov refused the request (API_KEY_INVALID, HTTP 403): "
        "the API key was not accepted; check KM_REGULATIONS_GOV_KEY"
    )


def test_api_data_gov_errors_for_a_missing_key_and_the_rate_limit_are_explained() -> None:
    with pytest.raises(ParseError, match=r"API_KEY_MISSING\): no API key was sent; set KM_"):
        regulations_gov.parse(fixture("error_key_missing.json"))
    with pytest.raises(ParseError, match=r"OVER_RATE_LIMIT.*hourly request limit"):
        regulations_gov.parse(fixture("error_rate_limit.json"))


def test_an_error_body_echoing_the_key_never_shows_it() -> None:
    body = json.dumps(
        {"errors": [{"status": "400", "title": f"Bad request for key {KEY}"}]}
    ).encode()

    with pytest.raises(ParseError) as failure:
        regulations_gov.parse(body)

    assert KEY not in str(failure.value)
    assert "[redacted]" in str(failure.value) and "HTTP 400" in str(failure.value)


def test_the_refusal_message_for_the_poller_reads_the_error_body_of_a_403() -> None:
    message = regulations_gov.explain_refusal(403, fixture("error_key_missing.json"))

    assert message is not None and "API_KEY_MISSING, HTTP 403" in message
    assert regulations_gov.explain_refusal(403, b"<html>Forbidden</html>") is None
    assert regulations_gov.explain_refusal(200, fixture("basic.json")) is None


# ------------------------------------------------------------------- paging and polling


def test_the_next_page_is_asked_for_while_the_api_says_there_is_one() -> None:
    second = regulations_gov.next_page(fixture("basic.json"), {}, URL)

    assert second == URL + "&page%5Bnumber%5D=2"
    assert regulations_gov.next_page(fixture("last_page.json"), {}, second or "") is None


def test_paging_stops_at_the_api_limit_of_twenty_pages() -> None:
    page = {"data": [], "meta": {"hasNextPage": True, "pageNumber": 20}}
    nineteen = {"data": [], "meta": {"hasNextPage": True, "pageNumber": 19}}
    url = URL + "&page%5Bnumber%5D=19"

    assert regulations_gov.next_page(json.dumps(page).encode(), {}, URL) is None
    assert regulations_gov.next_page(json.dumps(nineteen).encode(), {}, url) == (
        URL + "&page%5Bnumber%5D=20"
    )
    assert regulations_gov.SOURCE.max_pages == 20


def test_the_first_poll_reads_everything_and_later_polls_ask_since_the_last_success() -> None:
    assert regulations_gov.since_url(URL, None) == URL

    winter = regulations_gov.since_url(URL, datetime(2016, 12, 5, 15, 30, tzinfo=UTC))
    summer = regulations_gov.since_url(URL, datetime(2016, 8, 31, 15, 30, tzinfo=UTC))

    # One day of margin, written in US Eastern time (EST in December, EDT in August).
    assert since(winter) == "2016-12-04 10:30:00"
    assert since(summer) == "2016-08-30 11:30:00"
    assert winter.startswith(URL + "&filter%5BlastModifiedDate%5D%5Bge%5D=2016-12-04%2010%3A30")


def test_a_since_filter_already_in_the_url_is_replaced_not_repeated() -> None:
    bracketed = URL + "&filter[lastModifiedDate][ge]=2010-01-01 00:00:00"
    once = regulations_gov.since_url(bracketed, datetime(2016, 12, 5, 15, 30, tzinfo=UTC))
    twice = regulations_gov.since_url(once, datetime(2017, 1, 9, 15, 30, tzinfo=UTC))

    assert "2010-01-01" not in once
    assert unquote(twice).count("lastModifiedDate][ge]") == 1
    assert since(twice) == "2017-01-08 10:30:00"


def test_the_key_travels_in_a_header_and_never_in_the_url() -> None:
    source = regulations_gov.SOURCE
    assert source.authorize is not None

    url, headers = source.authorize(URL, KEY)

    assert url == URL and KEY not in url
    assert headers == {"X-Api-Key": KEY}
    assert source.needs_key == "KM_REGULATIONS_GOV_KEY"


def test_the_source_url_asks_for_kratom_newest_first_with_encoded_brackets() -> None:
    assert URL == (
        "https://api.regulations.gov/v4/documents?filter%5BsearchTerm%5D=kratom"
        "&sort=-lastModifiedDate&page%5Bsize%5D=250"
    )
    assert "[" not in URL


def test_a_repoll_of_the_same_documents_changes_nothing_and_a_new_one_is_added(
    sqlite_engine: Engine,
) -> None:
    days = ("2016-08-31", "2016-10-13", "2016-10-13")
    results = []
    for day in days:
        content = (TIMELINE / "regulations_gov" / f"{day}.json").read_bytes()
        with Session(sqlite_engine) as session:
            now = datetime.fromisoformat(day + "T23:00Z")
            results.append(store.upsert(session, list(drafts(content).values()), now=now))
            session.commit()

    assert [(len(r.new), len(r.revised), r.unchanged) for r in results] == [
        (1, 0, 0),
        (1, 0, 1),
        (0, 0, 2),
    ]


# --------------------------------------------------------------------- timeline replay


def test_every_expected_timeline_event_comes_out_of_the_file_for_its_date() -> None:
    folder = TIMELINE / "regulations_gov"
    expected = json.loads((folder / "expected.json").read_text())

    assert len(expected) == 2
    for row in expected:
        parsed = drafts((folder / f"{row['date']}.json").read_bytes())
        hits = [d for d in parsed.values() if row["uid_contains"] in d.uid]
        assert len(hits) == 1, row
        assert (hits[0].kind, hits[0].agency) == (row["kind"], row["agency"]), row
