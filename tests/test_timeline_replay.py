"""The timeline replay: dated agency snapshots played through the real server and poller."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from alerts.draft import AlertDraft
from alerts.models import Alert
from alerts.text import plain_text
from monitor import timeline_report
from monitor.cli import main
from monitor.demo.server import SNAPSHOTS, DemoServer
from monitor.timeline import TimelineError, replay, replay_engine
from sources import registry
from sources._json import expect_list, expect_object, load_json
from sources.base import Detail, Source

# ------------------------------------------------------------------------- the small timeline

FEED = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0" xml:base="http://www.fda.gov/">'
    "<channel><title>FDA Recalls</title><link>http://www.fda.gov/</link><description/>"
    "{items}</channel></rss>\n"
)
PDX = (
    "Mon, 14 Mar 2018 16:30:00 EDT",
    "pdx-aromatics-recalls-kratom-capsules",
    "PDX Aromatics dba Kraken Kratom Recalls Kratom Capsules Because of Possible Salmonella",
    "Portland firm recalls kratom capsules that may carry Salmonella.",
)
NGB = (
    "Tue, 24 Apr 2018 10:00:00 EDT",
    "ngb-corp-recalls-maeng-da-kratom",
    "NGB Corp Recalls Maeng Da Kratom Because of Possible Salmonella",
    "One lot of kratom powder may carry Salmonella.",
)
DECOY = (
    "Fri, 09 Mar 2018 13:00:00 EST",
    "vita-plus-recalls-gummies",
    "Vita Plus Recalls Gummies Because of Excess Vitamin D",
    "One lot holds far more vitamin D than labeled.",
)


def _feed(*items: tuple[str, str, str, str]) -> str:
    body = "".join(
        f"<item><title>{title}</title>"
        f"<link>http://www.fda.gov/safety/recalls/{slug}</link>"
        f"<description>{text}</description><pubDate>{stamp}</pubDate>"
        f'<dc:creator>FDA</dc:creator><guid isPermaLink="true">'
        f"http://www.fda.gov/safety/recalls/{slug}</guid></item>"
        for stamp, slug, title, text in items
    )
    return FEED.format(items=body)


def _enforcement(number: str) -> dict[str, Any]:
    return {
        "recall_number": number, "event_id": "79480", "recalling_firm": "Pdx Aromatics, Llc",
        "classification": "Class I", "status": "Ongoing", "product_type": "Food",
        "report_date": "20180328", "recall_initiation_date": "20180309",
        "center_classification_date": "20180604", "termination_date": "",
        "product_description": "Kraken Kratom\tWhite Vein kratom capsules",
        "reason_for_recall": "Kratom capsules may carry Salmonella.", "code_info": "All lots",
        "more_code_info": "", "distribution_pattern": "Sold online nationwide.",
        "product_quantity": "", "voluntary_mandated": "Voluntary: Firm initiated",
        "initial_firm_notification": "E-Mail", "city": "Portland", "state": "OR",
        "country": "United States", "address_1": "1 Main St", "address_2": "",
        "postal_code": "97217", "openfda": {},
    }  # fmt: skip


def _letters_parse(content: bytes) -> list[AlertDraft]:
    """The test's letter listing: [{"uid", "title", "page"}]; the page completes the draft."""
    drafts = []
    for row in expect_list(load_json(content), "letters"):
        item = expect_object(row, "a letter row")
        draft = AlertDraft(
            source="letters", uid=str(item["uid"]), agency="FDA", kind="warning_letter",
            title=str(item["title"]), url="https://www.fda.gov/letters/" + str(item["uid"]),
            matched_terms=["kratom"], raw={"page": item["page"]},
        )  # fmt: skip
        drafts.append(draft)
    return drafts


def _letters_page(draft: AlertDraft, body: bytes) -> AlertDraft | None:
    text = plain_text(body.decode("utf-8"))
    return replace(draft, summary=text) if "kratom" in text.lower() else None


LETTERS = Source(
    key="letters", title="Test letters", agency="FDA", kind_hint="warning_letter",
    url="https://www.fda.gov/letters.json?search=kratom", every=timedelta(days=1),
    parse=_letters_parse, format="json",
    detail=Detail(url=lambda d: str(d.raw["page"]), parse=_letters_page),
)  # fmt: skip
SOURCES = (registry.get("fda_recalls"), registry.get("openfda_food_enforcement"), LETTERS)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _expect(root: Path, key: str, rows: list[tuple[str, str, str]]) -> None:
    items = [
        {"date": day, "agency": "FDA", "event": f"{key} {needle}", "uid_contains": needle,
         "kind": kind}
        for day, needle, kind in rows
    ]  # fmt: skip
    _write(root / key / "expected.json", json.dumps(items))


