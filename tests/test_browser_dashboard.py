"""The staff alert inbox and alert page in a real headless Chromium (Playwright): filter,
share the view, open, triage, correct, and see news arrive without a reload.

Same browser rules as ``tests/test_browser_staff.py``: Debian's ``/usr/bin/chromium``
launched by path, nothing downloaded, skipped without it unless
``KM_TEST_REQUIRE_BROWSER=1``; every request must stay on loopback. Screenshots go to the
test's temporary folder (printed on failure), or to ``KM_TEST_ARTIFACTS``.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from alerts import audit, incidents, staff_accounts, store
from alerts.draft import AlertDraft
from alerts.models import Alert, Evidence
from monitor import db
from monitor.settings import Settings
from monitor.web.app import WebContext, create_app
from tests.browser import CHROMIUM, FLAGS, need_browser
from tests.factories import draft
from tests.test_browser_staff import SECRET, _sign_in
from tests.webserver import Served, serve

PASSWORD = "correct horse battery"
ANALYST, VIEWER = "analyst@example.org", "viewer@example.org"
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
NOTE = "Asked the firm which lots shipped to Florida."


@dataclass
class Office:
    """The web app on a fresh SQLite file, and a way to open signed-out browser windows."""

    web: Served
    engine: Engine
    screens: Path
    window: Callable[..., Any]
    shots: int = 0

    @property
    def base(self) -> str:
        assert self.web.client is not None
        return str(self.web.client.base_url).rstrip("/")

    def shot(self, page: Any, name: str) -> None:
        self.shots += 1
        page.screenshot(path=str(self.screens / f"{self.shots:02d}-{name}.png"), full_page=True)

    def store(self, *drafts: AlertDraft, evidence: int | None = None) -> list[int]:
        now = datetime.now(UTC)
        with Session(self.engine) as session:
            result = store.upsert(session, list(drafts), now=now, evidence_id=lambda: evidence)
            incidents.link(session, result.new + result.revised, now=now)
            store.mark_changed(session, now=now)
            session.commit()
            return [int(a.id or 0) for a in result.new + result.revised]

    def evidence(self, body: bytes) -> int:
        with Session(self.engine) as session:
            row = Evidence(
                sha256=hashlib.sha256(body).hexdigest(), url="https://api.fda.gov/food/enforcement.json",
                retrieved_at=NOW, status_code=200, content_type="application/json",
                etag='"v1"', size=len(body), body=zlib.compress(body),
            )  # fmt: skip
            session.add(row)
            session.commit()
            return int(row.id or 0)


@pytest.fixture
def office(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Office]:
    need_browser()
    from playwright.sync_api import sync_playwright

    url = f"sqlite:///{tmp_path}/monitor.db"
    engine = db.make_engine(url)
    db.migrate(engine)
    with Session(engine) as session:
        for email, role in ((ANALYST, "analyst"), (VIEWER, "viewer")):
            staff_accounts.add_user(
                session, email=email, role=role, password=PASSWORD, by=None, now=NOW
            )
        session.commit()
    artifacts = os.environ.get("KM_TEST_ARTIFACTS")
    screens = Path(artifacts) / request.node.name if artifacts else tmp_path / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=tmp_path, database_url=url, secret=SECRET, feed_check_seconds=0)
    outside: list[str] = []
    problems: list[str] = []
    try:
        with (
            serve(create_app(WebContext(engine=engine, sources=[], settings=settings))) as web,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)

            def window(**options: Any) -> Any:
                """A new browser window (its own cookies) watched for requests elsewhere."""
                context = browser.new_context(viewport={"width": 1100, "height": 900}, **options)
                context.set_default_timeout(15_000)
                context.on(
                    "request",
                    lambda r: (
                        None if r.url.startswith("http://127.0.0.1:") else outside.append(r.url)
                    ),
                )
                page = context.new_page()
                page.on("console", lambda m: problems.append(_problem(m)))
                return page

            yield Office(web, engine, screens, window)
            browser.close()
    finally:
        engine.dispose()
        print(f"screenshots: {screens}")
    assert outside == []
    assert [p for p in problems if p] == []  # no script error, no CSP violation


def _problem(message: Any) -> str:
    """A console error worth failing for ("" for others and the browser's favicon probe)."""
    where = str((message.location or {}).get("url", ""))
    if message.type != "error" or where.endswith("/favicon.ico"):
        return ""
    return f"{message.text} ({where})"


def _titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("table tbody th a").all_inner_texts()]


def _signed_in(office: Office, email: str, path: str, **options: Any) -> Any:
    page = office.window(**options)
    page.goto(f"{office.base}{path}")
    _sign_in(page, email, PASSWORD)
    return page


def _recall(n: int, **values: Any) -> AlertDraft:
    values.setdefault("title", f"Kratom recall {n}")
    return draft(uid=f"recall-{n}", url=f"https://www.fda.gov/recall-{n}", **values)


