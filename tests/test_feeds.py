"""Atom, RSS and JSON feeds: they parse, stay valid under hostile text, show corrections,
page through history and are cheap to poll (ETag, Last-Modified, in-memory cache)."""

from __future__ import annotations

import gzip
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from alerts import store
from alerts.draft import AlertDraft
from monitor.settings import Settings
from monitor.web import feeds
from monitor.web.app import WebContext, create_app
from tests.factories import draft
from tests.webserver import Served, serve

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
BASE = "http://alerts.example.test"
HUB = "http://hub.example.test/"
FORMATS = ("atom", "rss", "json")


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path, "database_url": "", "public_url": BASE,
        "feed_check_seconds": 0.0, "websub_hub": HUB,
    }  # fmt: skip
    values.update(overrides)
    return Settings(**values)


def _put(engine: Engine, *drafts: AlertDraft, now: datetime = NOW) -> list[int]:
    with Session(engine) as session:
        result = store.upsert(session, drafts, now=now)
        store.mark_changed(session, now=now)
        session.commit()
        return [int(a.id or 0) for a in result.new + result.revised]


@pytest.fixture
def web(engine: Engine, tmp_path: Path) -> Iterator[Served]:
    with serve(
        create_app(WebContext(engine=engine, sources=[], settings=_settings(tmp_path)))
    ) as s:
        yield s


def _parsed(response: httpx.Response) -> Any:
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def _entries(response: httpx.Response, fmt: str) -> list[dict[str, Any]]:
    """Entries as a reader sees them: feedparser for Atom and RSS; released feedparser
    has no JSON Feed reader, so JSON is read by the spec (and checked by _check_json_feed).
    """
    if fmt == "json":
        data = response.json()
        _check_json_feed(data)
        return [
            {"id": i["id"], "title": i["title"], "link": i["url"],
             "updated": datetime.fromisoformat(i["date_modified"]),
             "text": i["summary"] + i["content_html"], "tags": i["tags"]}
            for i in data["items"]
        ]  # fmt: skip
    return [
        {"id": e.id, "title": e.title, "link": e.link,
         "updated": datetime(*e.updated_parsed[:6], tzinfo=UTC),
         "text": e.get("summary", "") + str(e.get("content", "")),
         "tags": [t.term for t in e.get("tags", [])]}
        for e in _parsed(response).entries
    ]  # fmt: skip