def small_timeline(root: Path) -> None:
    """Three sources over five days, one detail page, one uncovered event."""
    _write(root / "fda_recalls" / "2018-03-14.xml", _feed(PDX, DECOY))
    _write(root / "fda_recalls" / "2018-04-24.xml", _feed(NGB, PDX, DECOY))
    meta = {"last_updated": "2018-06-04", "results": {"skip": 0, "limit": 100, "total": 1}}
    payload = {"meta": meta, "results": [_enforcement("F-1525-2018")]}
    _write(root / "openfda_food_enforcement" / "2018-06-04.json", json.dumps(payload))
    ended = {**_enforcement("F-1525-2018"), "status": "Terminated", "termination_date": "20180913"}
    payload = {"meta": meta, "results": [ended]}
    _write(root / "openfda_food_enforcement" / "2018-09-13.json", json.dumps(payload))
    listing = [{"uid": "kratomnc-576964", "title": "Warning letter to KratomNC",
                "page": "{base}/letters/pages/kratomnc-576964.html"}]  # fmt: skip
    _write(root / "letters" / "2019-06-25.json", json.dumps(listing))
    _write(
        root / "letters" / "pages" / "kratomnc-576964.html",
        "<html><body><h1>WARNING LETTER</h1><p>Your kratom products are unapproved new "
        "drugs marketed to ease opioid withdrawal.</p></body></html>",
    )
    _expect(root, "fda_recalls", [
        ("2018-03-14", "pdx-aromatics", "recall"), ("2018-04-24", "ngb-corp", "recall"),
        ("2018-02-21", "divinity-products", "recall"), ("2019-06-25", "aromatics", "recall"),
    ])  # fmt: skip
    _expect(root, "openfda_food_enforcement", [
        ("2018-03-28", "F-1525-2018", "recall"), ("2018-03-28", "f-1525", "advisory"),
        ("2018-09-13", "1525-2018", "recall"),
    ])  # fmt: skip
    _expect(root, "letters", [("2019-06-25", "kratomnc-576964", "warning_letter")])
    uncovered = [{"date": "2015-08-03", "agency": "CBP", "event": "Cincinnati seizure",
                  "reason": "CBP newsroom is not a source here"}]  # fmt: skip
    _write(root / "uncovered.json", json.dumps(uncovered))


def _rows(root: Path, database_url: str) -> tuple[list[timeline_report.Row], Any, list[Any]]:
    with replay_engine(database_url) as engine:
        notes = replay(root, engine, sources=SOURCES)
        with Session(engine) as session:
            rows = timeline_report.match(
                session, timeline_report.load_expected(root),
                timeline_report.load_uncovered(root), notes, root=root,
                registered={s.key for s in SOURCES},
            )  # fmt: skip
            alerts = {a.uid: a.summary for a in session.exec(select(Alert))}
    return rows, alerts, notes


@pytest.fixture
def small(tmp_path: Path) -> tuple[list[timeline_report.Row], Any, list[Any]]:
    root = tmp_path / "timeline"
    small_timeline(root)
    return _rows(root, f"sqlite:///{tmp_path / 'replay.db'}")


def _row(rows: list[timeline_report.Row], source: str, needle: str) -> timeline_report.Row:
    return next(r for r in rows if r.source == source and r.event.endswith(f" {needle}"))


def test_each_source_is_polled_from_its_first_snapshot_day_without_errors(small: Any) -> None:
    _, _, notes = small
    polled = {(n.day.isoformat(), n.source) for n in notes}

    assert ("2018-04-24", "openfda_food_enforcement") not in polled
    assert ("2018-06-04", "openfda_food_enforcement") in polled
    assert ("2019-06-25", "fda_recalls") in polled
    assert {n.source for n in notes if n.day < date(2019, 6, 25)} == {
        "fda_recalls",
        "openfda_food_enforcement",
    }
    assert [n for n in notes if n.outcome == "error"] == []


def test_a_recall_seen_in_rss_and_in_openfda_is_caught_in_both_and_linked(small: Any) -> None:
    rows, _, _ = small
    rss = _row(rows, "fda_recalls", "pdx-aromatics")
    record = _row(rows, "openfda_food_enforcement", "F-1525-2018")

    assert (rss.status, rss.kind, rss.seen_on) == ("caught", "recall", "2018-03-14")
    assert (record.status, record.seen_on, record.days_late) == ("caught", "2018-06-04", 68)
    assert rss.incident_id is not None and rss.incident_id == record.incident_id
    assert rss.incident_with == [f"openfda_food_enforcement #{record.alert_id}"]
    assert record.incident_with == [f"fda_recalls #{rss.alert_id}"]


