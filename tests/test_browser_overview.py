"""An admin opens the overview, polls a source now, reads the audit log and the
subscribers, in a real headless Chromium (Playwright); see tests/test_browser_staff.py for
what the browser needs, the skip and ``KM_TEST_REQUIRE_BROWSER``. Every page visited is
saved as a PNG (in the test's temporary folder, or in ``KM_TEST_ARTIFACTS``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from alerts import audit, staff_accounts
from alerts.models import SourceState
from monitor import db
from monitor.settings import Settings
from monitor.web.app import WebContext, create_app
from tests.test_browser_staff import (
    PASSWORD,
    SECRET,
    Dashboard,
    _sign_in,
)
from tests.test_staff_overview import NOW, SOURCES, _source_states, _store_alerts, _subscribers
from tests.test_staff_web import Clock
from tests.webserver import serve

ADMIN = "admin@example.org"


@pytest.fixture
def dashboard(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Dashboard]:
    """The web app on a SQLite file with alerts, an incident, source health, subscribers
    and an admin in New York; the clock stands still at NOW."""
    url = f"sqlite:///{tmp_path}/monitor.db"
    engine = db.make_engine(url)
    db.migrate(engine)
    with Session(engine) as session:
        admin = staff_accounts.add_user(
            session, email=ADMIN, role="admin", password=PASSWORD, by=None, now=NOW
        )
        admin.time_zone = "America/New_York"
        session.commit()
    _store_alerts(engine)
    _source_states(engine)
    _subscribers(engine)
    artifacts = os.environ.get("KM_TEST_ARTIFACTS")
    screens = Path(artifacts) / request.node.name if artifacts else tmp_path / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=tmp_path, database_url=url, secret=SECRET)
    app = create_app(WebContext(engine=engine, sources=SOURCES, clock=Clock(), settings=settings))
    try:
        with serve(app) as web:
            yield Dashboard(web, engine, screens)
    finally:
        engine.dispose()
        print(f"screenshots: {screens}")


def test_an_admin_reviews_the_overview_polls_a_source_and_reads_audit_and_subscribers(
    page: Any, dashboard: Dashboard
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{dashboard.base}/staff/overview")
    _sign_in(page, ADMIN, PASSWORD)
    expect(page.locator("h1")).to_have_text("Overview")
    chart = page.locator("figure.chart svg")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.segment")).to_have_count(4)
    utah = page.get_by_role("row", name=re.compile("^Utah"))
    expect(utah).to_contain_text("Changed since curated — review")
    incident = page.get_by_role("row", name=re.compile("^Leafline recalls"))
    expect(incident).to_contain_text("2026-02-28 07:00 EST")
    expect(incident.get_by_role("link")).to_have_attribute(
        "href", re.compile(r"^/staff/alerts/\d+$")
    )
    dashboard.shot(page, "overview")
    # The chart fills the page's width, and nothing scrolls sideways on a phone.
    main_width = page.locator("main").evaluate("m => m.clientWidth")
    assert chart.bounding_box()["width"] > 0.85 * main_width
    page.set_viewport_size({"width": 400, "height": 800})
    assert chart.bounding_box()["width"] <= 400
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    dashboard.shot(page, "overview-narrow")
    page.set_viewport_size({"width": 1200, "height": 900})

    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Sources").click()
    expect(page.locator("h1")).to_have_text("Sources")
    recalls = page.get_by_role("row", name=re.compile("^FDA Recalls"))
    expect(recalls).to_contain_text("failing")
    expect(recalls).to_contain_text("2026-03-01 07:30 EST (in 30 min)")
    dashboard.shot(page, "sources")
    recalls.get_by_role("button", name=re.compile("^Poll now")).click()
    expect(page.locator("p.notice")).to_contain_text("is due now")
    expect(recalls).to_contain_text("due now")
    with Session(dashboard.engine) as session:
        state = session.get(SourceState, "fda_recalls")
        assert state is not None and state.next_poll_at == NOW
    dashboard.shot(page, "polled")

    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Audit log").click()
    expect(page.locator("h1")).to_have_text("Audit log")
    page.get_by_label("Action").select_option("source.poll_now")
    page.get_by_role("button", name="Show").click()
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("source:fda_recalls")
    expect(rows.first).to_contain_text(ADMIN)
    dashboard.shot(page, "audit")

    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Subscribers").click()
    expect(page.locator("h1")).to_have_text("Subscribers")
    expect(page.locator("#by-status")).to_contain_text("Confirmed")
    expect(page.get_by_role("row", name=re.compile("^Confirmed"))).to_contain_text("3")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download every subscriber as CSV").click()
    saved = dashboard.screens / "subscribers.csv"
    download.value.save_as(saved)
    assert saved.read_text().count("@example.org") == 8
    dashboard.shot(page, "subscribers")

    with Session(dashboard.engine) as session:
        actions = [entry.action for entry in reversed(audit.recent(session))]
    assert actions == ["user_add", "sign_in", "source.poll_now", "subscribers.export"]
