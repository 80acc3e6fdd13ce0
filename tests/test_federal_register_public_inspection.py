"""The Federal Register public-inspection desk: kratom entries a day before publication.

Fixtures in ``tests/fixtures/federal_register_public_inspection/`` imitate
``public-inspection-documents/current.json``; their 2027 documents are invented.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.classify import classify
from alerts.draft import EVENT_KINDS, AlertDraft
from sources import federal_register, federal_register_public_inspection
from sources.base import ParseError
from sources.federal_register_public_inspection import PUBLICATION_EVENT, SOURCE, filed_moment

FIXTURES = Path(__file__).parent / "fixtures" / "federal_register_public_inspection"


def parse(name: str) -> list[AlertDraft]:
    return federal_register_public_inspection.parse((FIXTURES / name).read_bytes())


def by_uid(name: str) -> dict[str, AlertDraft]:
    return {d.uid: d for d in parse(name)}


def test_only_the_kratom_entries_of_the_desk_are_kept() -> None:
    drafts = parse("current.json")

    # The listing also holds a wildlife rule, a DEA import application and an entry
    # without a document number; none is about kratom.
    assert [d.uid for d in drafts] == ["pi:2027-90041", "pi:2027-90040"]
    assert all(d.source == "federal_register_public_inspection" for d in drafts)


def test_a_dea_entry_with_only_a_subject_title_is_completed_from_its_contents_line() -> None:
    notice = by_uid("current.json")["pi:2027-90040"]

    assert notice.raw["title"] == "Schedules of Controlled Substances:"
    assert notice.title == (
        "Schedules of Controlled Substances: Temporary Placement of 7-Hydroxymitragynine in "
        "Schedule I (public inspection)"
    )
    assert notice.matched_terms == ["7-hydroxymitragynine"]


def test_a_dea_scheduling_entry_is_a_scheduling_alert_from_dea() -> None:
    notice = by_uid("current.json")["pi:2027-90040"]

    assert notice.raw["agencies"][1] == {"raw_name": "DRUG ENFORCEMENT ADMINISTRATION"}
    assert notice.agency == "DEA"
    assert notice.kind == "scheduling"
    assert classify(notice).kind == "scheduling"


def test_the_entry_details_say_when_it_was_filed_and_when_it_will_be_published() -> None:
    notice = by_uid("current.json")["pi:2027-90040"]

    assert notice.details == {
        "stage": "notice_of_intent",
        "document_type": "Proposed Rule",
        "fr_document_number": "2027-90040",
        "filed_at": "2027-01-27T13:45:00+00:00",
        "scheduled_publication_date": "2027-01-28",
        "filing_type": "regular",
        "docket_ids": ["DEA-1399"],
        "agencies": ["Justice Department", "Drug Enforcement Administration"],
    }
    assert notice.published_at == datetime(2027, 1, 27, 13, 45, tzinfo=UTC)
    assert notice.summary == (
        "Proposed Rule. Filed for public inspection 2027-01-27 13:45 UTC. "
        "Scheduled to appear in the Federal Register on 2027-01-28."
    )
    assert notice.url == (
        "https://www.federalregister.gov/public-inspection/2027-90040/"
        "temporary-placement-of-7-hydroxymitragynine-in-schedule-i"
    )


def test_the_scheduled_publication_is_an_event_once_the_event_kinds_know_it() -> None:
    notice = by_uid("current.json")["pi:2027-90040"]

    if PUBLICATION_EVENT in EVENT_KINDS:
        assert notice.events == [{"on": "2027-01-28", "what": PUBLICATION_EVENT}]
    else:  # never an event kind the calendar and the API cannot show
        assert notice.events == []
    assert all(event["what"] in EVENT_KINDS for event in notice.events)


def test_an_fda_special_filing_keeps_its_utc_time_note_and_split_dockets() -> None:
    meeting = by_uid("current.json")["pi:2027-90041"]

    assert meeting.raw["filed_at"] == "2027-01-27T21:15:00Z"
    assert meeting.published_at == datetime(2027, 1, 27, 21, 15, tzinfo=UTC)
    assert meeting.details["filing_type"] == "special"
    assert meeting.details["docket_ids"] == ["FDA-2027-N-0212", "FDA-2027-N-0213"]
    assert meeting.details["editorial_note"].startswith("A correction was made")
    assert meeting.agency == "FDA"
    assert classify(meeting).kind == "notice"


def test_the_entry_and_the_published_document_share_the_fr_number_but_not_the_uid() -> None:
    entry = by_uid("current.json")["pi:2027-90040"]
    published = {
        "document_number": "2027-90040",
        "publication_date": "2027-01-28",
        "title": entry.raw["toc_subject"] + " " + entry.raw["toc_doc"],
        "type": "Proposed Rule",
        "action": "Notice of intent.",
        "agencies": [{"slug": "drug-enforcement-administration"}],
    }
    document = federal_register.parse(json.dumps({"count": 1, "results": [published]}).encode())

    assert document[0].uid == "2027-90040@2027-01-28" != entry.uid
    assert document[0].details["fr_document_number"] == entry.details["fr_document_number"]
    assert document[0].details["stage"] == entry.details["stage"] == "notice_of_intent"


def test_after_hours_leftovers_come_back_with_the_same_uid_and_facts() -> None:
    leftover = parse("after_hours.json")
    current = by_uid("current.json")["pi:2027-90041"]

    assert (
        "pil_unavailability_message"
        in json.loads((FIXTURES / "after_hours.json").read_bytes())["meta"]
    )
    assert [d.uid for d in leftover] == ["pi:2027-90041"]
    assert leftover[0].details == current.details


def test_an_empty_desk_gives_no_drafts() -> None:
    assert parse("empty.json") == []
    assert federal_register_public_inspection.parse(b'{"count": 0}') == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ((FIXTURES / "malformed.json").read_bytes(), "invalid JSON"),
        (b"", "empty body"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b"[]", "expected a JSON object"),
        (b'{"count": 3}', "without results"),
        (b'{"count": 1, "results": {"document_number": "2027-1"}}', "JSON array"),
        (b'{"count": 1, "results": ["2027-90040"]}', "public-inspection entry"),
        (b'{"results": [{"title": "Kratom Products; Notice"}]}', "without document_number"),
        (
            b'{"results": [{"document_number": "2027-5", "toc_doc": "", "excerpts": "kratom"}]}',
            "no title",
        ),
    ],
)
def test_bad_listings_raise_parse_errors_staff_can_read(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        federal_register_public_inspection.parse(body)


def test_hostile_markup_in_an_entry_is_reduced_to_text() -> None:
    entry = {
        "document_number": "2027-90050",
        "title": "Kratom <script>alert(1)</script>Labeling; <b>Notice</b>",
        "excerpts": "<img src=x onerror=alert(1)>" + "a" * 10_000,
        "toc_doc": "<i>Kratom</i> labeling<script>steal()</script>",
        "type": "Notice",
        "publication_date": "2027-02-01",
        "filed_at": "not a time",
    }
    draft = federal_register_public_inspection.parse(json.dumps({"results": [entry]}).encode())[0]

    assert draft.title == "Kratom Labeling; Notice (public inspection)"
    assert "<" not in draft.body and "steal" not in draft.body
    assert draft.published_at is None
    assert "filed_at" not in draft.details


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2016-08-30T08:45:00.000-04:00", datetime(2016, 8, 30, 12, 45, tzinfo=UTC)),
        ("2027-01-27T21:15:00Z", datetime(2027, 1, 27, 21, 15, tzinfo=UTC)),
        ("2027-01-27", datetime(2027, 1, 27, tzinfo=UTC)),
        ("", None),
        ("yesterday", None),
    ],
)
def test_filing_times_with_an_offset_or_in_utc_become_utc(
    value: str, expected: datetime | None
) -> None:
    assert filed_moment(value) == expected


def test_the_source_polls_the_current_desk_as_json() -> None:
    assert SOURCE.key == "federal_register_public_inspection"
    assert SOURCE.url == (
        "https://www.federalregister.gov/api/v1/public-inspection-documents/current.json"
    )
    assert (SOURCE.format, SOURCE.agency, SOURCE.kind_hint) == (
        "json",
        "Federal Register",
        "scheduling",
    )
    assert SOURCE.covers


def test_the_basic_fixture_satisfies_the_registry_meta_test() -> None:
    # What tests/test_source_parsers.py asks of every registered source.
    basics = sorted(FIXTURES.glob("basic.*"))
    assert [p.name for p in basics] == ["basic.json"]
    drafts = SOURCE.parse(basics[0].read_bytes())
    assert drafts and all(d.uid and d.title and d.matched_terms for d in drafts)


TIMELINE = Path(__file__).parent.parent / "monitor" / "demo" / "timeline" / SOURCE.key


def test_the_timeline_desk_shows_each_dea_document_the_day_before_it_is_published() -> None:
    expected = json.loads((TIMELINE / "expected.json").read_text())

    assert [e["date"] for e in expected] == ["2016-08-30", "2016-10-12"]
    for event in expected:
        drafts = [classify(d) for d in parse_path(TIMELINE / f"{event['date']}.json")]
        assert [(d.uid, d.agency, d.kind) for d in drafts] == [
            (event["uid_contains"], event["agency"], event["kind"])
        ]
        day_after = drafts[0].details["scheduled_publication_date"]
        assert day_after > event["date"]
        # On the publication day the document has left the desk.
        assert parse_path(TIMELINE / f"{day_after}.json") == []


def parse_path(path: Path) -> list[AlertDraft]:
    return federal_register_public_inspection.parse(path.read_bytes())