def test_analyst_filters_shares_triages_and_corrects_an_alert(office: Office) -> None:
    from playwright.sync_api import expect

    body = b'{"results": [{"recall_number": "F-0101-2025"}]}'
    [target] = office.store(
        _recall(1, title="Leafline recalls kratom powder for Salmonella", severity="high",
                recall_number="F-0101-2025", raw={"recall_number": "F-0101-2025"}),
        evidence=office.evidence(body),
    )  # fmt: skip
    office.store(
        _recall(2, title="Capsules relabelled: kratom content", severity="low"),
        _recall(3, title="Salmonella advisory for kratom", kind="advisory", severity="high"),
        draft(source="cdc_outbreaks", uid="cdc-1", url="https://www.cdc.gov/kratom", agency="CDC",
              kind="outbreak", title="CDC: Salmonella outbreak tied to kratom powder",
              recall_number="F-0101-2025", severity="high"),
    )  # fmt: skip

    analyst = _signed_in(office, ANALYST, "/staff/alerts")
    expect(analyst.locator("h1")).to_have_text("Alerts")
    expect(analyst.locator("table tbody tr")).to_have_count(4)
    expect(analyst.locator(".tag.new")).to_have_count(4)
    office.shot(analyst, "inbox")

    analyst.get_by_label("Search").fill("salmonella")
    analyst.get_by_text("Kind and hazard").click()
    analyst.get_by_role("checkbox", name="Recalls").check()
    analyst.get_by_label("Minimum severity").select_option("high")
    analyst.get_by_role("button", name="Apply filters").click()
    expect(analyst).to_have_url(
        re.compile(r"/staff/alerts\?kind=recall&min_severity=high&q=salmonella$")
    )
    assert _titles(analyst) == ["Leafline recalls kratom powder for Salmonella"]
    expect(analyst.get_by_role("checkbox", name="Recalls")).to_be_checked()
    office.shot(analyst, "inbox-filtered")
    shared = analyst.url

    # A colleague opens the shared address, with JavaScript off: the same rows.
    viewer = _signed_in(office, VIEWER, shared[len(office.base) :], java_script_enabled=False)
    expect(viewer).to_have_url(shared)
    assert _titles(viewer) == _titles(analyst)
    office.shot(viewer, "shared-view-no-javascript")

    analyst.get_by_role("link", name="Leafline recalls kratom powder for Salmonella").click()
    expect(analyst.locator("h1")).to_have_text("Leafline recalls kratom powder for Salmonella")
    main = analyst.locator("main")
    expect(main).to_contain_text(hashlib.sha256(body).hexdigest())
    expect(main).to_contain_text("CDC: Salmonella outbreak tied to kratom powder")
    office.shot(analyst, "alert")

    analyst.get_by_label("Status", exact=True).select_option("reviewing")
    analyst.get_by_label("Add a note").fill(NOTE)
    analyst.get_by_role("button", name="Save triage").click()
    expect(analyst.locator("p.notice")).to_have_text("Triage saved.")
    expect(main).to_contain_text(NOTE)
    with Session(office.engine) as session:  # what an admin reads in the audit log
        entries = [(e.action, e.target, e.after) for e in reversed(audit.recent(session))]
        analyst_id = staff_accounts.find(session, ANALYST).id  # type: ignore[union-attr]
        assert {e.user_id for e in audit.recent(session, action="triage.status")} == {analyst_id}
    assert [e for e in entries if e[0].startswith("triage.")] == [
        ("triage.status", f"alert:{target}", {"status": "reviewing"}),
        ("triage.note", f"alert:{target}", {"text": NOTE}),
    ]  # fmt: skip

    analyst.get_by_text("Correct this alert").click()
    analyst.get_by_label("Severity", exact=True).select_option("critical")
    analyst.get_by_role("button", name="Publish correction").click()
    expect(analyst.locator("p.notice")).to_have_text(
        "Corrected: a new revision was published to feeds and subscribers."
    )
    expect(analyst.locator("#rev-2")).to_contain_text("Revision 2")
    office.shot(analyst, "alert-corrected")
    with Session(office.engine) as session:
        assert session.get_one(Alert, target).severity == "critical"
    feed = feedparser.parse(
        io.BytesIO(analyst.request.get(f"{office.base}/feeds/alerts.atom").body())
    )
    [entry] = [e for e in feed.entries if e.link.endswith(f"/alerts/{target}")]
    assert entry.summary.startswith("Updated ") and "critical" in entry.summary


def test_the_inbox_offers_alerts_that_arrive_while_it_is_open(office: Office) -> None:
    from playwright.sync_api import expect

    office.store(_recall(1))
    page = office.window()
    page.clock.install()
    page.goto(f"{office.base}/staff/alerts?kind=recall")
    _sign_in(page, VIEWER, PASSWORD)
    expect(page.locator("table tbody tr")).to_have_count(1)
    banner = page.locator("#updates")
    expect(banner).to_have_attribute("aria-live", "polite")
    page.clock.run_for(31_000)
    expect(banner).to_be_empty()
    office.store(_recall(2, title="A newer kratom recall"), _recall(3, kind="advisory"))
    page.clock.run_for(31_000)
    expect(banner).to_have_text("1 new alert — show it")
    office.shot(page, "new-alert-banner")
    banner.get_by_role("link").click()
    expect(page.locator("table tbody tr")).to_have_count(2)
    assert _titles(page)[0] == "A newer kratom recall"
