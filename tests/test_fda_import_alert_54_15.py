"""FDA Import Alert 54-15: the page read into records, and the alerts derived from them.

The fixtures in ``tests/fixtures/fda_import_alert_54_15/`` are hand-written accessdata pages
(invented firms); ``poll`` below keeps records the way the poller is specified to (upsert by
uid, the old data kept on a version change, ``gone_at`` for rows missing from a poll), so
``derive`` is tested over a whole poll history.
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
from sources.base import Kept, ParseError, Record
from sources.fda_import_alert_54_15 import SOURCE, decode_html, derive, firm_uid, records

FIXTURES = Path(__file__).parent / "fixtures" / "fda_import_alert_54_15"
TIMELINE = Path(__file__).parents[1] / "monitor" / "demo" / "timeline" / "fda_import_alert_54_15"
CASCADE = "cascade-ridge-herbals-llc@united-states"
KETUM = "lembah-ketum-trading-sdn-bhd@malaysia"
PELANGI = "cv-pelangi-serbuk-borneo@indonesia"
DORE = "lac-dore-herbal-imports@canada"


def page(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def by_uid(items: list[Record]) -> dict[str, Record]:
    return {item.uid: item for item in items}


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)


def poll(store: dict[str, Kept], content: bytes, when: datetime) -> list[Kept]:
    """One poll as the poller keeps records: returns every kept record afterwards."""
    seen: set[str] = set()
    for record in records(content):
        seen.add(record.uid)
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
            store[record.uid] = replace(old, last_seen_at=when, gone_at=None)
    for uid, old in list(store.items()):
        if uid not in seen and old.gone_at is None:
            store[uid] = replace(old, gone_at=when)
    return list(store.values())


def drafts_of(kept: list[Kept], now: datetime) -> dict[str, AlertDraft]:
    return {draft.uid: draft for draft in derive(kept, now)}


# ---------------------------------------------------------------------------- records


def test_the_page_gives_one_record_per_red_list_firm_and_one_for_the_page() -> None:
    found = records(page("basic.html"))

    assert [r.uid for r in found] == [
        "page",
        DORE,
        "cv-sungai-kapuas-botanika@indonesia",
        "pt-hijau-daun-lestari@indonesia",
        KETUM,
        CASCADE,
    ]
    facts = found[0].data
    assert facts["published_on"] == "2023-06-12"
    assert facts["red_list_count"] == 5
    assert facts["alert_type"] == "DWPE"
    assert facts["alert_name"].startswith("Detention Without Physical Examination of Dietary")
    assert facts["alert_name"].endswith("Contain Kratom (Mitragyna speciosa)")


def test_a_firm_record_holds_its_row_with_the_address_lines_joined_and_iso_dates() -> None:
    found = by_uid(records(page("basic.html")))

    assert found[DORE].data == {
        "firm": "Lac Doré Herbal Imports",
        "country": "Canada",
        "address": "1440 Rue Saint-Denis, Montréal, QC H2X 3J8",
        "products": "Kratom powder",
        "date_added": "2014-02-28",
        "last_revised": "",
    }
    assert found["pt-hijau-daun-lestari@indonesia"].data["last_revised"] == "2021-04-08"


def test_firms_on_the_green_list_are_not_read_as_red_listed() -> None:
    content = page("basic.html")
    found = records(content)

    assert b"Pokok Teh Highland Estates" in content
    assert not any("pokok" in r.uid for r in found)


def test_firm_uids_ignore_case_accents_and_punctuation() -> None:
    assert firm_uid("Lac Doré Herbal Imports", "CANADA") == DORE
    assert firm_uid("LAC DORE HERBAL IMPORTS.", "Canada") == DORE
    assert firm_uid("Lembah Ketum Trading Sdn Bhd", "Malaysia") == KETUM


def test_a_red_list_laid_out_as_one_table_with_country_rows_gives_the_same_records() -> None:
    assert records(page("country_rows.html")) == records(page("basic.html"))


def test_new_menus_scripts_and_footer_dates_give_the_same_records() -> None:
    changed = page("boilerplate_changed.html")

    assert changed != page("basic.html")
    assert records(changed) == records(page("basic.html"))


def test_a_windows_1252_page_labelled_utf8_reads_like_its_utf8_twin() -> None:
    content = page("windows_1252.html")

    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    assert b'charset=utf-8"' in content
    assert records(content) == records(page("basic.html"))
    assert by_uid(records(content))[DORE].data["firm"] == "Lac Doré Herbal Imports"


def test_revising_one_entry_changes_only_that_firms_version() -> None:
    before = by_uid(records(page("firm_added.html")))
    after = by_uid(records(page("entry_revised.html")))

    changed = {uid for uid in after if after[uid].version != before[uid].version}
    assert changed == {"page", CASCADE}
    assert after[CASCADE].data["address"] == "9120 SE Foster Rd, Portland, OR 97266"
    assert after[CASCADE].data["last_revised"] == "2025-02-10"


def test_a_firm_listed_twice_in_one_country_gets_a_numbered_second_uid() -> None:
    content = page("basic.html").decode("utf-8")
    row = content[content.index("<tr><td><strong>Cascade") :]
    row = row[: row.index("</tr>") + 5]

    found = records(content.replace(row, row + "\n" + row).encode("utf-8"))

    assert [r.uid for r in found if r.uid.startswith("cascade")] == [CASCADE, f"{CASCADE}#2"]
    assert found[0].data["red_list_count"] == 6


# ------------------------------------------------------------------------ bad input


def test_the_fda_apology_page_is_a_parse_error_naming_the_bot_wall() -> None:
    with pytest.raises(
        ParseError, match=re.escape("bot-protection page ('FDA Apology') instead of")
    ):
        records(page("apology.html"))


def test_a_page_without_a_red_list_section_is_a_parse_error_saying_so() -> None:
    with pytest.raises(ParseError, match="has no Red List section"):
        records(page("no_red_list.html"))


def test_a_red_list_heading_without_its_table_is_a_parse_error_saying_so() -> None:
    with pytest.raises(ParseError, match="Red List heading but no red-list table"):
        records(page("red_list_without_table.html"))


def test_the_alert_number_in_the_page_title_is_enough_to_identify_the_page() -> None:
    content = page("basic.html").replace(b"<p><strong>Import Alert # 54-15</strong></p>", b"")
    content = content.replace(b"<h1>Import Alert 54-15</h1>", b"<h1>Import Alert</h1>")

    assert b"Import Alert # 54-15" not in content
    assert records(content) == records(page("basic.html"))


def test_another_import_alert_page_is_refused_with_its_number() -> None:
    with pytest.raises(ParseError, match="Import Alert 66-41, not 54-15: check the source URL"):
        records(page("other_alert.html"))


def test_an_unreadable_published_date_is_a_parse_error_quoting_what_the_page_says() -> None:
    with pytest.raises(
        ParseError, match=re.escape("no readable Published Date (found 'to be announced')")
    ):
        records(page("no_published_date.html"))


def test_a_page_cut_short_is_refused_rather_than_read_as_a_shorter_red_list() -> None:
    content = page("basic.html")
    cut = content[: content.index(b"Lembah Ketum")]

    with pytest.raises(ParseError, match="ends early"):
        records(cut)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b" \r\n ", "empty body"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "binary content"),
        (b"\x1f\x8b\x08\x00\x00\x00", "binary content"),
        (b"<html>\x00\x00</html>", "binary content"),
        (b'{"alert": "54-15"}</html>', "no 'Import Alert #'"),
        (
            b"<html><head><title>Import Alerts List</title></head><body></body></html>",
            "no 'Import Alert #' on the page (title: 'Import Alerts List')",
        ),
    ],
)
def test_empty_binary_and_unrelated_bodies_are_parse_errors(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=re.escape(message)):
        records(body)


def test_hostile_markup_gives_only_the_firms_a_reader_sees() -> None:
    content = page("hostile.html")
    started = time.perf_counter()

    found = records(content)

    assert time.perf_counter() - started < 2
    names = [r.data["firm"] for r in found[1:]]
    for planted in (
        b"Injected Script Firm",
        b"Commented Out Firm",
        b"Hidden Row Firm",
        b"Svg Firm",
    ):
        assert planted in content
        assert not any(planted.decode() in name for name in names)
    assert "Sunrise <script>alert(1)</script> Trading" in names
    sunrise = next(r for r in found if r.data.get("firm", "").startswith("Sunrise"))
    assert sunrise.data["address"] == "Jl. Pahlawan No. 3, Pontianak"
    assert sunrise.data["products"] == "Kratom powder"
    assert sunrise.data["date_added"] == "2024-07-01"
    assert len(found) == 7


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ('<meta charset="iso-8859-1"><p>Dor\xe9 \x92s</p>'.encode("latin-1"), "Doré ’s"),
        ('<meta charset="windows-1252"><p>Doré</p>'.encode(), "Doré"),
        ('<meta charset="x-unheard-of"><p>Dor\xe9</p>'.encode("latin-1"), "Doré"),
        (b"\xef\xbb\xbf<p>Dor\xc3\xa9</p>", "Doré"),
        ("\ufeff<p>Doré</p>".encode("utf-16-le"), "Doré"),
    ],
)
def test_html_is_decoded_as_a_browser_would_whatever_the_label_says(body: bytes, text: str) -> None:
    assert text in decode_html(body, "a page")


# ------------------------------------------------------------------------------ derive


def test_before_the_page_was_ever_read_there_are_no_drafts() -> None:
    assert derive([], at("2025-01-02")) == []


def test_the_first_poll_reports_the_alert_with_its_red_list_and_no_firm_alerts() -> None:
    now = at("2025-01-02")
    kept = poll({}, page("basic.html"), now)

    drafts = derive(kept, now)

    assert [d.uid for d in drafts] == ["54-15"]
    alert = drafts[0]
    assert alert.title == "Import Alert 54-15 (kratom) published June 12, 2023"
    assert alert.published_at == datetime(2023, 6, 12, tzinfo=UTC)
    assert alert.details["published_on"] == "2023-06-12"
    assert alert.details["red_list_count"] == 5
    assert [e["firm"] for e in alert.details["red_list"]] == [
        "Lac Doré Herbal Imports",
        "CV Sungai Kapuas Botanika",
        "PT Hijau Daun Lestari",
        "Lembah Ketum Trading Sdn. Bhd.",
        "Cascade Ridge Herbals LLC",
    ]
    assert "previous_published_on" not in alert.details
    assert "kratom" in alert.matched_terms
    assert alert.source == SOURCE.key


def test_a_firm_the_page_dates_within_30_days_of_the_first_poll_is_announced_at_once() -> None:
    now = at("2023-06-20")
    drafts = drafts_of(poll({}, page("basic.html"), now), now)

    assert set(drafts) == {"54-15", f"added:{CASCADE}"}
    added = drafts[f"added:{CASCADE}"]
    assert added.published_at == datetime(2023, 6, 12, tzinfo=UTC)
    assert added.details["change"] == "added"
    assert len(drafts["54-15"].details["red_list"]) == 5


def test_the_baseline_is_judged_at_the_first_poll_so_a_later_derive_returns_the_same() -> None:
    first = at("2023-06-20")
    kept = poll({}, page("basic.html"), first)

    assert derive(kept, first) == derive(kept, first + timedelta(days=400))


def test_an_unchanged_poll_returns_the_same_drafts() -> None:
    store: dict[str, Kept] = {}
    once = derive(poll(store, page("basic.html"), at("2025-01-02")), at("2025-01-02"))
    twice = derive(poll(store, page("basic.html"), at("2025-01-03")), at("2025-01-03"))

    assert [d.facts() for d in twice] == [d.facts() for d in once]


def test_a_firm_added_later_gets_an_added_alert_dated_by_the_page() -> None:
    store: dict[str, Kept] = {}
    poll(store, page("basic.html"), at("2025-01-02"))
    drafts = drafts_of(poll(store, page("firm_added.html"), at("2025-01-15")), at("2025-01-15"))

    assert set(drafts) == {"54-15", f"added:{PELANGI}"}
    added = drafts[f"added:{PELANGI}"]
    assert added.title == (
        "Import Alert 54-15: CV Pelangi Serbuk Borneo (Indonesia) added to the red list"
    )
    assert added.published_at == datetime(2025, 1, 14, tzinfo=UTC)
    assert added.firms == ["CV Pelangi Serbuk Borneo"]
    assert added.products[0].name == "Kratom powder (red and green vein)"
    assert added.details == {
        "alert_number": "54-15",
        "change": "added",
        "firm": "CV Pelangi Serbuk Borneo",
        "country": "Indonesia",
        "address": "Jl. Sultan Syahrir No. 9, Sintang, Kalimantan Barat 78611",
        "products": "Kratom powder (red and green vein)",
        "date_added": "2025-01-14",
        "last_revised": None,
    }


def test_a_new_published_date_revises_the_alert_and_names_the_previous_one() -> None:
    store: dict[str, Kept] = {}
    first = drafts_of(poll(store, page("basic.html"), at("2025-01-02")), at("2025-01-02"))
    later = drafts_of(poll(store, page("firm_added.html"), at("2025-01-15")), at("2025-01-15"))

    alert = later["54-15"]
    assert alert.title == "Import Alert 54-15 (kratom) published January 14, 2025"
    assert alert.title != first["54-15"].title
    assert alert.details["published_on"] == "2025-01-14"
    assert alert.details["previous_published_on"] == "2023-06-12"
    assert alert.details["red_list_count"] == 6
    assert "Previous published date: June 12, 2023." in alert.summary


def test_a_removed_firm_gets_a_removed_alert_keyed_by_the_day_it_went() -> None:
    store: dict[str, Kept] = {}
    poll(store, page("basic.html"), at("2025-01-02"))
    poll(store, page("firm_added.html"), at("2025-01-15"))
    drafts = drafts_of(poll(store, page("firm_removed.html"), at("2025-03-04")), at("2025-03-04"))

    removed = drafts[f"removed:{KETUM}:2025-03-04"]
    assert removed.title == (
        "Import Alert 54-15: Lembah Ketum Trading Sdn. Bhd. (Malaysia) removed from the red list"
    )
    assert removed.details["change"] == "removed"
    assert removed.details["removed_on"] == "2025-03-04"
    assert removed.published_at == at("2025-03-04")
    assert f"added:{PELANGI}" in drafts  # earlier events are still derived, unchanged
    listed = [e["firm"] for e in drafts["54-15"].details["red_list"]]
    assert "Lembah Ketum Trading Sdn. Bhd." not in listed
    assert drafts["54-15"].details["red_list_count"] == 5


def test_re_polls_after_a_removal_return_identical_drafts() -> None:
    store: dict[str, Kept] = {}
    poll(store, page("basic.html"), at("2025-01-02"))
    poll(store, page("firm_added.html"), at("2025-01-15"))
    once = derive(poll(store, page("firm_removed.html"), at("2025-03-04")), at("2025-03-04"))
    again = derive(poll(store, page("firm_removed.html"), at("2025-03-05")), at("2025-03-05"))

    assert [(d.uid, d.facts()) for d in again] == [(d.uid, d.facts()) for d in once]


def test_a_revised_entry_revises_the_alerts_red_list_without_a_firm_alert() -> None:
    store: dict[str, Kept] = {}
    poll(store, page("basic.html"), at("2025-01-02"))
    before = drafts_of(poll(store, page("firm_added.html"), at("2025-01-15")), at("2025-01-15"))
    after = drafts_of(poll(store, page("entry_revised.html"), at("2025-02-11")), at("2025-02-11"))

    assert set(after) == set(before)
    cascade = next(e for e in after["54-15"].details["red_list"] if e["firm"].startswith("Cascade"))
    assert cascade["last_revised"] == "2025-02-10"


def test_naive_timestamps_as_sqlite_returns_them_are_read_as_utc() -> None:
    store: dict[str, Kept] = {}
    kept = poll(store, page("basic.html"), datetime(2025, 1, 2, 9))
    kept = poll(store, page("firm_removed.html"), datetime(2025, 3, 4, 9))

    drafts = drafts_of(kept, datetime(2025, 3, 4, 9))

    assert drafts[f"removed:{KETUM}:2025-03-04"].published_at == at("2025-03-04")
    assert drafts[f"added:{PELANGI}"].published_at == datetime(2025, 1, 14, tzinfo=UTC)


def test_every_draft_stays_an_import_alert_after_classify() -> None:
    store: dict[str, Kept] = {}
    drafts: list[AlertDraft] = []
    for name, day in (
        ("basic.html", "2023-06-20"),
        ("firm_added.html", "2025-01-15"),
        ("entry_revised.html", "2025-02-11"),
        ("firm_removed.html", "2025-03-04"),
        ("hostile.html", "2025-04-01"),
    ):
        drafts += derive(poll(store, page(name), at(day)), at(day))

    assert len({d.uid for d in drafts}) >= 6
    for draft in drafts:
        decided = classify(draft)
        assert decided.kind == "import_alert", draft.title
        assert decided.severity == "moderate", draft.title
        assert draft.matched_terms, draft.title


# ---------------------------------------------------------------------- timeline replay


@pytest.mark.parametrize("clock", ["replayed dates", "polled today"])
def test_the_timeline_pages_give_every_expected_event(clock: str) -> None:
    expected = json.loads((TIMELINE / "expected.json").read_text())
    days = sorted(path.stem for path in TIMELINE.glob("*.html"))
    assert days == ["2014-02-28", "2021-04-08", "2024-11-26"]
    store: dict[str, Kept] = {}
    found: dict[str, AlertDraft] = {}
    for step, day in enumerate(days):
        when = at(day) if clock == "replayed dates" else at("2026-01-05") + timedelta(days=step)
        for draft in derive(poll(store, (TIMELINE / f"{day}.html").read_bytes(), when), when):
            found[draft.uid] = classify(draft)
        for event in (e for e in expected if e["date"] == day):
            hits = [d for uid, d in found.items() if event["uid_contains"] in uid]
            assert hits, event["event"]
            assert {d.kind for d in hits} == {event["kind"]}, event["event"]
    assert found["54-15"].details["red_list_count"] == 29
    assert found["54-15"].details["previous_published_on"] == "2021-04-08"
