"""Staff overview, sources (with Poll now), audit log and subscribers pages: real uvicorn,
real databases, signed in as a person would be."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from alerts import audit, incidents, staff_accounts, store, subscriptions
from alerts.exports import AUDIT_COLUMNS, SUBSCRIBER_COLUMNS
from alerts.models import AuditEntry, SourceState, Subscriber
from alerts.subscriptions import Preferences
from monitor.settings import Settings
from monitor.web.app import WebContext, create_app
from tests.factories import draft
from tests.test_staff_web import PASSWORD, SECRET, Clock, Person
from tests.webserver import Served, serve

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # 07:00 in New York
SOURCES = ["fda_recalls", "fda_medwatch"]
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SVG = "{http://www.w3.org/2000/svg}"
# Added on first sign-in (hashing passwords takes a while): email -> (role, time zone).
STAFF = {
    "boss@example.org": ("admin", "America/New_York"),
    "ann@example.org": ("analyst", "UTC"),
    "vic@example.org": ("viewer", "UTC"),
}


@dataclass
class Site:
    web: Served
    clock: Clock
    engine: Engine
    people: list[Person] = field(default_factory=list)
    added: set[str] = field(default_factory=set)

    def person(self, email: str | None = None) -> Person:
        """A new browser, signed in as ``email`` (one of ``STAFF``, added on first use)."""
        assert self.web.client is not None
        someone = Person(httpx.Client(base_url=self.web.client.base_url, timeout=10))
        self.people.append(someone)
        if email is not None:
            if email not in self.added:
                self.add(email, *STAFF[email])
            assert someone.sign_in(email).status_code == 303
        return someone

    def add(self, email: str, role: str, zone: str = "UTC") -> None:
        self.added.add(email)
        with Session(self.engine) as session:
            user = staff_accounts.add_user(
                session, email=email, role=role, password=PASSWORD, by=None, now=self.clock()
            )
            user.time_zone = zone
            session.commit()

    def entries(self, action: str) -> list[AuditEntry]:
        with Session(self.engine) as session:
            return list(reversed(audit.recent(session, action=action)))

    def state(self, key: str) -> SourceState | None:
        with Session(self.engine) as session:
            return session.get(SourceState, key)


@pytest.fixture
def site(engine: Engine, tmp_path: Path) -> Iterator[Site]:
    clock = Clock()
    settings = Settings(data_dir=tmp_path, database_url="", secret=SECRET)
    app = create_app(WebContext(engine=engine, sources=SOURCES, clock=clock, settings=settings))
    with serve(app) as web:
        site = Site(web, clock, engine)
        yield site
        for person in site.people:
            person.client.close()


class _Tables(HTMLParser):
    """Every table's rows as lists of cell texts, and the links in each row, by table id
    or first class."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.links: dict[str, list[list[str]]] = {}
        self._table = ""
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "table":
            self._table = values.get("id") or (values.get("class") or "").split()[-1]
            self.tables[self._table], self.links[self._table] = [], []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
            self.links[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []
        elif tag == "a" and self._table and self.links[self._table]:
            self.links[self._table][-1].append(str(values.get("href")))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append(" ".join(" ".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = ""

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _tables(html: str) -> _Tables:
    parsed = _Tables()
    parsed.feed(html)
    return parsed


def _counts(html: str, table: str) -> dict[str, int]:
    return {row[0]: int(row[1]) for row in _tables(html).tables[table][1:]}


def _csv(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(response.text)))


# -- overview ---------------------------------------------------------------------------


def _store_alerts(engine: Engine) -> dict[str, int]:
    """Alerts of three kinds over two months, a Utah law change newer than the curated
    row, and two alerts of one recall (from two sources) that make an incident."""
    drafts = [
        draft(uid="r1", url="https://www.fda.gov/r1", firms=[],
              published_at=datetime(2025, 3, 3, tzinfo=UTC)),
        draft(uid="r2", url="https://www.fda.gov/r2", title=HOSTILE, firms=[],
              published_at=datetime(2025, 3, 9, tzinfo=UTC)),
        draft(uid="a1", url="https://www.fda.gov/a1", kind="advisory", firms=[],
              published_at=datetime(2025, 6, 1, tzinfo=UTC)),
        draft(source="legiscan", uid="ut-1", url="https://le.utah.gov/bill/1", kind="state_law",
              agency="Utah Legislature", title="Utah amends its Kratom Consumer Protection Act",
              jurisdiction="US-UT", published_at=datetime(2025, 9, 1, 15, tzinfo=UTC)),
        draft(uid="press", url="https://www.fda.gov/press", recall_number="F-0101-2025",
              title="Leafline recalls kratom powder",
              published_at=datetime(2025, 4, 1, tzinfo=UTC)),
        draft(source="openfda_food_enforcement", uid="F-0101-2025", agency="FDA (openFDA)",
              url="https://api.fda.gov/food/enforcement.json?search=F-0101-2025",
              recall_number="F-0101-2025", title="Kratom powder, 250 g",
              published_at=datetime(2025, 4, 9, tzinfo=UTC)),
    ]  # fmt: skip
    with Session(engine) as session:
        result = store.upsert(session, drafts, now=NOW - timedelta(days=2))
        incidents.link(session, result.new, now=NOW - timedelta(days=1))
        session.commit()
        return {alert.uid: int(alert.id or 0) for alert in result.new}


def test_the_overview_shows_the_chart_flagged_jurisdictions_and_recent_incidents(
    site: Site,
) -> None:
    ids = _store_alerts(site.engine)
    vic = site.person("vic@example.org")
    page = vic.get("/staff/overview")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"

    svg_text = re.search(r"<svg\b.*?</svg>", page.text, re.S)
    assert svg_text, "no inline SVG chart"
    svg = ET.fromstring(svg_text.group(0))  # well-formed XML
    assert svg.tag == f"{SVG}svg" and svg.get("viewBox")
    bars = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "bar"]
    assert len(bars) == 24  # one per month, 2024-04 .. 2026-03
    assert (bars[0].get("data-period"), bars[-1].get("data-period")) == ("2024-04", "2026-03")
    tips = {
        bar.get("data-period"): [t.text for t in bar.iter(f"{SVG}title")]
        for bar in bars
        if list(bar.iter(f"{SVG}rect"))
    }
    assert tips == {
        "2025-03": ["recall, 2025-03: 2 alerts"],
        "2025-04": ["recall, 2025-04: 2 alerts"],
        "2025-06": ["advisory, 2025-06: 1 alert"],
        "2025-09": ["state law, 2025-09: 1 alert"],
    }

    tables = _tables(page.text)
    rows = {row[0]: row for row in tables.tables["jurisdictions"][1:]}
    pairs = zip(tables.tables["jurisdictions"], tables.links["jurisdictions"], strict=True)
    links = {row[0]: link for row, link in pairs}
    utah, alabama = rows["Utah US-UT"], rows["Alabama US-AL"]
    assert utah[1] == "regulated (consumer protection)" and utah[2] == "2019-03"
    assert "Utah amends its Kratom Consumer Protection Act 2025-09-01" in utah[5]
    assert utah[6] == "Changed since curated — review"
    assert links["Utah US-UT"] == [
        "https://le.utah.gov/~2019/bills/sbillamd/SB0058S01.htm", f"/staff/alerts/{ids['ut-1']}",
    ]  # fmt: skip
    assert (alabama[5], alabama[6]) == ("none", "—")
    assert "1 row needs review" in page.text

    incident_rows = tables.tables["incidents"][1:]
    assert incident_rows == [
        ["Leafline recalls kratom powder", "2", "FDA, FDA (openFDA)", "2026-02-28 12:00 UTC"]
    ]
    assert tables.links["incidents"][1] == [f"/staff/alerts/{ids['press']}"]

    assert HOSTILE not in page.text and "<script" not in page.text  # only in the chart data
    assert "onerror" not in page.text  # the hostile title is not drawn (no incident, no rule)


def test_the_overview_says_so_when_there_is_nothing_yet(site: Site) -> None:
    page = site.person("vic@example.org").get("/staff/overview")
    assert page.status_code == 200
    assert "No alerts in this period" in page.text
    assert "No incidents yet" in page.text
    assert "No row needs review" in page.text


def test_hostile_alert_text_is_escaped_on_the_overview(site: Site) -> None:
    with Session(site.engine) as session:
        hostile = [
            draft(source="legiscan", uid="x1", url="https://le.utah.gov/x", kind="state_law",
                  title=HOSTILE, jurisdiction="US-UT",
                  published_at=datetime(2025, 9, 1, tzinfo=UTC)),
            draft(uid="x2", url="https://www.fda.gov/x2", recall_number="F-1", title=HOSTILE),
            draft(source="fda_press_releases", uid="x3", url="https://www.fda.gov/x3",
                  recall_number="F-1", title=HOSTILE),
        ]  # fmt: skip
        result = store.upsert(session, hostile, now=NOW)
        incidents.link(session, result.new, now=NOW)
        session.commit()
    page = site.person("vic@example.org").get("/staff/overview")
    assert "<script" not in page.text and "<img" not in page.text
    assert page.text.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") == 2  # row, incident


# -- sources ----------------------------------------------------------------------------


def _source_states(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(
            SourceState(
                key="fda_recalls", status="failing", consecutive_failures=3, items_seen=42,
                last_success_at=NOW - timedelta(hours=5), last_error=f"HTTP 503 {HOSTILE}",
                last_error_at=NOW - timedelta(minutes=10), next_poll_at=NOW + timedelta(minutes=30),
            )
        )  # fmt: skip
        session.add(SourceState(key="federal_register", status="ok"))  # not enabled here
        session.commit()


def test_the_sources_page_shows_each_enabled_sources_health_in_the_users_zone(site: Site) -> None:
    _source_states(site.engine)
    boss = site.person("boss@example.org")
    page = boss.get("/staff/sources")
    assert page.status_code == 200
    rows = _tables(page.text).tables["sources"]
    assert rows[0] == [
        "Source", "Covers", "API key", "Status", "Last success", "Last error",
        "Failures in a row", "Cadence", "Items seen", "Next poll", "Action",
    ]  # fmt: skip
    recalls, medwatch = [row[:1] + row[3:] for row in rows[1:3]]
    assert rows[1][1].startswith("Firm recall") and rows[1][2] == "not needed"
    assert recalls[1:3] == ["failing", "2026-03-01 02:00 EST"]
    assert recalls[3].startswith("2026-03-01 06:50 EST HTTP 503 <script>")  # as text
    assert recalls[4:8] == ["3", "every 30 minutes", "42", "2026-03-01 07:30 EST (in 30 min)"]
    assert medwatch[1:5] == ["never", "never", "none", "0"]
    assert medwatch[7] == "not scheduled yet (no worker has started)"
    assert "federal_register" not in page.text
    assert "<script" not in page.text and "&lt;script&gt;" in page.text
    assert page.text.count(">Poll now</button>") == 2


def test_viewers_and_analysts_see_sources_without_poll_now(site: Site) -> None:
    _source_states(site.engine)
    for email in ("vic@example.org", "ann@example.org"):
        page = site.person(email).get("/staff/sources")
        assert page.status_code == 200
        assert "Poll now" not in page.text and "fda_recalls" in page.text
        assert _tables(page.text).tables["sources"][0][-1] == "Next poll"


def test_an_admins_poll_now_makes_the_source_due_and_is_audited(site: Site) -> None:
    _source_states(site.engine)
    boss = site.person("boss@example.org")
    boss.get("/staff/sources")
    site.clock.advance(minutes=2)
    done = boss.post("/staff/sources/fda_recalls/poll", [])
    assert (done.status_code, done.headers["location"]) == (
        303,
        "/staff/sources?polled=fda_recalls",
    )
    state = site.state("fda_recalls")
    assert state is not None and state.next_poll_at == NOW + timedelta(minutes=2)
    assert state.status == "failing" and state.items_seen == 42  # nothing else changed
    (entry,) = site.entries("source.poll_now")
    assert (entry.target, entry.before, entry.after) == (
        "source:fda_recalls",
        {"next_poll_at": (NOW + timedelta(minutes=30)).isoformat()},
        {"next_poll_at": (NOW + timedelta(minutes=2)).isoformat()},
    )
    boss_id = _user_id(site, "boss@example.org")
    assert entry.user_id == boss_id and entry.ip == "127.0.0.1"
    back = boss.get(done.headers["location"])
    assert "FDA Recalls, Market Withdrawals and Safety Alerts (RSS) is due now" in back.text
    assert _tables(back.text).tables["sources"][1][9] == "due now"

    # A source no worker has seen yet gets its row.
    assert boss.post("/staff/sources/fda_medwatch/poll", []).status_code == 303
    medwatch = site.state("fda_medwatch")
    assert medwatch is not None and medwatch.next_poll_at == NOW + timedelta(minutes=2)
    assert medwatch.status == "never"
    assert [e.after for e in site.entries("source.poll_now")][1] == {
        "next_poll_at": (NOW + timedelta(minutes=2)).isoformat()
    }


def _user_id(site: Site, email: str) -> int:
    with Session(site.engine) as session:
        user = staff_accounts.find(session, email)
        assert user is not None and user.id is not None
        return user.id


def test_poll_now_for_an_unknown_or_disabled_source_is_a_404_page(site: Site) -> None:
    _source_states(site.engine)
    boss = site.person("boss@example.org")
    boss.get("/staff/sources")
    for key in ("no_such_source", "federal_register"):
        missing = boss.post(f"/staff/sources/{key}/poll", [])
        assert missing.status_code == 404 and "No such source" in missing.text
    assert site.entries("source.poll_now") == []
    state = site.state("federal_register")
    assert state is not None and state.next_poll_at is None


def test_poll_now_by_a_viewer_or_analyst_or_without_csrf_is_refused_and_changes_nothing(
    site: Site,
) -> None:
    _source_states(site.engine)
    for email in ("vic@example.org", "ann@example.org"):
        someone = site.person(email)
        someone.get("/staff/sources")
        refused = someone.post("/staff/sources/fda_recalls/poll", [])
        assert refused.status_code == 403 and "needs the admin role" in refused.text
    boss = site.person("boss@example.org")
    boss.get("/staff/sources")
    for token in (None, "0" * 64):
        refused = boss.post("/staff/sources/fda_recalls/poll", [], csrf=token)
        assert refused.status_code == 403 and "This form has expired" in refused.text
    signed_out = site.person().post("/staff/sources/fda_recalls/poll", [], csrf=None)
    assert signed_out.status_code == 303  # to sign in
    state = site.state("fda_recalls")
    assert state is not None and state.next_poll_at == NOW + timedelta(minutes=30)
    assert site.entries("source.poll_now") == []


# -- audit log --------------------------------------------------------------------------


def _hostile_entry(engine: Engine) -> None:
    with Session(engine) as session:
        audit.audit(
            session, user=None, action="triage.note", target=f"=HYPERLINK(1){HOSTILE}",
            before={"text": "-2+3"}, after={"text": HOSTILE}, now=NOW + timedelta(minutes=1),
        )  # fmt: skip
        session.commit()


def test_the_audit_log_is_for_admins_only(site: Site) -> None:
    for email in ("vic@example.org", "ann@example.org"):
        someone = site.person(email)
        for path in ("/staff/audit", "/staff/audit.csv"):
            refused = someone.get(path)
            assert refused.status_code == 403 and "needs the admin role" in refused.text
        home = someone.get("/staff")
        assert 'href="/staff/overview"' in home.text and 'href="/staff/sources"' in home.text
        assert 'href="/staff/audit"' not in home.text
        assert 'href="/staff/subscribers"' not in home.text
    assert site.entries("audit.export") == []
    home = site.person("boss@example.org").get("/staff")
    for path in ("/staff/overview", "/staff/sources", "/staff/audit", "/staff/subscribers"):
        assert f'href="{path}"' in home.text


def test_an_admin_reads_filters_and_exports_the_audit_log(site: Site) -> None:
    _hostile_entry(site.engine)
    boss = site.person("boss@example.org")
    page = boss.get("/staff/audit")
    assert page.status_code == 200
    rows = _tables(page.text).tables["audit"]
    assert rows[0] == ["When", "Who", "Action", "Target", "Before → after"]
    assert rows[1][:3] == ["2026-03-01 07:01 EST", "command line", "triage.note"]
    assert rows[1][4] == '{"text":"-2+3"} → ' + json.dumps({"text": HOSTILE}, separators=(",", ":"))
    assert [row[2] for row in rows[1:]] == ["triage.note", "sign_in", "user_add"]
    assert rows[2][1] == "boss@example.org"
    assert "<script" not in page.text and "<img" not in page.text
    assert '<option value="sign_in">sign_in</option>' in page.text

    only = _tables(boss.get("/staff/audit?action=user_add").text).tables["audit"][1:]
    assert [row[2] for row in only] == ["user_add"]

    exported = _csv(boss.get("/staff/audit.csv"))
    assert list(exported[0]) == list(AUDIT_COLUMNS)
    assert [row["action"] for row in exported] == [row[2] for row in rows[1:]]
    assert exported[0]["target"] == f"'=HYPERLINK(1){HOSTILE}"
    assert exported[0]["at"] == (NOW + timedelta(minutes=1)).isoformat()
    assert exported[1]["user"] == "boss@example.org" and exported[1]["ip"] == "127.0.0.1"
    (entry,) = site.entries("audit.export")
    assert (entry.target, entry.after, entry.user_id) == (
        "audit_entry",
        {"rows": 3},
        _user_id(site, "boss@example.org"),
    )

    filtered = _csv(boss.get("/staff/audit.csv?action=sign_in"))
    assert [row["action"] for row in filtered] == ["sign_in"]
    assert site.entries("audit.export")[-1].after == {"rows": 1}
    assert site.entries("audit.export")[-1].target == "audit_entry?action=sign_in"


# -- subscribers ------------------------------------------------------------------------


def _subscribers(engine: Engine) -> None:
    people: list[tuple[str, str, Preferences]] = [
        ("p1@example.org", "pending", Preferences()),
        ("p2@example.org", "pending", Preferences(kinds=["recall"])),
        ("c1@example.org", "confirmed", Preferences(kinds=["recall"], delivery="immediate")),
        ("=1+2@example.org", "confirmed", Preferences(hazards=["salmonella"], delivery="daily")),
        ("c3@example.org", "paused", Preferences(kinds=["recall", "advisory"],
                                                 hazards=["salmonella", "listeria"],
                                                 jurisdictions=["US-TX"], delivery="weekly")),
        ("u1@example.org", "unsubscribed", Preferences()),
        ("s1@example.org", "suppressed", Preferences()),
        ("s2@example.org", "suppressed", Preferences()),
    ]  # fmt: skip
    with Session(engine) as session:
        for n, (email, status, prefs) in enumerate(people):
            now = NOW - timedelta(days=10 - n)
            subscriber = subscriptions.subscribe(session, email=email, prefs=prefs, now=now)
            found = subscriber.subscriber
            if status != "pending":
                subscriptions.confirm(session, found, now=now + timedelta(hours=1))
            if status == "paused":
                found.paused = True
            if status == "unsubscribed":
                subscriptions.unsubscribe(session, found, now=now + timedelta(hours=2))
            if status == "suppressed":
                reason = HOSTILE if email == "s1@example.org" else "550 5.1.1 user unknown"
                subscriptions.suppress(session, found, reason=reason, now=now + timedelta(hours=3))
        session.commit()


def test_the_subscribers_page_counts_match_the_stored_subscribers(site: Site) -> None:
    _subscribers(site.engine)
    boss = site.person("boss@example.org")
    page = boss.get("/staff/subscribers")
    assert page.status_code == 200
    with Session(site.engine) as session:
        stored = list(session.exec(select(Subscriber)))
    confirmed = [s for s in stored if s.status == "confirmed"]
    statuses = Counter(s.status.capitalize() for s in stored)
    assert _counts(page.text, "by-status") == {
        name: statuses[name] for name in ("Pending", "Confirmed", "Unsubscribed", "Suppressed")
    }
    assert _counts(page.text, "by-status") == {
        "Pending": 2, "Confirmed": 3, "Unsubscribed": 1, "Suppressed": 2,
    }  # fmt: skip
    assert _counts(page.text, "by-delivery") == {
        "Immediately, one email per alert": 1, "Daily digest": 1, "Weekly digest (Mondays)": 1,
    }  # fmt: skip
    kinds = _counts(page.text, "by-kind")
    assert (kinds["Recalls"], kinds["Advisories and public warnings"]) == (2, 1)
    assert kinds["Any (no preference)"] == sum(1 for s in confirmed if not s.kinds) == 1
    assert sum(kinds.values()) == sum(max(1, len(s.kinds)) for s in confirmed)
    hazards = _counts(page.text, "by-hazard")
    assert (hazards["Salmonella"], hazards["Listeria"], hazards["Any (no preference)"]) == (2, 1, 1)
    assert "1 of the 3 confirmed" in page.text  # paused

    suppressed = _tables(page.text).tables["suppressed"][1:]
    assert suppressed == [
        ["s2@example.org", "2026-02-26 10:00 EST", "550 5.1.1 user unknown"],
        ["s1@example.org", "2026-02-25 10:00 EST", HOSTILE],
    ]
    assert "<script" not in page.text and "<img" not in page.text


def test_the_subscriber_export_has_every_row_defuses_formulas_and_is_audited(site: Site) -> None:
    _subscribers(site.engine)
    boss = site.person("boss@example.org")
    rows = _csv(boss.get("/staff/subscribers.csv"))
    assert list(rows[0]) == list(SUBSCRIBER_COLUMNS)
    assert [r["email"] for r in rows] == [
        "p1@example.org", "p2@example.org", "c1@example.org", "'=1+2@example.org",
        "c3@example.org", "u1@example.org", "s1@example.org", "s2@example.org",
    ]  # fmt: skip
    weekly = rows[4]
    assert {k: weekly[k] for k in ("status", "paused", "delivery", "kinds", "hazards")} == {
        "status": "confirmed", "paused": "yes", "delivery": "weekly",
        "kinds": "advisory; recall", "hazards": "listeria; salmonella",
    }  # fmt: skip
    assert weekly["jurisdictions"] == "US-TX"
    assert weekly["created_at"] == (NOW - timedelta(days=6)).isoformat()
    assert weekly["confirmed_at"] == (NOW - timedelta(days=6, hours=-1)).isoformat()
    assert rows[0]["confirmed_at"] == ""
    (entry,) = site.entries("subscribers.export")
    assert (entry.target, entry.after, entry.at) == ("subscriber", {"rows": 8}, NOW)
    assert entry.user_id == _user_id(site, "boss@example.org")


def test_subscriber_pages_are_for_admins_only(site: Site) -> None:
    _subscribers(site.engine)
    for email in ("vic@example.org", "ann@example.org"):
        someone = site.person(email)
        for path in ("/staff/subscribers", "/staff/subscribers.csv"):
            refused = someone.get(path)
            assert refused.status_code == 403 and "p1@example.org" not in refused.text
    assert site.entries("subscribers.export") == []


# -- every new page ---------------------------------------------------------------------


class _Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.controls: list[str] = []
        self.labelled: set[str] = set()
        self.loads: list[str] = []
        self.scripts = 0
        self.styles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values: dict[str, Any] = dict(attrs)
        self.scripts += tag == "script" or any(n.startswith("on") for n in values)
        self.styles += tag == "style" or "style" in values  # the CSP allows neither
        if values.get("src") or (tag == "link" and values.get("href")):
            url = values.get("src") or values["href"]
            if not url.startswith("/"):
                self.loads.append(url)
        if tag == "label" and values.get("for"):
            self.labelled.add(values["for"])
        if tag in ("input", "select", "textarea") and values.get("type") != "hidden":
            self.controls.append(str(values.get("id")))


def test_every_new_page_labels_its_controls_loads_nothing_and_runs_no_script(site: Site) -> None:
    _store_alerts(site.engine)
    _source_states(site.engine)
    _subscribers(site.engine)
    boss = site.person("boss@example.org")
    for path in ("/staff/overview", "/staff/sources", "/staff/audit", "/staff/subscribers"):
        page = boss.get(path)
        assert page.status_code == 200
        parsed = _Controls()
        parsed.feed(page.text)
        assert set(parsed.controls) <= parsed.labelled, (path, parsed.controls)
        assert (parsed.loads, parsed.scripts, parsed.styles) == ([], 0, 0), path
        assert "default-src 'none'" in page.headers["content-security-policy"]
