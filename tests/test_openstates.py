"""Open States v3 ``/bills``: kratom bills, statuses, paging, incremental URLs, the key.

Fixtures in ``tests/fixtures/openstates/`` imitate the API's bill pages (``results`` plus
``pagination``, bills with ``include=actions`` and ``include=sources``); the values
asserted here are the ones written into them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from alerts.classify import classify
from alerts.draft import AlertDraft
from sources import openstates
from sources.base import ParseError

FIXTURES = Path(__file__).parent / "fixtures" / "openstates"
UTAH = "ocd-bill/5f0d7b2e-93c1-4a6e-b8d4-0c2f51a7e913"
FLORIDA = "ocd-bill/a3c9e0d4-7b15-4f2a-9e61-2d8b4c0f7a55"
COLORADO = "ocd-bill/8b4f2c61-0e7a-4d93-b5c8-1f6a2e9d7c30"
LOUISIANA = "ocd-bill/0d9a7e35-6c21-4f8b-9a04-b7e3c1f58d26"
API_KEY = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"  # the shape of a real Open States key


def payload(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def drafts(name: str) -> dict[str, AlertDraft]:
    return {draft.uid: classify(draft) for draft in openstates.parse(payload(name))}


def bill_page(bill: dict[str, Any]) -> bytes:
    return json.dumps({"results": [bill], "pagination": {"page": 1, "max_page": 1}}).encode()


def utah_with(actions: list[tuple[str, list[str]]]) -> dict[str, Any]:
    """The Utah fixture bill with its actions replaced by (date, classification) pairs."""
    bill: dict[str, Any] = json.loads(payload("bills_page1.json"))["results"][0]
    bill["actions"] = [
        {"description": f"step {n}", "date": day, "classification": labels, "order": n}
        for n, (day, labels) in enumerate(actions, 1)
    ]
    return bill


# --------------------------------------------------------------------------- pages


def test_a_bills_page_keeps_the_kratom_bills_and_skips_the_decoys() -> None:
    page = json.loads(payload("bills_page1.json"))

    assert len(page["results"]) == 3
    assert list(drafts("bills_page1.json")) == [UTAH, FLORIDA]
    assert list(drafts("bills_page2.json")) == [COLORADO]


def test_a_bill_is_titled_by_state_and_identifier_and_placed_in_its_state() -> None:
    utah = drafts("bills_page1.json")[UTAH]

    assert utah.title == "UT SB 58: Kratom Consumer Protection Act"
    assert utah.jurisdiction == "US-UT"
    assert utah.agency == "Open States (state legislatures)"
    assert utah.url == "https://openstates.org/ut/bills/2019/SB58/"
    assert utah.details["state_link"] == "https://le.utah.gov/~2019/bills/static/SB0058.html"
    assert utah.details["updated_at"] == "2019-02-13T07:02:41.118204+00:00"


def test_an_empty_page_gives_no_drafts() -> None:
    assert openstates.parse(payload("empty.json")) == []


# --------------------------------------------------------------------------- kinds and status


def test_a_signed_bill_comes_out_of_classify_as_a_state_law() -> None:
    colorado = drafts("bills_page2.json")[COLORADO]

    assert (colorado.kind, colorado.status) == ("state_law", "enacted")
    assert colorado.details["status_date"] == "2022-05-31"
    assert colorado.events == [{"on": "2024-07-01", "what": "effective"}]


def test_a_pending_bill_is_a_notice_and_the_same_uid_becomes_a_state_law_when_signed() -> None:
    pending = drafts("bills_page1.json")[UTAH]
    enacted = drafts("bill_enacted.json")[UTAH]

    assert (pending.kind, pending.status) == ("notice", "engrossed")
    assert (enacted.kind, enacted.status) == ("state_law", "enacted")
    assert pending.details["updated_at"] != enacted.details["updated_at"]
    assert {"on": "2019-05-14", "what": "effective"} in enacted.events


def test_a_bill_that_died_in_committee_is_a_failed_notice() -> None:
    florida = drafts("bills_page1.json")[FLORIDA]

    assert (florida.kind, florida.status) == ("notice", "failed")
    assert florida.details["last_action"] == "Died in committee"


def test_a_bill_fetched_without_actions_is_judged_by_its_latest_action() -> None:
    louisiana = drafts("without_actions.json")[LOUISIANA]

    assert (louisiana.kind, louisiana.status) == ("state_law", "enacted")
    assert louisiana.details["status_date"] == "2025-06-20"


@pytest.mark.parametrize(
    ("actions", "status"),
    [
        ([("2025-01-10", ["introduction"])], "introduced"),
        ([("2025-01-10", ["introduction"]), ("2025-02-01", ["passage"])], "engrossed"),
        (
            [("2025-01-10", ["filing"]), ("2025-02-01", ["passage"]), ("2025-03-01", ["passage"])],
            "passed",
        ),
        ([("2025-02-01", ["passage"]), ("2025-03-05", ["executive-receipt"])], "enrolled"),
        ([("2025-03-05", ["executive-receipt"]), ("2025-03-20", ["executive-veto"])], "vetoed"),
        ([("2025-03-20", ["executive-veto"]), ("2025-04-02", ["veto-override-passage"])], "passed"),
        ([("2025-03-20", ["executive-veto"]), ("2025-04-02", ["became-law"])], "enacted"),
        ([("2025-01-10", ["introduction"]), ("2025-02-01", ["withdrawal"])], "failed"),
    ],
)
def test_the_status_follows_the_classified_actions(
    actions: list[tuple[str, list[str]]], status: str
) -> None:
    (draft,) = openstates.parse(bill_page(utah_with(actions)))

    assert draft.status == status
    assert classify(draft).kind == ("state_law" if status == "enacted" else "notice")


def test_actions_out_of_order_are_read_by_date() -> None:
    bill = utah_with([("2025-03-20", ["executive-signature"]), ("2025-01-10", ["introduction"])])

    (draft,) = openstates.parse(bill_page(bill))

    assert (draft.status, draft.details["status_date"]) == ("enacted", "2025-03-20")


def test_the_state_comes_from_the_ocd_jurisdiction_id() -> None:
    def state(ocd_id: str) -> str:
        return openstates.state_of({"id": ocd_id, "name": "x"})

    assert state("ocd-jurisdiction/country:us/state:ut/government") == "UT"
    assert state("ocd-jurisdiction/country:us/district:dc/government") == "DC"
    assert state("ocd-jurisdiction/country:us/territory:pr/government") == "PR"
    assert state("ocd-jurisdiction/country:us/government") == ""
    assert openstates.state_of("Utah") == ""


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (payload("malformed.json"), "no results list"),
        (b"", "empty body"),
        (b"\xff{}", "not valid UTF-8"),
        (b'{"results": [', "invalid JSON"),
        (b"[]", "expected a JSON object"),
        (b'{"detail": "Not Found"}', "no results list"),
        (b'{"results": ["ocd-bill/1"]}', "Open States bill #1"),
        (b'{"results": [{"title": "Kratom Consumer Protection Act"}]}', "no ocd-bill id"),
    ],
)
def test_unexpected_answers_raise_parse_errors(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        openstates.parse(body)


# --------------------------------------------------------------------------- URLs and the key


def test_next_page_follows_pagination_until_the_last_page() -> None:
    following = openstates.next_page(payload("bills_page1.json"), {}, openstates.SOURCE.url)

    assert following is not None and following.endswith("&page=2")
    assert following.count("include=") == 2
    assert openstates.next_page(payload("bills_page2.json"), {}, following) is None


def test_since_url_asks_for_bills_updated_a_day_before_the_last_success() -> None:
    polled = datetime(2025, 6, 17, 9, 30, tzinfo=UTC)

    since = openstates.since_url(openstates.SOURCE.url, polled)
    again = openstates.since_url(since, datetime(2025, 6, 18, 9, 30, tzinfo=UTC))

    assert since.endswith("&updated_since=2025-06-16T09:30:00")
    assert again.count("updated_since=") == 1 and again.endswith("2025-06-17T09:30:00")
    assert "q=kratom" in since


def test_since_url_without_a_successful_poll_is_the_full_search() -> None:
    assert openstates.since_url(openstates.SOURCE.url, None) == openstates.SOURCE.url


def test_since_url_reads_a_naive_time_as_utc() -> None:
    since = openstates.since_url(openstates.SOURCE.url, datetime(2025, 1, 2, 0, 0))

    assert since.endswith("updated_since=2025-01-01T00:00:00")


def test_authorize_sends_the_key_as_a_header_and_never_in_the_url() -> None:
    url, headers = openstates.authorize(f"{openstates.SOURCE.url}&apikey={API_KEY}", API_KEY)

    assert headers == {"X-API-KEY": API_KEY}
    assert API_KEY not in url and "apikey" not in url


def test_the_key_never_appears_in_drafts_raw_or_error_messages() -> None:
    names = ("bills_page1.json", "bills_page2.json", "bill_enacted.json", "without_actions.json")
    echoed = json.dumps({"results": None, "detail": f"bad key {API_KEY}"}).encode()

    with pytest.raises(ParseError) as caught:
        openstates.parse(echoed)

    assert API_KEY not in str(caught.value)
    for name in names:
        for draft in openstates.parse(payload(name)):
            assert API_KEY not in json.dumps([draft.facts(), draft.raw])


def test_the_source_needs_a_key_and_polls_incrementally() -> None:
    source = openstates.SOURCE

    assert (source.key, source.needs_key, source.format) == (
        "openstates",
        "KM_OPENSTATES_KEY",
        "json",
    )
    assert source.url.startswith("https://v3.openstates.org/bills?q=kratom&include=actions")
    assert source.since_url is openstates.since_url
    assert source.authorize is openstates.authorize
