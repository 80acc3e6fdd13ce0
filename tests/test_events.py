"""Dated events read from the free text of rule changes, and when classification looks."""

from __future__ import annotations

import pytest

from alerts.classify import classify
from alerts.events import events_in
from tests.factories import draft


def on(day: str, what: str) -> dict[str, str]:
    return {"on": day, "what": what}


@pytest.mark.parametrize(
    ("text", "events"),
    [
        ("The ban is effective January 1, 2027.", [on("2027-01-01", "effective")]),
        ("Effective Jan. 1, 2027, sellers must register.", [on("2027-01-01", "effective")]),
        ("The act takes effect on 1 July 2026.", [on("2026-07-01", "effective")]),
        ("The statute became law on the 3rd of May, 2026.", [on("2026-05-03", "effective")]),
        ("The statute became law May 3rd, 2026.", [on("2026-05-03", "effective")]),
        ("Amendments go into effect 2026-09-01.", [on("2026-09-01", "effective")]),
        ("The rule enters into force on 10/01/2026.", [on("2026-10-01", "effective")]),
        (
            "Comments must be received on or before December 1, 2026.",
            [on("2026-12-01", "comments_close")],
        ),
        (
            "Send written comments to the docket by Sept. 15, 2026.",
            [on("2026-09-15", "comments_close")],
        ),
        ("The comment period closes March 3, 2027.", [on("2027-03-03", "comments_close")]),
        (
            "A public hearing on the bill will be held on February 8, 2027, at 9 a.m.",
            [on("2027-02-08", "hearing")],
        ),
        (
            "The committee hearing is scheduled for 14 April 2026 in the U.S. Capitol.",
            [on("2026-04-14", "hearing")],
        ),
        (
            "The temporary scheduling order takes effect on September 30, 2026.",
            [on("2026-09-30", "scheduling")],
        ),
        (
            "DEA will temporarily place 7-OH in schedule I. The order is effective May 4, 2026.",
            [on("2026-05-04", "scheduling")],
        ),
        (
            "The emergency rule adding 7-hydroxymitragynine to Schedule I is effective "
            "August 13, 2025.",
            [on("2025-08-13", "scheduling")],
        ),
    ],
)
def test_dated_events_are_found_in_varied_phrasing(text: str, events: list[dict[str, str]]) -> None:
    assert events_in(text) == events


def test_one_sentence_can_hold_an_effective_date_and_a_comment_deadline() -> None:
    text = (
        "This direct final rule is effective May 1, 2027, unless adverse comment is "
        "received by April 1, 2027; a hearing convenes on April 20, 2027."
    )

    assert events_in(text) == [
        on("2027-05-01", "effective"),
        on("2027-04-01", "comments_close"),
        on("2027-04-20", "hearing"),
    ]


def test_the_cue_nearest_the_date_decides_what_it_is() -> None:
    text = "After reading the comments received last year, the board set the effective date "
    assert events_in(text + "as June 1, 2027.") == [on("2027-06-01", "effective")]


def test_a_deadline_to_request_a_hearing_is_not_a_hearing() -> None:
    assert events_in("Requests for a hearing must be filed by March 3, 2027.") == []
    assert events_in("Waivers of participation in a hearing are due on March 3, 2027.") == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "No date here, only effective immediately and comments welcome.",
        "The firm was founded on March 3, 2001 and sells kratom.",  # a date without a cue
        "The rule is effective 30 days after publication.",
    ],
)
def test_text_without_a_cued_date_has_no_events(text: str) -> None:
    assert events_in(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "The ban is effective February 30, 2027.",
        "Comments must be received by 13/45/2027.",
        "The order takes effect 2027-00-10.",
        "A hearing will be held on April 31, 2027.",
        "The act takes effect January 1, 0999.",
        "Effective December 99, 2027 and September 0, 2027.",
    ],
)
def test_impossible_dates_are_skipped_without_error(text: str) -> None:
    assert events_in(text) == []


def test_only_the_first_date_of_each_kind_and_only_wanted_kinds_are_kept() -> None:
    text = (
        "The first phase is effective March 1, 2027. The second phase is effective "
        "June 1, 2027. Comments close on February 1, 2027."
    )

    assert events_in(text) == [on("2027-03-01", "effective"), on("2027-02-01", "comments_close")]
    assert events_in(text, kinds=("comments_close",)) == [on("2027-02-01", "comments_close")]


def test_a_very_long_text_is_read_without_trouble() -> None:
    text = "kratom " * 20_000 + "The ban is effective January 1, 2027." + " (1/1/2027)" * 2000

    assert events_in(text) == [on("2027-01-01", "effective")]


def test_classify_reads_dates_from_the_text_of_a_scheduling_alert() -> None:
    decided = classify(
        draft(
            kind="notice",
            title="Schedules of Controlled Substances: Temporary Placement of 7-OH in Schedule I",
            summary="DEA will issue a temporary scheduling order, effective March 2, 2027.",
            hazards=[],
        )
    )

    assert decided.kind == "scheduling"
    assert decided.events == [on("2027-03-02", "scheduling")]


def test_classify_reads_dates_from_the_text_of_a_state_law_alert() -> None:
    decided = classify(
        draft(
            kind="state_law",
            title="Ohio bill on kratom sales signed",
            summary="The law takes effect on October 1, 2026. A hearing on rules is "
            "set for August 4, 2026.",
            hazards=[],
        )
    )

    assert decided.kind == "state_law"
    assert decided.events == [on("2026-10-01", "effective"), on("2026-08-04", "hearing")]


def test_classify_keeps_the_dates_a_source_gave() -> None:
    given = [on("2027-01-05", "effective")]
    decided = classify(
        draft(
            kind="state_law",
            title="Kratom act",
            summary="The act takes effect on October 1, 2026.",
            events=given,
        )
    )

    assert decided.events == given


def test_classify_looks_for_dates_only_in_rule_changes() -> None:
    decided = classify(
        draft(summary="Possible Salmonella. The recall is effective January 2, 2027.")
    )

    assert decided.kind == "recall"
    assert decided.events == []
