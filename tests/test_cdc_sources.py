"""CDC outbreak notices and MMWR reports against hand-written feeds in the CDC format.

Fixtures: ``tests/fixtures/cdc_outbreaks/``, ``tests/fixtures/cdc_mmwr/``; the timeline replay
files in ``monitor/demo/timeline/cdc_*`` are checked against their ``expected.json``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from alerts import store
from alerts.classify import classify
from alerts.draft import AlertDraft
from alerts.models import Alert
from sources import cdc_mmwr, cdc_outbreaks
from sources.base import ParseError

FIXTURES = Path(__file__).parent / "fixtures"
TIMELINE = Path(__file__).resolve().parent.parent / "monitor" / "demo" / "timeline"
KRATOM_PAGE = "https://www.cdc.gov/salmonella/kratom-02-18/index.html"
MMWR_PAGE = "https://www.cdc.gov/mmwr/volumes/68/wr/mm6814a2.htm"


def fixture(key: str, name: str) -> bytes:
    return (FIXTURES / key / name).read_bytes()


def outbreaks(name: str) -> list[AlertDraft]:
    return [classify(d) for d in cdc_outbreaks.parse(fixture("cdc_outbreaks", name))]


def replayed(key: str, day: str) -> list[AlertDraft]:
    parse = {"cdc_outbreaks": cdc_outbreaks.parse, "cdc_mmwr": cdc_mmwr.parse}[key]
    content = (TIMELINE / key / f"{day}.xml").read_bytes()
    return [classify(d) for d in parse(content)]


# ------------------------------------------------------------------------- outbreak notices


def test_only_the_kratom_outbreak_is_kept_from_a_feed_of_salmonella_notices() -> None:
    content = fixture("cdc_outbreaks", "basic.xml")
    drafts = outbreaks("basic.xml")

    assert content.count(b"<item>") == 4
    assert [d.uid for d in drafts] == [KRATOM_PAGE]
    assert drafts[0].matched_terms == ["kratom"]
    assert (drafts[0].source, drafts[0].agency) == ("cdc_outbreaks", "CDC")


def test_an_update_listed_beside_the_first_posting_gives_one_alert_with_the_newest_counts() -> None:
    # The feed lists the page twice: the first posting (28 ill, http link, guid 300087)
    # and the update (87 ill, https link, guid 300102).
    (draft,) = outbreaks("basic.xml")

    assert draft.uid == draft.url == KRATOM_PAGE
    assert draft.raw["guid"] == "300102"
    assert draft.published_at == datetime(2018, 3, 15, 19, 0, tzinfo=UTC)
    assert draft.details == {"ill": 87, "states": 35, "hospitalized": 27, "deaths": 0}


def test_a_count_spelled_out_at_the_start_of_a_sentence_is_read_as_a_number() -> None:
    assert b"Eighty-seven people infected" in fixture("cdc_outbreaks", "basic.xml")
    assert outbreaks("basic.xml")[0].details["ill"] == 87
    assert cdc_outbreaks.number("Twenty-seven") == 27
    assert cdc_outbreaks.number("1,204") == 1204
    assert cdc_outbreaks.number("a few") is None


def test_an_outbreak_notice_classifies_as_a_critical_salmonella_outbreak() -> None:
    (draft,) = outbreaks("basic.xml")

    assert draft.kind == "outbreak"
    assert "salmonella" in draft.hazards
    assert draft.severity == "critical"
    assert draft.status == "ongoing"


def test_the_final_update_marks_the_outbreak_over_and_keeps_the_share_hospitalized() -> None:
    (draft,) = outbreaks("final.xml")

    assert draft.uid == KRATOM_PAGE
    assert draft.status == "over"
    assert draft.details == {"ill": 199, "states": 41, "hospitalized_pct": 38, "deaths": 0}


def test_a_sentence_about_hospitalizations_never_supplies_the_number_of_ill_people() -> None:
    counts = cdc_outbreaks.outbreak_counts(
        "Of 50 ill people with information, 19 (38%) were hospitalized. "
        "As of April 5, 2018, 132 people infected with the outbreak strains were reported "
        "from 38 states. One death was reported from Utah."
    )

    assert counts == {
        "hospitalized": 19,
        "hospitalized_pct": 38,
        "ill": 132,
        "states": 38,
        "deaths": 1,
        "as_of": "2018-04-05",
    }


def test_counts_a_notice_does_not_state_are_left_out_rather_than_guessed() -> None:
    counts = cdc_outbreaks.outbreak_counts(
        "As of February 30, 2018, investigators are still interviewing ill people."
    )

    assert counts == {}


def test_malformed_and_entity_declaring_outbreak_feeds_are_refused() -> None:
    with pytest.raises(ParseError, match="malformed feed"):
        cdc_outbreaks.parse(fixture("cdc_outbreaks", "malformed.xml"))
    with pytest.raises(ParseError, match="declares XML entities"):
        cdc_outbreaks.parse(fixture("cdc_outbreaks", "entities.xml"))


def test_each_outbreak_update_is_stored_as_a_revision_of_one_alert(sqlite_engine: Engine) -> None:
    days = ("2018-02-20", "2018-03-15", "2018-04-05", "2018-05-24")
    for number, day in enumerate(days, start=1):
        with Session(sqlite_engine) as session:
            result = store.upsert(
                session, replayed("cdc_outbreaks", day), now=datetime.fromisoformat(day + "T23:00Z")
            )
            session.commit()
        assert (len(result.new), len(result.revised)) == ((1, 0) if number == 1 else (0, 1))

    with Session(sqlite_engine) as session:
        alert = session.exec(select(Alert)).one()
        revisions = store.revisions_of(session, alert.id or 0)
    assert alert.revision == 4 and alert.status == "over"
    assert alert.details["ill"] == 199
    second = {change["field"]: change for change in revisions[1].changes}
    assert second["details.ill"] == {"field": "details.ill", "op": "changed", "old": 28, "new": 87}
    assert second["details.states"]["new"] == 35
    assert second["details.hospitalized"]["new"] == 27
    final = {change["field"] for change in revisions[3].changes}
    assert {"status", "details.ill", "details.hospitalized_pct"} <= final


# ------------------------------------------------------------------------------- MMWR


def test_mmwr_keeps_only_the_report_about_kratom() -> None:
    content = fixture("cdc_mmwr", "basic.xml")
    drafts = cdc_mmwr.parse(content)

    assert content.count(b"<item>") == 3
    assert [d.uid for d in drafts] == [MMWR_PAGE]
    assert drafts[0].agency == "CDC"


def test_mmwr_uid_drops_the_campaign_parameter_of_the_feed_link() -> None:
    (draft,) = cdc_mmwr.parse(fixture("cdc_mmwr", "basic.xml"))

    assert draft.raw["link"].endswith("mm6814a2.htm?s_cid=mm6814a2_w")
    assert draft.uid == draft.url == MMWR_PAGE
    assert cdc_mmwr.page_url("http://www.cdc.gov/x.htm?lang=es&s_cid=x_w&utm_source=rss") == (
        "https://www.cdc.gov/x.htm?lang=es"
    )


def test_mmwr_details_give_volume_issue_and_pages() -> None:
    (draft,) = cdc_mmwr.parse(fixture("cdc_mmwr", "basic.xml"))

    assert draft.details == {
        "report": "mm6814a2",
        "volume": 68,
        "issue": 14,
        "series": "weekly",
        "pages": "326–327",
    }


def test_an_mmwr_report_on_overdose_deaths_is_a_notice_with_opioid_effects() -> None:
    (draft,) = [classify(d) for d in cdc_mmwr.parse(fixture("cdc_mmwr", "basic.xml"))]

    assert draft.kind == "notice"
    assert draft.hazards == ["opioid_effects"]


def test_an_empty_mmwr_body_is_a_parse_error_not_an_empty_feed() -> None:
    with pytest.raises(ParseError, match="empty body"):
        cdc_mmwr.parse(fixture("cdc_mmwr", "empty.xml"))


# --------------------------------------------------------------------- timeline replay


@pytest.mark.parametrize("key", ["cdc_outbreaks", "cdc_mmwr"])
def test_every_expected_timeline_event_comes_out_of_the_file_for_its_date(key: str) -> None:
    expected = json.loads((TIMELINE / key / "expected.json").read_text())

    assert expected
    for row in expected:
        drafts = replayed(key, row["date"])
        hits = [d for d in drafts if row["uid_contains"] in d.uid]
        assert len(hits) == 1, row
        assert (hits[0].kind, hits[0].agency) == (row["kind"], row["agency"]), row


def test_the_replayed_outbreak_counts_follow_the_timeline() -> None:
    counts = {
        day: replayed("cdc_outbreaks", day)[0].details
        for day in ("2018-02-20", "2018-03-15", "2018-04-05", "2018-05-24")
    }

    assert counts["2018-02-20"] == {
        "ill": 28,
        "states": 20,
        "hospitalized": 11,
        "deaths": 0,
        "as_of": "2018-02-16",
    }
    assert [counts[day]["ill"] for day in counts] == [28, 87, 132, 199]
    assert [counts[day]["states"] for day in counts] == [20, 35, 38, 41]
    assert counts["2018-05-24"]["hospitalized_pct"] == 38