def _recalls(count: int, **overrides: Any) -> list[AlertDraft]:
    return [
        draft(uid=f"r{n}", url=f"https://www.fda.gov/recall/{n}", title=f"Kratom recall {n}",
              **overrides)
        for n in range(count)
    ]  # fmt: skip


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_feed_parses_back_with_every_alert_newest_change_first(
    engine: Engine, web: Served, fmt: str
) -> None:
    _put(engine, *_recalls(3))
    _put(engine, draft(uid="late", url="https://www.fda.gov/late", title="Later advisory",
                       kind="advisory"), now=NOW + timedelta(hours=1))  # fmt: skip
    response = web.get(f"/feeds/alerts.{fmt}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(feeds.FORMATS[fmt].split(";")[0])
    entries = _entries(response, fmt)
    assert entries[0]["title"] == "Later advisory" and len(entries) == 4
    first = entries[0]
    assert first["link"].startswith(f"{BASE}/alerts/")
    assert first["id"].startswith("urn:uuid:")
    assert "advisory" in [t.removeprefix("kind:") for t in first["tags"]]
    assert "https://www.fda.gov/late" in first["text"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_feeds_advertise_self_and_hub_for_websub(web: Served, fmt: str) -> None:
    response = web.get(f"/feeds/alerts.{fmt}?kind=recall")
    links = response.headers["link"]
    assert f'<{BASE}/feeds/alerts.{fmt}?kind=recall>; rel="self"' in links
    assert f'<{HUB}>; rel="hub"' in links
    if fmt == "json":
        data = response.json()
        assert data["hubs"] == [{"type": "WebSub", "url": HUB}]
        assert data["feed_url"] == f"{BASE}/feeds/alerts.json?kind=recall"
    else:
        rels = {link.rel: link.href for link in _parsed(response).feed.links}
        assert rels["hub"] == HUB and rels["self"] == f"{BASE}/feeds/alerts.{fmt}?kind=recall"


def _check_json_feed(data: dict[str, Any]) -> None:
    """The required fields and types of JSON Feed 1.1, as its specification lists them."""
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(data["title"], str) and data["title"]
    for key in ("home_page_url", "feed_url", "next_url", "description", "language"):
        assert isinstance(data.get(key, ""), str)
    assert isinstance(data["items"], list)
    for hub in data.get("hubs", []):
        assert isinstance(hub["type"], str) and isinstance(hub["url"], str)
    for author in data.get("authors", []):
        assert isinstance(author["name"], str)
    rfc3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
    for item in data["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_html"), str) or isinstance(
            item.get("content_text"), str
        )
        for key in ("url", "external_url", "title", "summary", "content_html", "content_text"):
            assert isinstance(item.get(key, ""), str)
        for key in ("date_published", "date_modified"):
            assert rfc3339.match(item[key]), item[key]
        assert all(isinstance(t, str) for t in item.get("tags", []))
        for author in item.get("authors", []):
            assert isinstance(author["name"], str)


def test_the_json_feed_has_the_fields_and_types_the_spec_requires(
    engine: Engine, web: Served
) -> None:
    _put(engine, *_recalls(60))
    response = web.get("/feeds/alerts.json")
    assert response.headers["content-type"] == "application/feed+json"
    data = response.json()
    _check_json_feed(data)
    assert len(data["items"]) == feeds.PAGE_SIZE and data["next_url"].startswith(BASE)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_revision_bumps_updated_keeps_the_id_and_shows_the_correction(
    engine: Engine, web: Served, fmt: str
) -> None:
    _put(engine, draft(status="Ongoing", recall_class="II"))
    before = _entries(web.get(f"/feeds/alerts.{fmt}"), fmt)[0]
    later = NOW + timedelta(days=2)
    _put(engine, draft(status="Ongoing", recall_class="I"), now=later)
    after = _entries(web.get(f"/feeds/alerts.{fmt}"), fmt)[0]
    assert after["id"] == before["id"]
    assert after["updated"] == later > before["updated"]
    assert "Updated 2026-03-04" in after["text"] and "II → I" in after["text"]


HOSTILE_TITLE = (
    "<script>alert('x')</script> Tom & Jerry's \x07\x1b kratom \u202egnirts\u202c "
    "]]> " + "long " * 2000
)


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_titles_and_summaries_come_out_escaped_and_valid(
    engine: Engine, web: Served, fmt: str
) -> None:
    summary = "<img src=x onerror=alert(1)> & <b>bold</b> \x0c\u2066 end"
    _put(engine, draft(title=HOSTILE_TITLE, summary=summary, firms=["A&B <Labs>"]))
    response = web.get(f"/feeds/alerts.{fmt}")
    body = response.content
    assert b"<script>" not in body and b"<img" not in body
    if fmt != "json":
        ET.fromstring(body)  # well-formed XML
    title = _entries(response, fmt)[0]["title"]
    assert title.startswith("<script>alert('x')</script> Tom & Jerry's kratom gnirts ]]>")
    assert len(title) <= 300 and title.endswith("…")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\u202a-\u202e\u2066-\u2069]", body.decode())