def test_a_change_to_a_known_item_is_caught_by_the_revision_recorded_for_it(small: Any) -> None:
    rows, _, _ = small
    ended = _row(rows, "openfda_food_enforcement", "1525-2018")
    first = _row(rows, "openfda_food_enforcement", "F-1525-2018")

    assert (ended.status, ended.revision, ended.seen_on) == ("caught", 2, "2018-09-13")
    assert ended.alert_id == first.alert_id and first.revision == 1
    assert "rev 2, seen 2018-09-13" in timeline_report.to_markdown([ended])


def test_an_alert_that_last_changed_long_before_the_event_does_not_catch_it(small: Any) -> None:
    rows, _, _ = small
    pdx = _row(rows, "fda_recalls", "pdx-aromatics")
    later = _row(rows, "fda_recalls", "aromatics")

    assert later.status == "missed"
    assert later.why == (
        f"alert #{pdx.alert_id} matches, but nothing was recorded for it near 2019-06-25 "
        "(its last change: revision 1 on 2018-03-14)"
    )


def test_an_item_that_joins_a_later_snapshot_is_caught_on_that_day(small: Any) -> None:
    rows, _, _ = small
    ngb = _row(rows, "fda_recalls", "ngb-corp")

    assert (ngb.status, ngb.seen_on, ngb.incident_id) == ("caught", "2018-04-24", None)


def test_a_letter_is_completed_from_its_detail_page_on_the_loopback_server(small: Any) -> None:
    rows, alerts, _ = small
    letter = _row(rows, "letters", "kratomnc-576964")

    assert (letter.status, letter.kind) == ("caught", "warning_letter")
    assert "unapproved new drugs" in alerts["kratomnc-576964"]


def test_a_missed_event_says_whether_the_data_or_the_kind_was_wrong(small: Any) -> None:
    rows, _, _ = small
    absent = _row(rows, "fda_recalls", "divinity-products")
    wrong = _row(rows, "openfda_food_enforcement", "f-1525")

    assert absent.status == "missed"
    assert absent.why == "no snapshot or page of fda_recalls contains 'divinity-products'"
    assert wrong.status == "missed"
    assert wrong.why == f"alert #{wrong.alert_id} came out as recall, expected advisory"


def test_uncovered_events_are_listed_with_their_reason_and_never_count_as_missed(
    small: Any,
) -> None:
    rows, _, _ = small
    cbp = _row(rows, "-", "seizure")

    assert (cbp.status, cbp.why) == ("uncovered", "CBP newsroom is not a source here")
    assert timeline_report.summary(rows) == {"caught": 5, "missed": 3, "uncovered": 1}
    assert [r.date for r in rows] == sorted(r.date for r in rows)


def test_the_markdown_report_has_one_line_per_event_and_a_summary(small: Any) -> None:
    rows, _, _ = small
    text = timeline_report.to_markdown(rows)
    lines = text.splitlines()

    assert lines[0].startswith("| date | agency | event | source | caught?")
    assert len([line for line in lines if line.startswith("| 20")]) == len(rows)
    assert "**NO**" in text and "not covered" in text
    assert lines[-1] == "8 covered events: 5 caught, 3 missed; 1 events have no source here."


def test_a_snapshot_linking_a_real_agency_page_fails_its_poll_instead_of_going_online(
    tmp_path: Path,
) -> None:
    root = tmp_path / "timeline"
    listing = [{"uid": "kratomnc-576964", "title": "Warning letter to KratomNC",
                "page": "https://www.fda.gov/letters/kratomnc-576964"}]  # fmt: skip
    _write(root / "letters" / "2019-06-25.json", json.dumps(listing))
    with replay_engine(f"sqlite:///{tmp_path / 'r.db'}") as engine:
        notes = replay(root, engine, sources=[LETTERS])

    assert [n.outcome for n in notes] == ["error"]
    assert "offline; refused https://www.fda.gov/letters/kratomnc-576964" in str(notes[0].error)


def test_an_event_of_an_unregistered_source_is_missed_with_that_reason(tmp_path: Path) -> None:
    root = tmp_path / "timeline"
    _expect(root, "cdc_somewhere", [("2018-02-20", "kratom-02-18", "outbreak")])
    expected = timeline_report.load_expected(root)
    with replay_engine(f"sqlite:///{tmp_path / 'r.db'}") as engine, Session(engine) as session:
        row = timeline_report.match_one(
            session, expected[0], [], root=root, registered={"fda_recalls"}
        )

    assert (row.status, row.why) == (
        "missed",
        "no registered source cdc_somewhere (not in sources/registry.py)",
    )


def test_the_replay_refuses_a_database_that_already_holds_alerts(tmp_path: Path) -> None:
    root = tmp_path / "timeline"
    small_timeline(root)
    url = f"sqlite:///{tmp_path / 'replay.db'}"
    _rows(root, url)

    with pytest.raises(TimelineError, match="already holds 4 alerts"), replay_engine(url):
        pass


