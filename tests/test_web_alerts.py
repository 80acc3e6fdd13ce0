"""Public alert pages, which every email links to."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from alerts import incidents, store
from monitor.web.app import WebContext, create_app
from tests.factories import draft
from tests.webserver import serve

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def test_an_alert_page_shows_facts_history_and_the_same_event_elsewhere(engine: Engine) -> None:
    with Session(engine) as session:
        first = store.upsert(
            session, [draft(title="Firm <b>recalls</b> kratom", status="ongoing")], now=NOW
        )
        twin = store.upsert(session, [draft(source="fda_food_safety_recalls")], now=NOW)
        store.upsert(
            session, [draft(title="Firm <b>recalls</b> kratom", status="terminated")], now=NOW
        )
        incidents.link(session, first.new + twin.new, now=NOW)
        session.commit()
        alert_id = first.new[0].id
    with serve(create_app(WebContext(engine=engine, sources=[]))) as web:
        page = web.get(f"/alerts/{alert_id}")
        listing = web.get("/alerts")
        missing = web.get("/alerts/999999")
        junk = web.get("/alerts/abc")
    assert page.status_code == 200
    assert (
        "Firm &lt;b&gt;recalls&lt;/b&gt; kratom" in page.text and "<b>recalls</b>" not in page.text
    )
    assert "status ongoing → terminated" in page.text
    assert "Same event elsewhere" in page.text and "fda_food_safety_recalls" in page.text
    assert 'href="https://www.fda.gov/recall/1"' in page.text
    assert f'href="/alerts/{alert_id}"' in listing.text
    assert (missing.status_code, junk.status_code) == (404, 404)
