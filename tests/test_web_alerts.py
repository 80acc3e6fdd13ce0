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


def _alternates(html: str) -> dict[str, str]:
    """What a feed reader's autodiscovery finds: <link rel="alternate"> by URL -> type."""
    from html.parser import HTMLParser

    found: dict[str, str] = {}

    class Links(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = dict(attrs)
            if tag == "link" and values.get("rel") == "alternate":
                found[str(values["href"])] = str(values["type"])

    Links().feed(html)
    return found


def test_filtered_lists_and_alert_pages_lead_readers_to_their_feeds(
    engine: Engine, tmp_path: object
) -> None:
    from pathlib import Path

    from monitor.settings import Settings

    with Session(engine) as session:
        done = store.upsert(
            session,
            [
                draft(
                    kind="recall",
                    jurisdiction="US",
                    regions=["US-FL"],
                    events=[{"on": "2027-01-01", "what": "effective"}],
                ),
                draft(uid="a2", url="https://www.fda.gov/a2", kind="advisory", title="An advisory"),
            ],
            now=NOW,
        )
        session.commit()
        recall_id = done.new[0].id
    settings = Settings(data_dir=Path(str(tmp_path)), database_url="", public_url="http://m.test")
    with serve(create_app(WebContext(engine=engine, sources=[], settings=settings))) as web:
        listing = web.get("/alerts?kind=recall&jurisdiction=us-fl")
        page = web.get(f"/alerts/{recall_id}")
        prefilled = web.get("/subscribe?kinds=recall&jurisdictions=US-FL")
        bad = web.get("/alerts?kind=<script>")
    assert listing.status_code == 200
    assert "An advisory" not in listing.text and "Leafline" in listing.text
    found = _alternates(listing.text)
    query = "kind=recall&amp;jurisdiction=US-FL".replace("&amp;", "&")
    assert found == {
        f"http://m.test/feeds/alerts.atom?{query}": "application/atom+xml",
        f"http://m.test/feeds/alerts.rss?{query}": "application/rss+xml",
        f"http://m.test/feeds/alerts.json?{query}": "application/feed+json",
    }
    on_page = _alternates(page.text)
    assert "http://m.test/feeds/alerts.atom" in on_page
    assert "http://m.test/feeds/alerts.rss?kind=recall" in on_page
    assert "http://m.test/feeds/alerts.json?jurisdiction=US" in on_page
    assert 'href="/subscribe?kinds=recall"' in page.text
    assert "<dt>Takes effect</dt><dd>2027-01-01</dd>" in page.text
    assert "US:" in page.text  # place codes keep their case
    assert "/feeds/calendar.ics?kind=recall" in page.text
    assert 'value="recall" checked' in prefilled.text and 'value="US-FL"' in prefilled.text
    assert bad.status_code == 400 and "<script>" not in bad.text
