"""FDA warning letters: the DataTables listing, the letter pages and the claims they quote.

Fixtures in ``tests/fixtures/fda_warning_letters/`` imitate fda.gov's formats (Drupal's
escaped JSON with HTML cells; letter pages with a description list and a claims section);
the wording in them is invented. The timeline replay files are checked here too.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from alerts.claims.detect import judge
from alerts.classify import classify
from alerts.draft import AlertDraft
from sources import fda_warning_letters as letters
from sources._cited_claims import MAX_CLAIMS, MAX_QUOTE
from sources.base import ParseError

FIXTURES = Path(__file__).parent / "fixtures" / "fda_warning_letters"
TIMELINE = Path(__file__).parent.parent / "monitor" / "demo" / "timeline" / "fda_warning_letters"
LETTER_PAGES = "/inspections-compliance-enforcement-and-criminal-investigations/warning-letters/"


def payload(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def listed() -> dict[str, AlertDraft]:
    drafts = letters.parse(payload("listing.json")) + letters.parse(payload("listing_page2.json"))
    return {draft.uid: draft for draft in drafts}


def completed(uid: str) -> AlertDraft:
    done = letters.parse_letter(listed()[uid], payload(f"letter_{uid}.html"))
    assert done is not None
    return classify(done)


# --------------------------------------------------------------------------- the listing


def test_the_listing_keeps_kratom_rows_and_rows_whose_letter_page_must_decide() -> None:
    drafts = letters.parse(payload("listing.json"))

    assert [d.uid for d in drafts] == ["999106", "640118", "633972", "999001"]
    assert json.loads(payload("listing.json"))["data"].__len__() == 6
    by_uid = {d.uid: d for d in drafts}
    assert by_uid["633972"].matched_terms == ["kratom"]
    # The 7-OH seller's row names no kratom term: kept, and its letter page decides.
    assert by_uid["999106"].matched_terms == []


def test_a_tobacco_letter_to_kratos_vapor_lounge_is_not_kept() -> None:
    assert b"Kratos Vapor Lounge" in payload("listing.json")
    assert b"Acme Orthopedic Devices" in payload("listing.json")

    titles = [d.title for d in letters.parse(payload("listing.json"))]

    assert not any("Kratos" in t or "Acme" in t for t in titles)


def test_cells_are_drupal_escaped_html_fragments_with_entities() -> None:
    content = payload("listing_page2.json")
    assert b"\\u003Ca href=\\u0022\\/inspections" in content and b"\\u0026#937;" in content

    thang = listed()["999104"]

    assert thang.title == "Warning letter to Thang Botanicals Inc dba 7ΩHMZ"
    assert thang.firms == ["Thang Botanicals Inc", "7ΩHMZ"]
    assert thang.details["subject"] == "Unapproved New Drugs/Misbranded/Adulterated Food"


def test_a_row_reads_its_marcs_cms_number_dates_and_letters_from_the_cells() -> None:
    kratomnc = listed()["576964"]

    assert kratomnc.url == (
        "https://www.fda.gov" + LETTER_PAGES + "kratomnc-576964-05162019"
    )  # the relative link resolved against fda.gov for readers
    assert kratomnc.details == {
        "marcs_cms": "576964",
        "issued_on": "2019-05-16",  # a plain MM/DD/YYYY cell
        "posted_on": "2019-06-25",  # a <time datetime> cell
        "issuing_office": "Center for Drug Evaluation and Research | CDER",
        "subject": "Unapproved New Drugs/Misbranded",
        "closeout_letter": "02/03/2020",
    }
    assert kratomnc.published_at == datetime(2019, 5, 16, tzinfo=UTC)
    assert letters.letter_version(kratomnc) == "2019-06-25"


def test_the_letter_link_is_handed_to_the_poller_as_the_listing_gives_it() -> None:
    assert letters.letter_url(listed()["576964"]) == LETTER_PAGES + "kratomnc-576964-05162019"


def test_a_company_name_splits_into_the_names_it_does_business_as() -> None:
    assert letters.firms_of("Omni Consumer Products LLC d/b/a YoKratom") == [
        "Omni Consumer Products LLC",
        "YoKratom",
    ]
    assert letters.firms_of(
        "Relax Relief Rejuvenate Trading LLC dba RRR Trading or EDP Kratom"
    ) == [
        "Relax Relief Rejuvenate Trading LLC",
        "RRR Trading",
        "EDP Kratom",
    ]


def test_next_page_asks_for_the_rows_after_this_page_while_records_remain() -> None:
    following = letters.next_page(payload("listing.json"), {}, letters.SOURCE.url)

    assert following is not None
    query = parse_qs(urlsplit(following).query)
    assert query["start"] == ["6"] and query["draw"] == ["2"] and query["length"] == ["100"]
    assert query["search_api_fulltext"] == ["kratom"]
    assert query["view_name"] == ["warning_letter_solr_index"]
    assert letters.next_page(payload("listing_page2.json"), {}, following) is None


def test_an_empty_result_is_no_drafts_and_no_next_page() -> None:
    empty = b'{"draw":1,"recordsTotal":3651,"recordsFiltered":0,"data":[]}'

    assert letters.parse(empty) == []
    assert letters.next_page(empty, {}, letters.SOURCE.url) is None


def test_rows_sent_as_numbered_objects_read_like_lists() -> None:
    row = json.loads(payload("listing_page2.json"))["data"][0]
    numbered = {"draw": 1, "recordsTotal": 1, "recordsFiltered": 1,
                "data": [{str(i): cell for i, cell in enumerate(row)}]}  # fmt: skip

    [draft] = letters.parse(json.dumps(numbered).encode())

    assert draft.uid == "576964" and draft.details["issued_on"] == "2019-05-16"


def test_a_truncated_listing_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="invalid JSON"):
        letters.parse(payload("malformed.json"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty body"),
        (b'{"data": [["\xff\xfe"]]}', "not valid UTF-8"),
        (b'{"draw": 1, "recordsTotal": 0}', "expected a JSON array for data"),
        (b'{"draw": 1, "data": ["a row as one string"]}', "row 1 of the table is not a list"),
    ],
)
def test_bad_listing_bodies_are_parse_errors(content: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        letters.parse(content)


def test_drupal_ajax_commands_instead_of_rows_are_a_parse_error() -> None:
    commands = b'[{"command":"settings","settings":{},"merge":true},{"command":"insert"}]'

    with pytest.raises(ParseError, match="drupal_ajax"):
        letters.parse(commands)


def test_an_error_answered_with_status_200_is_a_parse_error() -> None:
    answer = b'{"draw":1,"recordsTotal":0,"recordsFiltered":0,"data":[],"error":"Solr is down"}'

    with pytest.raises(ParseError, match="Solr is down"):
        letters.parse(answer)


def test_a_row_with_too_few_cells_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="row 1 has 2 cells"):
        letters.parse(b'{"draw":1,"recordsTotal":1,"recordsFiltered":1,"data":[["a","b"]]}')


def test_the_source_asks_the_datatables_endpoint_as_an_ajax_call() -> None:
    source = letters.SOURCE
    query = parse_qs(urlsplit(source.url).query)

    assert source.url.startswith("https://www.fda.gov/datatables/views/ajax?")
    assert query["view_display_id"] == ["warning_letter_solr_block"]
    assert query["start"] == ["0"] and query["draw"] == ["1"]
    assert source.headers["X-Requested-With"] == "XMLHttpRequest"
    assert (source.format, source.kind_hint, source.agency) == ("json", "warning_letter", "FDA")
    assert source.detail is not None
    assert (source.detail.format, source.detail.per_poll) == ("html", 20)


# --------------------------------------------------------------------------- the letter page


def test_a_letter_page_completes_the_draft_with_its_facts() -> None:
    letter = completed("576964")

    assert (letter.kind, letter.title) == ("warning_letter", "Warning letter to KratomNC")
    assert letter.published_at == datetime(2019, 5, 16, tzinfo=UTC)
    assert (letter.jurisdiction, letter.regions) == ("US", ["US", "US-NC"])
    assert [p.name for p in letter.products] == ["Green Bali Powder", "Red Indo Powder",
                                                 "Super White Powder"]  # fmt: skip
    assert letter.details["firm"] == "KratomNC"
    assert letter.details["letter_date"] == "2019-05-16"
    assert letter.details["product_type"] == "Drugs"
    assert letter.details["delivery_method"] == "Overnight Delivery"
    assert letter.details["issuing_offices"] == ["Center for Drug Evaluation and Research"]
    assert letter.details["recipient"] == "KratomNC, Wilmington, NC 28403, United States"
    assert letter.details["recipient_state"] == "NC"
    assert letter.details["posted_on"] == "2019-06-25"  # the listing's facts stay
    assert {"21 U.S.C. 355(a)", "21 U.S.C. 331(d)", "21 U.S.C. 352(f)(1)"} <= set(
        letter.details["statutes"]
    )
    assert "cosigned_by_ftc" not in letter.details


def test_cited_claims_are_the_quotes_of_the_claims_section_each_with_topics() -> None:
    cited = completed("576964").details["cited_claims"]

    assert cited == [
        {"text": "Kratom binds to the same mu-opioid receptors that morphine does.",
         "topics": ["mechanism_receptor"]},
        {"text": "Plenty of people turn to kratom to get through opioid withdrawal.",
         "topics": ["opioid_withdrawal"]},
        {"text": "Usage: intended for easing long-term pain and for relaxation.",
         "topics": ["pain", "anxiety_mood"]},
    ]  # fmt: skip


def test_a_quote_the_detector_declines_out_of_context_is_still_tagged_by_its_cues() -> None:
    quote = "Usage: intended for easing long-term pain and for relaxation."
    assert not judge(quote).is_claim

    [tagged] = [c for c in completed("576964").details["cited_claims"] if c["text"] == quote]

    assert tagged["topics"] == ["pain", "anxiety_mood"]


def test_a_quote_no_topic_fits_is_kept_with_no_topics() -> None:
    cited = completed("633972").details["cited_claims"]

    assert {"text": "This strain removes the urge for other opiates completely.",
            "topics": []} in cited  # fmt: skip


def test_a_letter_cosigned_by_ftc_becomes_ftc_joint() -> None:
    row = listed()["633972"]
    assert row.kind == "warning_letter"  # the listing row does not say so

    letter = completed("633972")

    assert letter.kind == "ftc_joint"
    assert letter.title == "Joint FDA-FTC warning letter to Kratom Exchange"
    assert letter.details["cosigned_by_ftc"] is True
    assert letter.details["issuing_offices"] == [
        "Center for Drug Evaluation and Research",
        "Federal Trade Commission",
    ]
    assert "Opioid Addiction Recovery Fraud Prevention Act of 2018" in letter.details["statutes"]
    assert letter.severity_reason == "regulatory action (ftc joint)"


def test_a_straight_opening_quote_closed_by_a_curly_one_is_read() -> None:
    assert b'"Red Bali Kratom Powder&#8221;' in payload("letter_633972.html")

    assert completed("633972").products[0].name == "Red Bali Kratom Powder"


def test_a_7oh_letter_whose_row_names_no_kratom_is_kept_by_its_page() -> None:
    letter = completed("999106")

    assert "7-hydroxymitragynine" in letter.matched_terms and "7-OH" in letter.matched_terms
    assert letter.kind == "warning_letter"
    assert "7oh_potency" in letter.hazards and letter.severity == "high"
    assert letter.details["product_type"] == "Drugs, Food & Beverages"
    assert letter.regions == []  # the page gives no US address: the whole country
    assert [c["topics"] for c in letter.details["cited_claims"]] == [
        ["pain", "anxiety_mood"],
        ["potency_7oh"],
    ]


def test_a_letter_page_not_about_kratom_returns_none() -> None:
    assert listed()["640118"].matched_terms == []

    assert letters.parse_letter(listed()["640118"], payload("letter_640118.html")) is None


def test_a_letter_without_a_claims_section_yields_its_sentence_like_quotes() -> None:
    draft = AlertDraft(
        source="fda_warning_letters", uid="553137", agency="FDA", kind="warning_letter",
        title="Warning letter to Revibe, Inc.", url="https://www.fda.gov/x",
        details={"marcs_cms": "553137"},
    )  # fmt: skip

    letter = letters.parse_letter(draft, payload("letter_553137.html"))

    assert letter is not None
    assert [c["text"] for c in letter.details["cited_claims"]] == [
        "50X Black Diamond Extract is the strongest relief we sell for severe pain",
        "kratom is the natural way to break free from painkiller dependence.",
    ]
    assert [p.name for p in letter.products] == [
        "50X Black Diamond Extract", "Gold Bali Kratom", "Red Maeng Da Kratom",
    ]  # fmt: skip
    assert "product_type" not in letter.details  # letters of 2018 have no such label
    assert letter.regions == ["US", "US-MO"]


def test_the_summary_says_who_was_sent_what_and_which_claims_it_quotes() -> None:
    assert completed("576964").summary == (
        "FDA sent KratomNC (Wilmington, NC) a warning letter dated 2019-05-16. It treats the "
        "products as unapproved new drugs and misbranded drugs. It quotes 3 marketing claims "
        "about opioid-receptor mechanism, opioid-withdrawal, pain-relief and anxiety/depression."
    )


def test_a_page_for_another_letter_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="MARCS-CMS 633972 but the listing row 576964"):
        letters.parse_letter(listed()["576964"], payload("letter_633972.html"))


def test_the_bot_wall_at_the_letter_url_is_a_parse_error_naming_it() -> None:
    with pytest.raises(ParseError, match="bot wall"):
        letters.parse_letter(listed()["576964"], payload("bot_wall.html"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"<html>\x00\x01\x02</html>", "binary"),
        (b"<html><body><p>WARNING LETTER \xff\xfe</p></body></html>", "not valid UTF-8"),
        (b"<html><body><main><p>Page not found</p></main></body></html>", "not a warning letter"),
    ],
)
def test_bad_letter_bytes_are_parse_errors(content: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        letters.parse_letter(listed()["576964"], content)


def test_a_hostile_letter_page_gives_a_bounded_result() -> None:
    hostile = payload("hostile.html").replace(b'data-blob="', b'data-blob="' + b"B" * 2_000_000)
    draft = AlertDraft(
        source="fda_warning_letters", uid="600001", agency="FDA", kind="warning_letter",
        title="Warning letter", url="https://www.fda.gov/x", details={"marcs_cms": "600001"},
    )  # fmt: skip

    started = time.monotonic()
    letter = letters.parse_letter(draft, hostile)
    elapsed = time.monotonic() - started

    assert letter is not None
    cited = letter.details["cited_claims"]
    assert len(cited) == MAX_CLAIMS
    assert all(len(c["text"]) <= MAX_QUOTE + 1 for c in cited)
    texts = " ".join(c["text"] for c in cited)
    assert "cures everything" not in texts and "Iframe" not in texts and "fake" not in texts
    assert elapsed < 20  # linear work; generous for a shared machine


# --------------------------------------------------------------------------- timeline replay


def _timeline_listings() -> list[tuple[str, list[AlertDraft]]]:
    base = "http://127.0.0.1:8999"
    return [
        (path.stem, letters.parse(path.read_bytes().replace(b"{base}", base.encode())))
        for path in sorted(TIMELINE.glob("????-??-??.json"))
    ]


def _page(draft: AlertDraft) -> Path:
    link = letters.letter_url(draft) or ""
    assert link.startswith("http://127.0.0.1:8999/fda_warning_letters/pages/"), link
    return TIMELINE / "pages" / link.rsplit("/", 1)[-1]


def test_the_timeline_listings_are_cumulative_and_newest_first() -> None:
    previous: list[str] = []
    for _, drafts in _timeline_listings():
        uids = [d.uid for d in drafts]
        assert uids[len(uids) - len(previous) :] == previous
        posted = [d.details["posted_on"] for d in drafts]
        assert posted == sorted(posted, reverse=True)
        previous = uids


def test_every_expected_timeline_letter_appears_on_its_date_with_its_kind() -> None:
    first_seen: dict[str, tuple[str, str]] = {}
    for day, drafts in _timeline_listings():
        for draft in drafts:
            if draft.uid in first_seen:
                continue
            done = letters.parse_letter(draft, _page(draft).read_bytes())
            assert done is not None, draft.uid
            first_seen[draft.uid] = (day, classify(done).kind)
    expected = json.loads((TIMELINE / "expected.json").read_text(encoding="utf-8"))

    assert len(expected) == len(first_seen) == 16
    for event in expected:
        [uid] = [uid for uid in first_seen if event["uid_contains"] in uid]
        assert first_seen[uid] == (event["date"], event["kind"]), event
        assert event["agency"] == "FDA"