def test_conditional_get_answers_304_until_the_alerts_change(engine: Engine, web: Served) -> None:
    _put(engine, *_recalls(2))
    first = web.get("/feeds/alerts.atom")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert first.headers["cache-control"] == feeds.CACHE_CONTROL
    assert web.get("/feeds/alerts.atom", headers={"If-None-Match": etag}).status_code == 304
    assert web.get("/feeds/alerts.atom", headers={"If-Modified-Since": modified}).status_code == 304
    stale = format_datetime(NOW - timedelta(days=1), usegmt=True)
    assert web.get("/feeds/alerts.atom", headers={"If-Modified-Since": stale}).status_code == 200
    other = web.get("/feeds/alerts.atom?kind=recall", headers={"If-None-Match": etag})
    assert other.status_code == 200  # another view has another ETag

    _put(engine, draft(uid="new", url="https://www.fda.gov/new", title="A new kratom recall"),
         now=NOW + timedelta(minutes=5))  # fmt: skip
    changed = web.get("/feeds/alerts.atom", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert "A new kratom recall" in changed.text


def test_a_warm_feed_is_served_from_memory_and_dropped_when_alerts_change(
    engine: Engine, tmp_path: Path
) -> None:
    cache = feeds.FeedCache()
    ctx = WebContext(engine=engine, sources=[], settings=_settings(tmp_path))
    app = create_app(ctx)
    app.router.routes[:0] = feeds.routes(ctx, cache)  # the same routes, with a cache we can see
    _put(engine, *_recalls(2))
    with serve(app) as web:
        bodies = [web.get("/feeds/alerts.rss").content for _ in range(5)]
        assert (cache.renders, cache.hits) == (1, 4) and len(set(bodies)) == 1
        _put(engine, draft(uid="n", url="https://www.fda.gov/n", title="Fresh kratom alert"),
             now=NOW + timedelta(minutes=1))  # fmt: skip
        fresh = web.get("/feeds/alerts.rss")
    assert cache.renders == 2 and b"Fresh kratom alert" in fresh.content


def test_gzip_is_sent_to_clients_that_accept_it(engine: Engine, web: Served) -> None:
    _put(engine, *_recalls(20))
    plain = web.get("/feeds/alerts.atom", headers={"Accept-Encoding": "identity"})
    assert web.client is not None
    raw = web.client.build_request("GET", "/feeds/alerts.atom", headers={"Accept-Encoding": "gzip"})
    zipped = web.client.send(raw, stream=True)
    compressed = b"".join(zipped.iter_raw())
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(compressed) == plain.content
    assert zipped.headers["etag"] != plain.headers["etag"]
    again = web.get("/feeds/alerts.atom", headers={"If-None-Match": zipped.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("fmt", FORMATS)
def test_history_pages_follow_rel_next_to_the_oldest_alert(
    engine: Engine, web: Served, fmt: str
) -> None:
    with Session(engine) as session:
        for n, item in enumerate(_recalls(120)):
            store.upsert(session, [item], now=NOW + timedelta(seconds=n // 3))
        store.mark_changed(session, now=NOW)
        session.commit()
    seen: list[str] = []
    url: str | None = f"/feeds/alerts.{fmt}"
    pages = 0
    while url:
        response = web.get(url.removeprefix(BASE))
        pages += 1
        if fmt == "json":
            data = response.json()
            seen += [i["id"] for i in data["items"]]
            url = data.get("next_url")
        else:
            parsed = _parsed(response)
            seen += [e.id for e in parsed.entries]
            url = next((link.href for link in parsed.feed.links if link.rel == "next"), None)
    assert pages == 3 and len(seen) == 120 and len(set(seen)) == 120


def test_filters_narrow_a_feed_and_bad_ones_are_refused(engine: Engine, web: Served) -> None:
    _put(
        engine,
        draft(uid="a", url="https://www.fda.gov/a", kind="recall", severity="high",
              jurisdiction="US", regions=["US-TX"]),
        draft(uid="b", url="https://www.fda.gov/b", kind="advisory", severity="moderate"),
        draft(uid="c", url="https://www.fda.gov/c", kind="recall", severity="low",
              jurisdiction="CA", hazards=["heavy_metals"]),
    )  # fmt: skip

    def ids(query: str) -> list[str]:
        return sorted(e.link.rsplit("/", 1)[1] for e in _parsed(web.get(query)).entries)

    assert len(ids("/feeds/alerts.atom?kind=recall")) == 2
    assert len(ids("/feeds/alerts.atom?jurisdiction=US-FL")) == 1  # b: country-wide
    assert len(ids("/feeds/alerts.atom?jurisdiction=US-TX")) == 2
    assert len(ids("/feeds/alerts.atom?hazard=heavy_metals&min_severity=low")) == 1
    assert ids("/feeds/alerts.atom?min_severity=high") == ids(
        "/feeds/alerts.atom?kind=recall&jurisdiction=US"
    )
    for bad in ("kind=rumour", "jurisdiction=Florida", "before=xyz", "utm_source=x"):
        response = web.get(f"/feeds/alerts.rss?{bad}")
        assert response.status_code == 400 and "Bad feed parameters" in response.text
