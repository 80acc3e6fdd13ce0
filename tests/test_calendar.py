"""The iCalendar feed of regulatory dates: parsed back by ``icalendar``, served over HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from alerts import calendar, store
from alerts.draft import AlertDraft
from alerts.filters import AlertFilter, from_params
from monitor.settings import Settings
from monitor.web.app import WebContext, create_app
from tests.factories import draft
from tests.webserver import serve

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
BASE = "https://alerts.example.org"
PLACEMENT = "Schedules of Controlled Substances: Placement of 7-Hydroxymitragynine in Schedule I"


def rule(**overrides: Any) -> AlertDraft:
    """A DEA rule with an effective date and a hearing."""
    values: dict[str, Any] = {
        "source": "federal_register",
        "uid": "2027-90001@2027-01-05",
        "agency": "DEA",
        "kind": "scheduling",
        "title": PLACEMENT,
        "url": "https://www.federalregister.gov/d/2027-90001",
        "summary": "Rule. DEA places 7-hydroxymitragynine in schedule I.",
        "firms": [],
        "hazards": [],
        "severity": "moderate",
        "events": [
            {"on": "2027-03-01", "what": "effective"},
            {"on": "2027-02-08", "what": "hearing"},
        ],
    }
    values.update(overrides)
    return draft(**values)


def save(engine: Engine, *drafts: AlertDraft, now: datetime = NOW) -> list[int]:
    """Store drafts as the poller does (upsert, then move the feed version); their ids."""
    with Session(engine) as session:
        result = store.upsert(session, drafts, now=now)
        store.mark_changed(session, now=now)
        session.commit()
        return [int(a.id or 0) for a in [*result.new, *result.revised]]


def ics(engine: Engine, flt: AlertFilter | None = None) -> str:
    with Session(engine) as session:
        found = calendar.alerts_with_events(session, flt or AlertFilter())
        return calendar.render(found, alert_base=f"{BASE}/alerts", domain="alerts.example.org")


def events_of(text: str) -> list[icalendar.cal.Component]:
    return list(icalendar.Calendar.from_ical(text).walk("VEVENT"))


def by_summary(text: str) -> dict[str, icalendar.cal.Component]:
    return {str(event["SUMMARY"]): event for event in events_of(text)}


def assert_well_formed(text: str) -> None:
    """CRLF line ends only, every physical line at most 75 octets and whole UTF-8."""
    raw = text.encode()
    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines), max(len(line) for line in lines)
    assert b"\r" not in b"".join(lines) and b"\n" not in b"".join(lines)
    for line in lines:
        line.decode("utf-8")  # a folded line never ends inside a character


# ------------------------------------------------------------------------ rendering


def test_each_alert_event_becomes_an_all_day_event_that_icalendar_reads_back(
    engine: Engine,
) -> None:
    rule_id, notice_id, _recall = save(
        engine,
        rule(),
        rule(
            source="federal_register", uid="2027-90003@2027-01-19", agency="FDA", kind="notice",
            title="Labeling of Kratom Extract Products; Request for Information",
            url="https://www.federalregister.gov/d/2027-90003",
            events=[{"on": "2027-04-05", "what": "comments_close"}],
        ),
        draft(),  # a recall: no dates, so not in the calendar
    )  # fmt: skip

    text = ics(engine)
    cal = icalendar.Calendar.from_ical(text)
    events = by_summary(text)

    assert_well_formed(text)
    assert (str(cal["VERSION"]), str(cal["X-WR-CALNAME"])) == ("2.0", "Kratom regulatory dates")
    assert "kratom-monitor" in str(cal["PRODID"])
    assert cal["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    assert str(cal["X-PUBLISHED-TTL"]) == "PT3600S"
    assert list(events) == [  # by date
        f"Hearing: {PLACEMENT}",
        f"Effective: {PLACEMENT}",
        "Comments close: Labeling of Kratom Extract Products; Request for Information",
    ]
    effective = events[f"Effective: {PLACEMENT}"]
    assert effective["DTSTART"].dt == date(2027, 3, 1)
    assert not isinstance(effective["DTSTART"].dt, datetime)  # all day
    assert effective["DTEND"].dt == date(2027, 3, 2)
    assert events[f"Hearing: {PLACEMENT}"]["DTSTART"].dt == date(2027, 2, 8)
    assert str(effective["URL"]) == f"{BASE}/alerts/{rule_id}"
    assert effective["SEQUENCE"] == 1
    assert effective["DTSTAMP"].dt == NOW
    assert effective["LAST-MODIFIED"].dt == NOW
    assert [str(c) for c in effective["CATEGORIES"].cats] == ["Effective", "Scheduling", "DEA"]
    description = str(effective["DESCRIPTION"])
    assert "DEA places 7-hydroxymitragynine in schedule I." in description
    assert "DEA: https://www.federalregister.gov/d/2027-90001" in description
    comments = events[
        "Comments close: Labeling of Kratom Extract Products; Request for Information"
    ]
    assert str(comments["URL"]) == f"{BASE}/alerts/{notice_id}"
    uids = [str(e["UID"]) for e in events.values()]
    assert len(set(uids)) == 3 and all(u.endswith("@alerts.example.org") for u in uids)


def test_the_feed_filters_select_among_alerts_with_events(engine: Engine) -> None:
    save(
        engine,
        rule(),
        rule(
            uid="2027-90003@2027-01-19", agency="FDA", kind="notice", title="FDA kratom notice",
            events=[{"on": "2027-04-05", "what": "comments_close"}],
        ),
    )  # fmt: skip

    scheduling = by_summary(ics(engine, from_params([("kind", "scheduling")])))
    fda = by_summary(ics(engine, from_params([("agency", "FDA")])))

    assert sorted(scheduling) == [f"Effective: {PLACEMENT}", f"Hearing: {PLACEMENT}"]
    assert list(fda) == ["Comments close: FDA kratom notice"]


def test_a_revision_bumps_sequence_and_moves_the_date_but_keeps_the_uid(engine: Engine) -> None:
    save(engine, rule())
    before = by_summary(ics(engine))[f"Effective: {PLACEMENT}"]

    later = NOW + timedelta(days=2)
    save(
        engine,
        rule(
            summary="Rule; correction. The effective date moves to March 15, 2027.",
            events=[
                {"on": "2027-03-15", "what": "effective"},
                {"on": "2027-02-08", "what": "hearing"},
            ],
        ),
        now=later,
    )
    after = by_summary(ics(engine))[f"Effective: {PLACEMENT}"]

    assert str(after["UID"]) == str(before["UID"])
    assert (before["SEQUENCE"], after["SEQUENCE"]) == (1, 2)
    assert (before["DTSTART"].dt, after["DTSTART"].dt) == (date(2027, 3, 1), date(2027, 3, 15))
    assert after["LAST-MODIFIED"].dt == later and after["DTSTAMP"].dt == later


def test_uids_differ_by_event_kind_and_by_alert_only() -> None:
    from alerts.models import Alert

    one = Alert(source="federal_register", uid="2027-90001@2027-01-05", title="a", id=1)
    renumbered = Alert(source="federal_register", uid="2027-90001@2027-01-05", title="b", id=99)
    other = Alert(source="federal_register", uid="2027-90002@2027-01-12", title="a", id=1)

    uid = calendar.event_uid(one, "effective", "example.org")
    assert calendar.event_uid(renumbered, "effective", "example.org") == uid
    assert calendar.event_uid(one, "hearing", "example.org") != uid
    assert calendar.event_uid(other, "effective", "example.org") != uid
    assert calendar.event_uid(one, "effective", "bad host\r\nX:1").endswith("@kratom-monitor")


def test_malformed_stored_events_are_left_out(sqlite_engine: Engine) -> None:
    save(
        sqlite_engine,
        rule(
            events=[
                {"on": "2027-02-30", "what": "effective"},
                {"on": "2027-03-01", "what": "party"},
                {"on": "soon", "what": "hearing"},
                {"on": "2027-04-05", "what": "comments_close"},
            ]
        ),
    )

    assert list(by_summary(ics(sqlite_engine))) == [f"Comments close: {PLACEMENT}"]


SCRIPT = "<script>alert('kratom')</script> & <b>7-OH</b>"
INJECTED = "Kratom rule\r\nDTSTART;VALUE=DATE:19990101\rEND:VEVENT"
HOSTILE = [
    (SCRIPT, SCRIPT),  # calendar text is not HTML: shown as written, never interpreted
    ("Kratom; ban, in force \\ now", "Kratom; ban, in force \\ now"),
    ("Kratom\x00 ban\x07\x1b[1m\x7f\x85 bold", "Kratom ban[1m bold"),
    (INJECTED, INJECTED.replace("\r\n", "\n").replace("\r", "\n")),
    ("\u202eKratom moc.elpmaxe\u202c and \u2066isolate\u2069", "Kratom moc.elpmaxe and isolate"),
]


@pytest.mark.parametrize(("title", "shown"), HOSTILE, ids=[str(i) for i in range(len(HOSTILE))])
def test_hostile_titles_come_out_escaped_and_parse(
    sqlite_engine: Engine, title: str, shown: str
) -> None:
    alert = rule(title=title, events=[{"on": "2027-03-01", "what": "effective"}])
    save(sqlite_engine, alert)

    text = ics(sqlite_engine)
    events = events_of(text)

    assert_well_formed(text)
    assert len(events) == 1
    assert str(events[0]["SUMMARY"]) == f"Effective: {shown}"
    unfolded = text.replace("\r\n ", "")
    assert f"\r\nSUMMARY:{calendar.escape(f'Effective: {shown}')}\r\n" in unfolded
    assert events[0]["DTSTART"].dt == date(2027, 3, 1)  # nothing injected a second start
    assert "\u202e" not in text and "\x00" not in text and "\x1b" not in text
    assert not [line for line in text.split("\r\n") if line.startswith("DTSTART;VALUE=DATE:1")]


def test_text_values_escape_backslash_semicolon_comma_and_newlines() -> None:
    assert calendar.escape("a\\b;c,d\ne\r\nf\rg") == "a\\\\b\\;c\\,d\\ne\\nf\\ng"
    assert calendar.escape("tab\there\x00\u202e, lone \ud800") == "tab here\\, lone "


def test_a_ten_thousand_character_title_is_shortened_in_the_summary_and_folded(
    sqlite_engine: Engine,
) -> None:
    title = ("Kratom, mitragynine; 7-OH é 🌿 " * 400)[:10_000]
    save(sqlite_engine, rule(title=title, events=[{"on": "2027-03-01", "what": "effective"}]))

    text = ics(sqlite_engine)
    event = events_of(text)[0]

    assert_well_formed(text)
    summary = str(event["SUMMARY"])
    assert len(summary) <= 250 and summary.endswith("…")
    assert summary.startswith("Effective: Kratom, mitragynine; 7-OH é 🌿 Kratom")
    assert str(event["DESCRIPTION"]).startswith(title[:2000])
    assert len(text.encode()) < 20_000


@pytest.mark.parametrize("offset", range(0, 80, 3))
def test_folding_keeps_lines_within_75_octets_without_splitting_a_character(offset: int) -> None:
    line = "SUMMARY:" + "x" * offset + "é🌿中a" * 60

    folded = calendar.fold(line)

    physical = folded.encode().split(b"\r\n")
    assert all(len(p) <= 75 for p in physical)
    assert all(p.startswith(b" ") for p in physical[1:])
    assert [p.decode() for p in physical]  # each piece is whole UTF-8
    assert folded.replace("\r\n ", "") == line


def test_a_calendar_without_events_is_still_a_valid_calendar(engine: Engine) -> None:
    save(engine, draft())

    text = ics(engine)

    assert_well_formed(text)
    assert events_of(text) == []
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")


# ---------------------------------------------------------------------------- HTTP


def web(engine: Engine, tmp_path: Path) -> Any:
    settings = Settings(data_dir=tmp_path, database_url="", public_url=BASE, feed_check_seconds=0)
    return serve(create_app(WebContext(engine=engine, sources=[], settings=settings)))


def test_calendar_feed_is_served_with_validators_and_answers_304(
    engine: Engine, tmp_path: Path
) -> None:
    (rule_id,) = save(engine, rule())
    with web(engine, tmp_path) as site:
        first = site.get("/feeds/calendar.ics")
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        by_etag = site.get("/feeds/calendar.ics", headers={"If-None-Match": etag})
        by_date = site.get("/feeds/calendar.ics", headers={"If-Modified-Since": modified})
        filtered = site.get("/feeds/calendar.ics?kind=scheduling")
        other = site.get("/feeds/calendar.ics", headers={"If-None-Match": '"v0-0"'})

    assert first.status_code == 200
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    assert first.headers["cache-control"] == "public, max-age=300"
    assert modified == "Mon, 02 Mar 2026 15:00:00 GMT"
    assert_well_formed(first.text)
    events = by_summary(first.text)
    assert str(events[f"Effective: {PLACEMENT}"]["URL"]) == f"{BASE}/alerts/{rule_id}"
    assert (by_etag.status_code, by_etag.content) == (304, b"")
    assert by_etag.headers["etag"] == etag
    assert by_etag.headers["cache-control"] == "public, max-age=300"
    assert by_date.status_code == 304
    assert filtered.status_code == 200 and filtered.headers["etag"] != etag
    assert other.status_code == 200


def test_a_new_alert_changes_the_etag_so_the_old_copy_is_refetched(
    engine: Engine, tmp_path: Path
) -> None:
    save(engine, rule())
    with web(engine, tmp_path) as site:
        first = site.get("/feeds/calendar.ics")
        save(
            engine,
            rule(uid="2027-90009@2027-02-01", title="Kratom hearing notice",
                 events=[{"on": "2027-05-05", "what": "hearing"}]),
            now=NOW + timedelta(hours=1),
        )  # fmt: skip
        second = site.get("/feeds/calendar.ics", headers={"If-None-Match": first.headers["etag"]})
        since = site.get(
            "/feeds/calendar.ics", headers={"If-Modified-Since": first.headers["last-modified"]}
        )

    assert second.status_code == 200 and second.headers["etag"] != first.headers["etag"]
    assert "Hearing: Kratom hearing notice" in by_summary(second.text)
    assert since.status_code == 200


@pytest.mark.parametrize("query", ["kind=party", "colour=red", "jurisdiction=%3Cscript%3E"])
def test_bad_filters_get_a_plain_400(engine: Engine, tmp_path: Path, query: str) -> None:
    with web(engine, tmp_path) as site:
        response = site.get(f"/feeds/calendar.ics?{query}")

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert query.partition("=")[0] in response.text
