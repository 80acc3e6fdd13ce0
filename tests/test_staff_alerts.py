"""The staff alert inbox, exports, alert page, triage and corrections: real uvicorn, real
databases, people signed in with their own cookie jars."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from alerts import incidents, staff_accounts, store
from alerts.draft import AlertDraft
from alerts.models import (
    Alert,
    AlertTriage,
    AuditEntry,
    Delivery,
    Evidence,
    StaffUser,
    Subscriber,
    TriageNote,
)
from monitor.settings import Settings
from monitor.web.app import WebContext, create_app
from tests.factories import draft
from tests.test_staff_web import PASSWORD, SECRET, Clock, Person
from tests.webserver import Served, serve

BASE = "http://alerts.example.test"
ROW = re.compile(
    r'<th scope="row">(?:<strong class="tag new">New</strong> )?<a href="/staff/alerts/(\d+)">'
)
UNREAD = re.compile(r'<strong class="tag new">New</strong> <a href="/staff/alerts/(\d+)">')


@dataclass
class Desk:
    """The web app, its clock and database, and the people using it."""

    web: Served
    clock: Clock
    engine: Engine
    people: list[Person] = field(default_factory=list)

    def person(self, email: str, role: str) -> Person:
        with Session(self.engine) as session:
            staff_accounts.add_user(
                session, email=email, role=role, password=PASSWORD, by=None, now=self.clock()
            )
            session.commit()
        assert self.web.client is not None
        someone = Person(httpx.Client(base_url=self.web.client.base_url, timeout=10))
        self.people.append(someone)
        assert someone.sign_in(email).status_code == 303
        return someone

    def store(self, *drafts: AlertDraft, evidence: int | None = None) -> list[int]:
        """Store drafts as a poll would; the ids of the new and revised alerts."""
        self.clock.advance(minutes=1)
        now = self.clock()
        with Session(self.engine) as session:
            result = store.upsert(session, list(drafts), now=now, evidence_id=lambda: evidence)
            incidents.link(session, result.new + result.revised, now=now)
            store.mark_changed(session, now=now)
            session.commit()
            return [int(a.id or 0) for a in result.new + result.revised]

    def evidence(self, body: bytes, *, keep: bool = True, **values: Any) -> int:
        with Session(self.engine) as session:
            row = Evidence(
                sha256=hashlib.sha256(body).hexdigest(), size=len(body),
                retrieved_at=self.clock(), status_code=200,
                body=zlib.compress(body) if keep else None, **values,
            )  # fmt: skip
            session.add(row)
            session.commit()
            return int(row.id or 0)

    def user_id(self, email: str) -> int:
        with Session(self.engine) as session:
            found = staff_accounts.find(session, email)
            assert found is not None and found.id is not None
            return found.id

    def alert(self, alert_id: int) -> Alert:
        with Session(self.engine) as session:
            return session.get_one(Alert, alert_id)

    def actions(self, prefix: str = "") -> list[tuple[str, str, Any]]:
        with Session(self.engine) as session:
            rows = session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))
            return [(e.action, e.target, e.after) for e in rows if e.action.startswith(prefix)]


@pytest.fixture
def desk(engine: Engine, tmp_path: Path) -> Iterator[Desk]:
    clock = Clock()
    settings = Settings(
        data_dir=tmp_path, database_url="", secret=SECRET, public_url=BASE,
        feed_check_seconds=0.0,
    )  # fmt: skip
    with serve(
        create_app(WebContext(engine=engine, sources=[], clock=clock, settings=settings))
    ) as web:
        found = Desk(web, clock, engine)
        yield found
        for person in found.people:
            person.client.close()


def _item(n: int, **values: Any) -> AlertDraft:
    values.setdefault("title", f"Kratom alert {n}")
    return draft(uid=f"item-{n}", url=f"https://www.fda.gov/item-{n}", **values)


def _rows(html: str) -> list[int]:
    return [int(i) for i in ROW.findall(html)]


def _page(person: Person, path: str) -> httpx.Response:
    """GET a view, following the one redirect to its canonical URL."""
    response = person.get(path)
    if response.status_code == 303:
        response = person.get(response.headers["location"])
    assert response.status_code == 200, response.text
    return response


# --- the inbox --------------------------------------------------------------------------


def test_a_filtered_view_is_a_url_that_shows_a_colleague_the_same_rows(desk: Desk) -> None:
    ids = desk.store(
        _item(1, kind="recall", severity="high", title="Salmonella in kratom powder"),
        _item(2, kind="recall", severity="low", title="Kratom capsules relabelled"),
        _item(3, kind="advisory", severity="high", title="Kratom advisory"),
        _item(4, kind="recall", severity="critical", agency="CDC", source="cdc",
              title="Salmonella outbreak linked to kratom"),
    )  # fmt: skip
    ana = desk.person("ana@example.org", "analyst")
    vic = desk.person("vic@example.org", "viewer")
    everything = _page(ana, "/staff/alerts")
    assert _rows(everything.text) == ids[::-1]  # newest change first
    assert 'href="/staff/alerts"' in everything.text  # in the dashboard navigation

    # The filter form sends every field, empty ones too: one redirect to the clean URL.
    form = "/staff/alerts?q=salmonella&agency=&jurisdiction=&min_severity=high&kind=recall"
    sent = ana.get(form + "&since=&until=&triage=new")
    shared = sent.headers["location"]
    assert (sent.status_code, shared) == (
        303, "/staff/alerts?kind=recall&min_severity=high&triage=new&q=salmonella",
    )  # fmt: skip
    mine = _rows(_page(ana, shared).text)
    assert mine == [ids[3], ids[0]]
    assert _rows(vic.get(shared).text) == mine
    assert "2025-03-12 13:15 UTC" in vic.last_page
    with Session(desk.engine) as session:  # dates are shown in each person's time zone
        session.get_one(StaffUser, desk.user_id("vic@example.org")).time_zone = "America/New_York"
        session.commit()
    assert "2025-03-12 09:15 EDT" in vic.get(shared).text
    assert _rows(_page(vic, "/staff/alerts?agency=cdc").text) == [ids[3]]
    both = "/staff/alerts?kind=advisory&kind=recall&min_severity=critical"
    assert _rows(_page(vic, both).text) == [ids[3]]

    for query, named in (
        ("since=yesterday", "since"), ("colour=red", "'colour'"), ("triage=done", "triage"),
        ("min_severity=huge", "min_severity"),
    ):  # fmt: skip
        bad = vic.get(f"/staff/alerts?{query}")
        assert bad.status_code == 400, query
        assert named in unescape(bad.text), query


def test_the_inbox_pages_by_50_with_an_older_link(desk: Desk) -> None:
    ids = desk.store(*[_item(n) for n in range(53)])
    vic = desk.person("vic@example.org", "viewer")
    first = _page(vic, "/staff/alerts?kind=recall")
    assert _rows(first.text) == sorted(ids, reverse=True)[:50]
    older = re.search(r'<a href="([^"]+)" rel="next">Older</a>', first.text)
    assert older
    second = vic.get(unescape(older.group(1)))
    assert second.status_code == 200
    assert _rows(second.text) == sorted(ids, reverse=True)[50:]
    assert 'rel="next"' not in second.text and "data-updates" not in second.text


def test_new_goes_away_once_opened_and_comes_back_after_an_agency_revision(desk: Desk) -> None:
    first, second = desk.store(_item(1), _item(2))
    ana = desk.person("ana@example.org", "analyst")
    vic = desk.person("vic@example.org", "viewer")
    assert sorted(map(int, UNREAD.findall(_page(ana, "/staff/alerts").text))) == [first, second]
    assert ana.get(f"/staff/alerts/{first}").status_code == 200
    assert UNREAD.findall(_page(ana, "/staff/alerts").text) == [str(second)]
    assert len(UNREAD.findall(_page(vic, "/staff/alerts").text)) == 2  # read marks are personal
    desk.store(_item(1, summary="The firm widened the recall to every lot."))
    inbox = _page(ana, "/staff/alerts").text
    assert sorted(map(int, UNREAD.findall(inbox))) == [first, second]
    assert _rows(inbox)[0] == first  # the revision moved it to the top


def test_exports_hold_the_rows_of_the_view_and_are_audited(desk: Desk) -> None:
    ids = desk.store(
        _item(1, kind="recall", title='=HYPERLINK("http://evil.example")'),
        _item(2, kind="advisory"),
        _item(3, kind="recall", firms=["Leafline Botanicals, LLC", "Other Co"]),
    )
    vic = desk.person("vic@example.org", "viewer")
    view = "kind=recall"
    page = _page(vic, f"/staff/alerts?{view}").text
    assert (
        f'href="/staff/alerts.csv?{view}"' in page and f'href="/staff/alerts.json?{view}"' in page
    )
    shown = _rows(page)
    assert shown == [ids[2], ids[0]]

    got = vic.get(f"/staff/alerts.csv?{view}")
    assert got.status_code == 200 and got.headers["content-type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="kratom-alerts-[0-9-]+\.csv"',
                        got.headers["content-disposition"])  # fmt: skip
    table = list(csv.DictReader(io.StringIO(got.text)))
    assert [int(r["id"]) for r in table] == shown
    assert table[1]["title"].startswith("'=HYPERLINK")  # defused for spreadsheets
    assert table[0]["firms"] == "Leafline Botanicals, LLC; Other Co"

    got = vic.get(f"/staff/alerts.json?{view}")
    assert got.headers["content-disposition"].startswith("attachment; ")
    document = json.loads(got.text)
    assert [a["id"] for a in document["alerts"]] == shown
    assert (document["query"], document["count"]) == (view, 2)

    vic_id = desk.user_id("vic@example.org")
    assert [(a, t, after) for a, t, after in desk.actions("alerts.")] == [
        ("alerts.export", "alerts?kind=recall", {"format": "csv", "rows": 2, "query": view}),
        ("alerts.export", "alerts?kind=recall", {"format": "json", "rows": 2, "query": view}),
    ]
    with Session(desk.engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "alerts.export")).first()
        assert entry is not None and (entry.user_id, entry.ip) == (vic_id, "127.0.0.1")
    assert vic.get("/staff/alerts.csv?kind=nonsense").status_code == 400


def test_the_inbox_asks_for_news_and_counts_alerts_stored_after_it(desk: Desk) -> None:
    desk.store(_item(1, kind="recall"))
    vic = desk.person("vic@example.org", "viewer")
    page = _page(vic, "/staff/alerts?kind=recall")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert '<script src="/static/inbox.js" defer></script>' in page.text
    assert "<script>" not in page.text and " on" + "click=" not in page.text
    script = vic.client.get("/static/inbox.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert not re.search(r"https?://", script.text)  # asks this site only
    found = re.search(r'data-updates="([^"]+)"', page.text)
    assert found
    updates = unescape(found.group(1))
    assert updates.startswith("/staff/alerts/updates?after=") and updates.endswith("&kind=recall")
    assert 'role="status" aria-live="polite"' in page.text

    assert vic.client.get(updates).json() == {"new": 0}
    desk.store(_item(2, kind="recall"), _item(3, kind="advisory"))
    answer = vic.client.get(updates)
    assert answer.json() == {"new": 1}  # the advisory is not in this view
    assert answer.headers["cache-control"] == "no-store"
    desk.store(_item(1, kind="recall", summary="Revised by the agency."))
    assert vic.client.get(updates).json() == {"new": 2}
    assert vic.client.get("/staff/alerts/updates?after=junk").status_code == 400
    signed_out = httpx.get(str(vic.client.base_url) + updates, follow_redirects=False)
    assert signed_out.status_code == 303


# --- one alert --------------------------------------------------------------------------


def test_the_alert_page_shows_evidence_history_incident_and_who_was_told(desk: Desk) -> None:
    kept_body = b'{"results": [{"recall_number": "F-0101-2025"}]}'
    kept = desk.evidence(
        kept_body, url="https://api.fda.gov/food/enforcement.json?search=kratom",
        content_type="application/json", etag='"abc123"',
        last_modified="Wed, 09 Apr 2025 10:00:00 GMT",
    )  # fmt: skip
    [alert_id] = desk.store(
        _item(1, recall_number="F-0101-2025", severity="high",
              raw={"recall_number": "F-0101-2025", "reason": "Salmonella"}),
        evidence=kept,
    )  # fmt: skip
    desk.clock.advance(days=1)
    big = desk.evidence(
        b"x" * 5000, keep=False, url="https://api.fda.gov/big", content_type="application/json"
    )
    desk.store(
        _item(1, recall_number="F-0101-2025", severity="critical",
              hazards=["salmonella", "listeria"],
              raw={"recall_number": "F-0101-2025", "reason": "Salmonella and Listeria"}),
        evidence=big,
    )  # fmt: skip
    [press] = desk.store(
        draft(source="cdc_outbreaks", uid="cdc-1", url="https://www.cdc.gov/salmonella/kratom",
              agency="CDC", kind="outbreak", title="CDC: Salmonella outbreak linked to kratom",
              recall_number="F-0101-2025", published_at=datetime(2025, 3, 20, tzinfo=UTC))
    )  # fmt: skip
    with Session(desk.engine) as session:
        now = desk.clock()
        people = [
            Subscriber(email=f"s{n}@example.org", status="confirmed", created_at=now)
            for n in range(3)
        ]
        session.add_all(people)
        session.flush()
        for person, kind, status in [
            (people[0], "immediate", "sent"), (people[1], "immediate", "sent"),
            (people[2], "immediate", "failed"), (people[0], "correction", "sent"),
            (people[2], "digest", "sent"),
        ]:  # fmt: skip
            session.add(
                Delivery(subscriber_id=person.id or 0, alert_id=alert_id, revision=1, kind=kind,
                         status=status, created_at=now, next_attempt_at=now)
            )  # fmt: skip
        session.commit()

    vic = desk.person("vic@example.org", "viewer")
    page = vic.get(f"/staff/alerts/{alert_id}")
    assert page.status_code == 200
    text = unescape(page.text)
    sha = hashlib.sha256(kept_body).hexdigest()
    for expected in (
        sha,
        "https://api.fda.gov/food/enforcement.json?search=kratom",
        '"abc123"',
        "Wed, 09 Apr 2025 10:00:00 GMT",
        f"{len(kept_body)} bytes",
        "application/json",
        store.raw_hash({"recall_number": "F-0101-2025", "reason": "Salmonella"}),
        '"reason": "Salmonella and Listeria"',  # the item's own record, pretty
        "Not kept: larger than the archive keeps",
        "5,000 bytes",
        "<dt>Alert emails sent</dt><dd>2</dd>",
        "<dt>Correction emails sent</dt><dd>1</dd>",
        "<dt>Digests that included it</dt><dd>1</dd>",
        f'href="{BASE}/alerts/{alert_id}"',
        f'href="{BASE}/feeds/alerts.atom"',
    ):
        assert expected in text, expected
    diff = re.search(r"<caption>What changed</caption>.*?</table>", text, re.S)
    assert diff
    assert '<th scope="row">severity</th><td>high</td><td>critical</td>' in diff.group(0)
    assert "<td>removed: nothing</td><td>added: listeria</td>" in diff.group(0)
    timeline = re.search(r"<caption>The same event across agencies.*?</table>", text, re.S)
    assert timeline
    assert timeline.group(0).index("Kratom alert 1 (this alert)") < timeline.group(0).index(
        f'<a href="/staff/alerts/{press}">CDC: Salmonella outbreak'
    )  # fmt: skip
    assert "<td>CDC</td><td>outbreak</td>" in timeline.group(0)

    download = vic.client.get(f"/staff/evidence/{kept}")
    assert download.status_code == 200 and download.content == kept_body
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment; filename=")
    gone = vic.get(f"/staff/evidence/{big}")
    assert gone.status_code == 404 and "more than the archive keeps" in gone.text
    assert vic.get("/staff/evidence/999999").status_code == 404
    assert vic.get("/staff/alerts/999999").status_code == 404


def test_analysts_triage_with_audited_moves_and_a_refused_move_changes_nothing(
    desk: Desk,
) -> None:
    [alert_id] = desk.store(_item(1))
    ana = desk.person("ana@example.org", "analyst")
    ana_id = desk.user_id("ana@example.org")
    page = ana.get(f"/staff/alerts/{alert_id}").text
    choices = page.split('id="status"')[1].split("</select>")[0]
    assert re.findall(r'<option value="(\w+)"', choices) == [
        "new", "reviewing", "verified", "dismissed",
    ]  # fmt: skip
    moved = ana.post(
        f"/staff/alerts/{alert_id}/triage",
        [("status", "reviewing"), ("assignee", str(ana_id)), ("note", "Asked the firm for lots.")],
    )
    assert moved.status_code == 303 and moved.headers["location"].endswith("?triaged=1#triage")
    page = ana.get(f"/staff/alerts/{alert_id}?triaged=1").text
    assert "Triage saved." in page and "Asked the firm for lots." in page
    assert "Status <strong>reviewing</strong>; assigned to <strong>ana@example.org</strong>" in page
    assert ana.post(f"/staff/alerts/{alert_id}/triage", [("status", "verified")]).status_code == 303
    ana.get(f"/staff/alerts/{alert_id}")
    refused = ana.post(
        f"/staff/alerts/{alert_id}/triage", [("status", "dismissed"), ("note", "Not kratom.")]
    )
    assert refused.status_code == 400
    assert "An alert that is verified cannot become dismissed." in refused.text
    assert 'value="Not kratom."' in refused.text  # the note is kept for another try
    target = f"alert:{alert_id}"
    assert desk.actions("triage.") == [
        ("triage.status", target, {"status": "reviewing"}),
        ("triage.assign", target, {"assignee_id": ana_id}),
        ("triage.note", target, {"text": "Asked the firm for lots."}),
        ("triage.status", target, {"status": "verified"}),
    ]
    with Session(desk.engine) as session:
        assert session.get_one(AlertTriage, alert_id).status == "verified"
        assert len(session.exec(select(TriageNote)).all()) == 1
    stranger = ana.post(f"/staff/alerts/{alert_id}/triage", [("assignee", "424242")])
    assert stranger.status_code == 400 and "Choose the assignee from the list." in stranger.text
    assert ana.post("/staff/alerts/999999/triage", [("status", "reviewing")]).status_code == 404


def _form_of(html: str, action: str) -> list[tuple[str, str]]:
    """The fields a browser would send from the form posting to ``action``."""
    form = html.split(f'action="{action}"')[1].split("</form>")[0]
    pairs: list[tuple[str, str]] = []
    for tag in re.findall(r"<input [^>]*>", form):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and ('type="checkbox"' not in tag or " checked" in tag):
            pairs.append((name.group(1), unescape(value.group(1)) if value else ""))
    for name, options in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        pairs.append((name, unescape(chosen.group(1)) if chosen else ""))
    return [(k, v) for k, v in pairs if k != "csrf"]


def test_a_correction_publishes_a_revision_the_atom_feed_shows_updated(desk: Desk) -> None:
    summary = "Possible   Salmonella.\nSee the firm's notice."  # its spacing stays as it is
    [alert_id] = desk.store(
        _item(1, severity="high", summary=summary, firms=["Leafline Botanicals, LLC"])
    )
    ana = desk.person("ana@example.org", "analyst")
    page = ana.get(f"/staff/alerts/{alert_id}").text
    action = f"/staff/alerts/{alert_id}/correct"
    fields = _form_of(page, action)
    assert ("severity", "high") in fields and ("hazards", "salmonella") in fields
    assert ("firms", "Leafline Botanicals, LLC") in fields
    unchanged = ana.post(action, fields)
    assert unchanged.headers["location"].endswith("?unchanged=1")
    assert desk.alert(alert_id).revision == 1

    ana.get(f"/staff/alerts/{alert_id}")
    bad = [(k, "Atlantis" if k == "jurisdiction" else v) for k, v in fields]
    refused = ana.post(action, bad)
    assert refused.status_code == 400
    assert "Jurisdiction: an ISO 3166 code such as US or US-FL." in refused.text
    assert 'value="Atlantis"' in refused.text  # shown again to fix
    assert desk.alert(alert_id).revision == 1

    corrected = [(k, "critical" if k == "severity" else v) for k, v in fields]
    done = ana.post(action, corrected)
    assert (done.status_code, done.headers["location"]) == (
        303, f"/staff/alerts/{alert_id}?corrected=1",
    )  # fmt: skip
    shown = ana.get(done.headers["location"]).text
    assert "Corrected: a new revision was published to feeds and subscribers." in shown
    alert = desk.alert(alert_id)
    assert (alert.revision, alert.severity, alert.summary) == (2, "critical", summary)
    assert alert.firms == ["Leafline Botanicals, LLC"]
    with Session(desk.engine) as session:
        [revision] = [r for r in store.revisions_of(session, alert_id) if r.revision == 2]
        assert revision.changes == [
            {"field": "severity", "op": "changed", "old": "high", "new": "critical"}
        ]
    assert [(a, after) for a, _, after in desk.actions("alert.")] == [
        ("alert.correct", {"severity": "critical"})
    ]
    feed = feedparser.parse(io.BytesIO(desk.web.get("/feeds/alerts.atom").content))
    [item] = [e for e in feed.entries if e.link.endswith(f"/alerts/{alert_id}")]
    assert item.summary.startswith("Updated ") and "critical" in item.summary


def test_a_viewer_sees_no_forms_and_cannot_triage_or_correct(desk: Desk) -> None:
    [alert_id] = desk.store(_item(1))
    vic = desk.person("vic@example.org", "viewer")
    page = vic.get(f"/staff/alerts/{alert_id}").text
    assert "/triage" not in page and "/correct" not in page and 'name="note"' not in page
    for path, fields in (("triage", [("status", "reviewing"), ("note", "Mine now")]),
                         ("correct", [("severity", "critical")])):  # fmt: skip
        vic.get(f"/staff/alerts/{alert_id}")
        refused = vic.post(f"/staff/alerts/{alert_id}/{path}", fields)
        assert refused.status_code == 403 and "needs the analyst role" in refused.text
    assert desk.alert(alert_id).revision == 1
    assert desk.actions("triage.") == desk.actions("alert.") == []


def test_posts_without_the_forms_token_are_refused(desk: Desk) -> None:
    [alert_id] = desk.store(_item(1))
    ana = desk.person("ana@example.org", "analyst")
    ana.get(f"/staff/alerts/{alert_id}")
    for path, fields in (("triage", [("status", "reviewing")]), ("correct", [("severity", "low")])):
        for token in (None, "0" * 64):
            refused = ana.post(f"/staff/alerts/{alert_id}/{path}", fields, csrf=token)
            assert refused.status_code == 403 and "Nothing was changed" in refused.text
    assert desk.alert(alert_id).revision == 1
    assert desk.actions("triage.") == desk.actions("alert.") == []


def test_hostile_alert_text_is_escaped_everywhere_staff_read_it(desk: Desk) -> None:
    hostile = '<script>alert("x")</script> & "quoted" <img src=x onerror=alert(1)>'
    [alert_id] = desk.store(
        _item(1, title=hostile, summary=hostile, firms=[hostile], raw={"title": hostile})
    )
    ana = desk.person("ana@example.org", "analyst")
    for path in ("/staff/alerts", f"/staff/alerts/{alert_id}"):
        html = _page(ana, path).text
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quoted&#34;" in html
    page = ana.get(f"/staff/alerts/{alert_id}").text
    assert r"&lt;script&gt;alert(\&#34;x\&#34;)" in page  # the record's JSON, escaped too
    assert _rows(_page(ana, "/staff/alerts?q=quoted").text) == [alert_id]


def test_every_alert_page_control_has_a_label(desk: Desk) -> None:
    from tests.test_staff_web import _Controls

    [alert_id] = desk.store(_item(1))
    ana = desk.person("ana@example.org", "analyst")
    for path in ("/staff/alerts", f"/staff/alerts/{alert_id}"):
        html = _page(ana, path).text
        parsed = _Controls()
        parsed.feed(html)
        assert parsed.controls and set(parsed.controls) <= parsed.labelled, parsed.controls
        # Links to agencies and the public site are fine; nothing is loaded from elsewhere.
        assert not re.search(
            r'(?:src|action)="(?:https?:)?//|<link [^>]*href="(?:https?:)?//', html
        )
    assert _ids_unique(_page(ana, f"/staff/alerts/{alert_id}").text)


def _ids_unique(html: str) -> bool:
    ids = re.findall(r' id="([^"]+)"', html)
    return len(ids) == len(set(ids))


def test_staff_users_are_only_assignable_when_active_analysts_or_admins(desk: Desk) -> None:
    [alert_id] = desk.store(_item(1))
    ana = desk.person("ana@example.org", "analyst")
    desk.person("vic@example.org", "viewer")
    with Session(desk.engine) as session:
        viewer = staff_accounts.find(session, "vic@example.org")
        assert viewer is not None
        viewer_id = viewer.id
    page = ana.get(f"/staff/alerts/{alert_id}").text
    assignees = page.split('id="assignee"')[1].split("</select>")[0]
    assert "ana@example.org" in assignees and "vic@example.org" not in assignees
    refused = ana.post(f"/staff/alerts/{alert_id}/triage", [("assignee", str(viewer_id))])
    assert refused.status_code == 400 and "only to active analysts and admins" in refused.text
    with Session(desk.engine) as session:
        assert session.get(AlertTriage, alert_id) is None


def test_an_assignee_who_left_stays_assigned_until_someone_changes_it(desk: Desk) -> None:
    [alert_id] = desk.store(_item(1))
    ana = desk.person("ana@example.org", "analyst")
    desk.person("bob@example.org", "analyst")
    bob_id = desk.user_id("bob@example.org")
    ana.get(f"/staff/alerts/{alert_id}")
    ana.post(f"/staff/alerts/{alert_id}/triage", [("assignee", str(bob_id))])
    with Session(desk.engine) as session:
        staff_accounts.change_role(
            session, session.get_one(StaffUser, bob_id), "viewer", by=None, now=desk.clock()
        )
        session.commit()
    page = ana.get(f"/staff/alerts/{alert_id}").text
    assert f'<option value="{bob_id}" selected>bob@example.org (no longer assignable)' in page
    fields = [
        (k, "Bob moved teams." if k == "note" else v)
        for k, v in _form_of(page, f"/staff/alerts/{alert_id}/triage")
    ]
    assert ("assignee", str(bob_id)) in fields
    assert ana.post(f"/staff/alerts/{alert_id}/triage", fields).status_code == 303
    with Session(desk.engine) as session:
        assert session.get_one(AlertTriage, alert_id).assignee_id == bob_id
    assert [a for a, _, _ in desk.actions("triage.")] == ["triage.assign", "triage.note"]