def test_a_malformed_expected_file_names_the_file_and_the_item(tmp_path: Path) -> None:
    _write(tmp_path / "fda_recalls" / "expected.json", json.dumps([{"date": "2018-01-01"}]))

    with pytest.raises(timeline_report.ExpectationError, match=r"expected.json item 0: 'agency'"):
        timeline_report.load_expected(tmp_path)


# ----------------------------------------------------------------------- the server's routing


@pytest.fixture
def served(tmp_path: Path) -> Path:
    root = tmp_path / "timeline"
    _write(root / "feed" / "2018-01-01.xml", "<rss><channel>{base}/one</channel></rss>")
    _write(root / "feed" / "2018-03-01.xml", "<rss><channel>two</channel></rss>")
    _write(root / "feed" / "pages" / "letter-1.html", "<html><body>letter</body></html>")
    _write(root / "bills" / "2019-01-01.json", '{"searchresult": {}}')
    _write(root / "bills" / "pages" / "42.json", '{"bill": {"bill_id": 42}}')
    _write(root / "api" / "2019-01-01.404.json", '{"error": {"code": "NOT_FOUND"}}')
    _write(root / "api" / "2020-01-01.json", '{"results": [1]}')
    _write(root / "api" / "2020-01-01.p2.json", '{"results": [2]}')
    _write(root / "expected.json", "[]")
    return root


def _get(server: DemoServer, path: str) -> httpx.Response:
    return httpx.get(server.base_url + path, timeout=10)


def test_the_timeline_server_plays_the_newest_snapshot_on_or_before_its_date(
    served: Path,
) -> None:
    with DemoServer(timeline=served) as server:
        server.date = date(2017, 12, 31)
        before = _get(server, "/feed")
        server.date = date(2018, 2, 28)
        first = _get(server, "/feed?anything=1")
        server.date = date(2018, 3, 1)
        second = _get(server, "/feed")

    assert before.status_code == 404
    assert first.text == f"<rss><channel>{server.base_url}/one</channel></rss>"
    assert first.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert second.text == "<rss><channel>two</channel></rss>"


def test_the_timeline_server_serves_detail_pages_and_bills_by_id(served: Path) -> None:
    with DemoServer(timeline=served) as server:
        server.date = date(2019, 6, 1)
        page = _get(server, "/feed/pages/letter-1.html")
        bill = _get(server, "/bills?key=x&op=getBill&id=42")
        search = _get(server, "/bills?key=x&op=getSearch&query=kratom")
        unknown_bill = _get(server, "/bills?op=getBill&id=7")

    assert (page.status_code, page.headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert bill.json() == {"bill": {"bill_id": 42}}
    assert bill.headers["content-type"] == "application/json"
    assert search.json() == {"searchresult": {}}
    assert unknown_bill.json() == {"searchresult": {}}


def test_the_timeline_server_answers_404_json_and_later_pages(served: Path) -> None:
    with DemoServer(timeline=served) as server:
        server.date = date(2019, 6, 1)
        empty = _get(server, "/api?search=kratom")
        server.date = date(2020, 6, 1)
        page_two = _get(server, "/api?search=kratom&page=2")
        page_three = _get(server, "/api?page=3")

    assert (empty.status_code, empty.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert page_two.json() == {"results": [2]}
    assert page_three.status_code == 404


def test_the_timeline_server_refuses_paths_that_leave_a_source_folder(served: Path) -> None:
    with DemoServer(timeline=served) as server:
        server.date = date(2020, 6, 1)
        answers = [
            _get(server, path).status_code
            for path in ("/feed/pages/..%2F2018-01-01.xml", "/feed/pages/.hidden",
                         "/expected.json", "/feed/2018-01-01.xml", "/Feed")
        ]  # fmt: skip

    assert answers == [404, 404, 404, 404, 404]


def test_the_step_mode_of_the_demo_server_is_unchanged() -> None:
    with DemoServer() as server:
        server.step = 2
        feed = _get(server, "/fda_recalls")

    assert feed.status_code == 200
    assert feed.content == (SNAPSHOTS / "step2" / "fda_recalls.xml").read_bytes()


# ------------------------------------------------------------------- the bundled full replay


def test_full_timeline_replay_catches_every_event_whose_agency_has_a_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bundled timeline through `kratom-monitor demo --timeline --json`.

    Fails, listing each event and why, while a source named in an expected.json is not
    registered yet or misses its events.
    """
    monkeypatch.setenv("KM_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("KM_DATABASE_URL", raising=False)
    status = main(["demo", "--timeline", "--json"])
    report = json.loads(capsys.readouterr().out)
    missed = [
        f"{r['date']} {r['source']}: {r['event']} -- {r['why']}"
        for r in report["events"]
        if r["status"] == "missed"
    ]

    assert report["summary"]["caught"] > 0
    assert missed == [], "covered timeline events the replay missed:\n" + "\n".join(missed)
    assert status == 0
