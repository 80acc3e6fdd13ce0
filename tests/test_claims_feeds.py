"""A content site's feed watched like a source: new items fetched, annotated and stored once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from alerts.models import ClaimDocument
from monitor.claims_jobs import FeedWatch
from monitor.settings import load
from tests.agency import Agency, Reply
from tests.claimkit import NOW, VENDOR_PAGE, add_alert
from tests.factories import rss

HTML = {"Content-Type": "text/html"}
SECOND = "<html><body><article><p>Our capsules melt away back pain.</p></article></body></html>"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as made:
        yield made


def _feed(agency: Agency, *paths: str, etag: str = '"v1"') -> str:
    items = [
        (f"Post {p}", agency.base + p, "A post.", "Mon, 02 Mar 2026 10:00:00 GMT") for p in paths
    ]
    headers = {"Content-Type": "application/rss+xml", "ETag": etag}
    return agency.serve("/feed.xml", Reply(rss(*items), headers=headers))


def _documents(engine: Engine) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(ClaimDocument).order_by(col(ClaimDocument.id))).all()
        return [
            (d.url.removeprefix(d.via.removesuffix("/feed.xml")), d.source_kind, d.title)
            for d in rows
        ]


def test_new_feed_items_are_annotated_once_and_the_feed_is_polled_conditionally(
    engine: Engine, agency: Agency, client: httpx.Client, tmp_path: Path
) -> None:
    add_alert(engine, 1, kind="advisory", on="2017-11-14", title="Advisory")
    agency.serve("/one", Reply(VENDOR_PAGE.encode(), headers=HTML))
    agency.serve("/two", Reply(SECOND.encode(), headers=HTML))
    feed = _feed(agency, "/one", "/two")
    settings = load(
        {"KM_DATA_DIR": str(tmp_path), "KM_ANNOTATE_FEEDS": feed,
         "KM_ANNOTATE_ALLOW_PRIVATE": "1", "KM_ANNOTATE_EVERY_SECONDS": "600"}
    )  # fmt: skip
    clock = Clock()
    watch = FeedWatch(engine, client, settings, clock=clock)
    assert watch.tick() == 2
    assert _documents(engine) == [
        ("/one", "feed", "Our Customers Speak"), ("/two", "feed", "Post /two")
    ]  # fmt: skip
    assert watch.tick() == 0  # not due yet: no request at all
    assert [r.path for r in agency.requests].count("/feed.xml") == 1

    agency.serve("/feed.xml", Reply(status=304))
    clock.now += timedelta(minutes=11)
    assert watch.tick() == 0
    assert agency.requests[-1].headers["if-none-match"] == '"v1"'

    agency.serve(
        "/three",
        Reply(b"<p>Kratom is totally safe and you cannot overdose on it.</p>", headers=HTML),
    )
    _feed(agency, "/one", "/two", "/three", etag='"v2"')
    clock.now += timedelta(minutes=11)
    assert watch.tick() == 1
    fetched = [r.path for r in agency.requests if r.path != "/feed.xml"]
    assert fetched == ["/one", "/two", "/three"]  # stored items are never fetched again


def test_a_failing_item_is_skipped_and_retried_and_a_refused_feed_is_recorded(
    engine: Engine, agency: Agency, client: httpx.Client, tmp_path: Path
) -> None:
    agency.serve("/broken", Reply(b"gone", status=500), Reply(SECOND.encode(), headers=HTML))
    feed = _feed(agency, "/broken")
    env = {
        "KM_DATA_DIR": str(tmp_path),
        "KM_ANNOTATE_FEEDS": feed,
        "KM_ANNOTATE_EVERY_SECONDS": "1",
    }
    refused = FeedWatch(engine, client, load(env))
    assert refused.tick() == 0
    assert "loopback address" in (refused.states[feed].last_error or "")
    assert agency.requests == []

    clock = Clock()
    watch = FeedWatch(engine, client, load({**env, "KM_ANNOTATE_ALLOW_PRIVATE": "1"}), clock=clock)
    assert watch.tick() == 0 and watch.states[feed].last_error is None
    _feed(agency, "/broken", etag='"v2"')
    clock.now += timedelta(seconds=2)
    assert watch.tick() == 1
    assert [kind for _, kind, _ in _documents(engine)] == ["feed"]
