"""FDA's "FDA and Kratom" page: its main text as a record, and the diff alert derived from it.

The fixtures in ``tests/fixtures/fda_kratom_page/`` are hand-written fda.gov pages (own
wording); ``poll`` keeps records the way the poller is specified to, so ``derive`` is tested
over a poll history.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.classify import classify
from alerts.draft import AlertDraft
from sources.base import Kept, ParseError
from sources.fda_kratom_page import (
    SOURCE,
    Changed,
    derive,
    describe,
    diff_paragraphs,
    main_paragraphs,
    records,
    text_hash,
)

FIXTURES = Path(__file__).parent / "fixtures" / "fda_kratom_page"
TIMELINE = Path(__file__).parents[1] / "monitor" / "demo" / "timeline" / "fda_kratom_page"


def page(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=14, tzinfo=UTC)


def poll(store: dict[str, Kept], content: bytes, when: datetime) -> list[Kept]:
    """One poll as the poller keeps records: returns every kept record afterwards."""
    for record in records(content):
        old = store.get(record.uid)
        if old is None:
            store[record.uid] = Kept(
                record.uid, record.version, record.data, None, when, when, when
            )
        elif old.version != record.version:
            store[record.uid] = Kept(
                record.uid, record.version, record.data, old.data, old.first_seen_at, when, when
            )
        else:
            store[record.uid] = replace(old, last_seen_at=when)
    return list(store.values())


def only(drafts: list[AlertDraft]) -> AlertDraft:
    assert len(drafts) == 1
    return drafts[0]


# ---------------------------------------------------------------------------- records


def test_the_record_is_the_main_text_without_menus_sharing_dates_or_footer() -> None:
    (record,) = records(page("basic.html"))
    paragraphs = record.data["paragraphs"]

    assert record.uid == "page"
    assert paragraphs[0].startswith("Kratom (Mitragyna speciosa) is a tree that grows")
    assert paragraphs[-1].startswith("Health care providers and consumers can report")
    assert "What FDA has done" in paragraphs
    assert len(paragraphs) == 12
    text = "\n".join(paragraphs)
    for chrome in (
        "Skip to main content", "official website", "Submit search", "Medical Devices",
        "News & Events", "Share", "Post", "Linkedin", "Print", "Content current as of",
        "04/03/2019", "Regulated Product(s)", "Dietary Supplements", "Topic(s)",
        "Public Health Focus", "FDA and Cannabis", "Back to Top", "New Hampshire Avenue",
        "drupalSettings", "googletagmanager",
    ):  # fmt: skip
        assert chrome not in text, chrome


def test_the_version_is_the_hash_of_the_normalised_main_text() -> None:
    (record,) = records(page("basic.html"))

    assert record.version == text_hash(record.data["paragraphs"])
    assert text_hash(["A  b\n“c”", "Dé"]) == text_hash(['a b "c"', "DÉ"])
    assert text_hash(["a b"]) != text_hash(["a", "b"])


def test_a_change_in_dates_menus_scripts_or_a_dates_case_keeps_the_same_version() -> None:
    (before,) = records(page("basic.html"))
    (after,) = records(page("boilerplate_changed.html"))

    assert page("boilerplate_changed.html") != page("basic.html")
    assert after.version == before.version


def test_a_windows_1252_page_labelled_utf8_reads_like_its_utf8_twin() -> None:
    content = page("windows_1252.html")

    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    assert records(content) == records(page("basic.html"))
    assert any(p.startswith("FDA’s concerns") for p in records(content)[0].data["paragraphs"])


def test_the_fda_apology_page_is_a_parse_error_naming_the_bot_wall() -> None:
    with pytest.raises(
        ParseError, match=re.escape("bot-protection page ('FDA Apology') instead of")
    ):
        records(page("apology.html"))


def test_a_page_not_found_answer_is_a_parse_error_asking_to_check_the_url() -> None:
    with pytest.raises(ParseError, match=r"'Page Not Found'.*check the source URL"):
        records(page("not_found.html"))


def test_a_page_with_only_menus_and_scripts_is_a_parse_error_saying_so() -> None:
    with pytest.raises(ParseError, match="has no main text"):
        records(page("no_main_text.html"))


def test_a_page_that_never_mentions_kratom_is_refused_as_not_the_kratom_page() -> None:
    content = b"<html><head><title>Xylazine | FDA</title></head><body><main><p>Xylazine " + (
        b"is a sedative for animals.</p></main></body></html>"
    )

    with pytest.raises(
        ParseError, match=re.escape("never mentions kratom (title: 'Xylazine | FDA')")
    ):
        records(content)


def test_a_page_cut_short_is_refused_rather_than_reported_as_lost_paragraphs() -> None:
    content = page("basic.html")

    with pytest.raises(ParseError, match="ends early"):
        records(content[: content.index(b"What consumers should know")])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b"\n\t ", "empty body"),
        (b"%PDF-1.4\n1 0 obj", "binary content"),
        (b"\x89PNG\r\n\x1a\n", "binary content"),
        (b"GIF89a\x01\x00</html>", "binary content"),
    ],
)
def test_empty_and_binary_bodies_are_parse_errors(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        records(body)


def test_hostile_markup_gives_only_the_text_a_reader_sees() -> None:
    content = page("hostile.html")
    started = time.perf_counter()

    paragraphs = main_paragraphs(content)

    assert time.perf_counter() - started < 2
    text = "\n".join(paragraphs)
    for planted in (
        "now approved by FDA", "cures everything", "Commented kratom", "Hidden kratom",
        "Another hidden", "Framed kratom",
    ):  # fmt: skip
        assert planted.encode() in content
        assert planted not in text, planted
    assert "write <script>alert(1)</script> in their ads" in text
    assert paragraphs[1:] == records(page("basic.html"))[0].data["paragraphs"]


# ------------------------------------------------------------------------------ diff


def test_identical_or_only_recased_and_rewrapped_texts_have_an_empty_diff() -> None:
    old = ["FDA and Kratom", "November 2017: FDA  warned."]

    assert diff_paragraphs(old, list(old)).empty
    assert diff_paragraphs(old, ["fda AND kratom", "NOVEMBER 2017:\nFDA warned."]).empty
    assert describe(diff_paragraphs(old, old)) == "No words changed."


def test_a_new_paragraph_is_added_and_a_dropped_one_removed() -> None:
    diff = diff_paragraphs(["One.", "Two.", "Three."], ["One.", "Three.", "Four is new."])

    assert diff.added == ("Four is new.",)
    assert diff.removed == ("Two.",)
    assert diff.changed == ()


def test_a_reworded_paragraph_is_changed_with_its_word_runs_in_reading_order() -> None:
    old = ["Intro.", "FDA is looking into reports that link kratom to liver injury and deaths."]
    new = [
        "Intro.",
        "FDA continues to review reports that link kratom to liver injury, dependence and deaths.",
    ]

    diff = diff_paragraphs(old, new)

    assert diff.added == diff.removed == ()
    assert diff.changed == (
        Changed(
            old[1],
            new[1],
            (
                ("removed", "is looking into"),
                ("added", "continues to review"),
                ("added", "dependence"),
            ),
        ),
    )
    assert diff.changed[0].added == ("continues to review", "dependence")
    assert diff.changed[0].removed == ("is looking into",)


def test_a_replacement_with_nothing_in_common_is_a_removal_and_an_addition() -> None:
    diff = diff_paragraphs(
        ["Kratom is sold as powder."], ["Report side effects to MedWatch today please."]
    )

    assert diff.removed == ("Kratom is sold as powder.",)
    assert diff.added == ("Report side effects to MedWatch today please.",)
    assert diff.changed == ()


def test_a_moved_paragraph_shows_as_removed_and_added() -> None:
    diff = diff_paragraphs(
        ["A first.", "B second.", "C third."], ["B second.", "C third.", "A first."]
    )

    assert diff.removed == ("A first.",)
    assert diff.added == ("A first.",)


def test_diff_leaves_its_inputs_alone_and_stays_fast_on_long_pages() -> None:
    old = [f"Paragraph {i} about kratom and other things." for i in range(1500)]
    new = [f"Entirely different line number {i}." for i in range(1500)]
    old_copy = list(old)
    started = time.perf_counter()

    diff = diff_paragraphs(old, new)

    assert time.perf_counter() - started < 5
    assert (len(diff.added), len(diff.removed)) == (1500, 1500)
    assert old == old_copy


def test_describe_counts_the_changes_and_quotes_short_excerpts() -> None:
    (before,) = records(page("basic.html"))
    (after,) = records(page("updated.html"))

    text = describe(diff_paragraphs(before.data["paragraphs"], after.data["paragraphs"]))

    assert text.startswith("1 paragraph added, 1 removed, 1 changed. ")
    assert 'Added paragraph: "July 2025: FDA announced steps against concentrated 7-OH' in text
    assert 'Removed paragraph: "FDA’s concerns grew as more people turned to kratom' in text
    assert 'removed: "is looking into"; added: "continues to review"' in text
    assert 'added: "to dependence"' in text


def test_describe_quotes_at_most_the_limit_and_counts_the_rest() -> None:
    diff = diff_paragraphs([], [f"New item {i}." for i in range(6)])

    text = describe(diff, limit=2)

    assert text.count("Added paragraph:") == 2
    assert text.endswith("And 4 more not quoted here.")
    assert text.startswith("6 paragraphs added.")


# ------------------------------------------------------------------------------ derive


def test_before_the_page_was_ever_read_there_is_no_draft() -> None:
    assert derive([], at("2025-01-02")) == []


def test_the_first_poll_says_the_page_is_now_watched_without_a_diff() -> None:
    now = at("2019-04-05")
    draft = only(derive(poll({}, page("basic.html"), now), now))

    assert draft.uid == "fda-and-kratom"
    assert draft.kind == "advisory"
    assert draft.title == "FDA and Kratom page: now watched"
    assert "12 paragraphs" in draft.summary
    assert "added" not in draft.summary
    assert draft.published_at == now
    assert draft.details == {
        "watched_since": "2019-04-05",
        "paragraph_count": 12,
        "current_hash": records(page("basic.html"))[0].version,
    }
    assert draft.url == SOURCE.url
    assert "kratom" in draft.matched_terms


def test_unchanged_and_boilerplate_only_polls_return_the_same_draft() -> None:
    store: dict[str, Kept] = {}
    first = derive(poll(store, page("basic.html"), at("2019-04-05")), at("2019-04-05"))
    same = derive(poll(store, page("basic.html"), at("2019-04-06")), at("2019-04-06"))
    chrome = derive(
        poll(store, page("boilerplate_changed.html"), at("2019-06-21")), at("2019-06-21")
    )

    assert store["page"].previous is None
    assert [d.facts() for d in same] == [d.facts() for d in first]
    assert [d.facts() for d in chrome] == [d.facts() for d in first]


def test_a_change_gives_a_readable_diff_dated_when_it_was_seen() -> None:
    store: dict[str, Kept] = {}
    poll(store, page("basic.html"), at("2019-04-05"))
    seen = at("2025-07-30")
    draft = only(derive(poll(store, page("updated.html"), seen), seen))

    assert draft.uid == "fda-and-kratom"
    assert draft.title == "FDA and Kratom page updated (seen July 30, 2025)"
    assert draft.published_at == seen
    assert draft.summary.startswith(
        'FDA changed the text of its "FDA and Kratom" page: 1 paragraph added, 1 removed, '
        "1 changed."
    )
    assert 'added: "continues to review"' in draft.summary
    assert draft.details == {
        "changed_on": "2025-07-30",
        "paragraphs_added": 1,
        "paragraphs_removed": 1,
        "paragraphs_changed": 1,
        "previous_hash": records(page("basic.html"))[0].version,
        "current_hash": records(page("updated.html"))[0].version,
    }


def test_re_polls_after_a_change_return_the_identical_draft() -> None:
    store: dict[str, Kept] = {}
    poll(store, page("basic.html"), at("2019-04-05"))
    once = derive(poll(store, page("updated.html"), at("2025-07-30")), at("2025-07-30"))
    later = derive(poll(store, page("updated.html"), at("2025-08-30")), at("2025-09-30"))

    assert [d.facts() for d in later] == [d.facts() for d in once]


def test_naive_timestamps_as_sqlite_returns_them_are_read_as_utc() -> None:
    store: dict[str, Kept] = {}
    poll(store, page("basic.html"), datetime(2019, 4, 5, 14))
    draft = only(
        derive(poll(store, page("updated.html"), datetime(2025, 7, 30, 14)), at("2025-07-30"))
    )

    assert draft.published_at == at("2025-07-30")


def test_the_drafts_stay_advisories_after_classify() -> None:
    store: dict[str, Kept] = {}
    drafts = derive(poll(store, page("basic.html"), at("2019-04-05")), at("2019-04-05"))
    drafts += derive(poll(store, page("updated.html"), at("2025-07-30")), at("2025-07-30"))

    assert [classify(d).kind for d in drafts] == ["advisory", "advisory"]


# ---------------------------------------------------------------------- timeline replay


@pytest.mark.parametrize("clock", ["replayed dates", "polled today"])
def test_the_timeline_pages_give_every_expected_event(clock: str) -> None:
    expected = json.loads((TIMELINE / "expected.json").read_text())
    days = sorted(path.stem for path in TIMELINE.glob("*.html"))
    assert days == ["2017-11-14", "2018-02-06", "2018-11-27", "2019-04-03", "2025-07-29"]
    assert sorted(e["date"] for e in expected) == days
    store: dict[str, Kept] = {}
    summaries: list[str] = []
    for step, day in enumerate(days):
        when = at(day) if clock == "replayed dates" else at("2026-01-05") + timedelta(days=step)
        draft = classify(
            only(derive(poll(store, (TIMELINE / f"{day}.html").read_bytes(), when), when))
        )
        summaries.append(draft.summary)
        (event,) = (e for e in expected if e["date"] == day)
        assert event["uid_contains"] in draft.uid
        assert draft.kind == event["kind"], (day, draft.summary)
        assert draft.published_at == when
    assert "now watched" not in summaries[1]
    assert all(
        s.startswith('FDA changed the text of its "FDA and Kratom" page: 1 paragraph added.')
        for s in summaries[1:]
    )
