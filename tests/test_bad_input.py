"""Bad agency input: each kind gets a clear error on the source, nothing wrong is stored,
and the other sources still poll."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from alerts.models import Alert, AlertRevision, PollRun, SourceState
from monitor.http import make_client
from monitor.poll import poll_many, poll_source
from sources.registry import get
from tests.agency import Agency, Reply
from tests.factories import enforcement_record, kratom_item, openfda, rss

RSS_TYPE = {"Content-Type": "application/rss+xml"}
JSON_TYPE = {"Content-Type": "application/json"}
GOOD_FEED = rss(kratom_item(1))

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY a "kratom kratom kratom kratom kratom kratom kratom kratom kratom kratom">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
]>
<rss version="2.0"><channel><title>t</title><item><title>&f;</title><link>http://www.fda.gov/x</link></item></channel></rss>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>t</title><item><title>Kratom &secret;</title>
<link>http://www.fda.gov/y</link></item></channel></rss>"""

BOT_WALL = (
    b"<!DOCTYPE html><html><head><title>FDA Apology</title></head>"
    b"<body>We are sorry: your request looks automated.</body></html>"
)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(user_agent="kratom-monitor/test", timeout=1.0) as c:
        yield c


def _poll_bad_and_good(
    engine: Engine, agency: Agency, client: httpx.Client, bad_url: str, bad_key: str = "fda_recalls"
) -> str:
    """Poll a bad source then a good one; return the bad source's recorded error."""
    good_url = agency.serve("/good", Reply(GOOD_FEED, headers=RSS_TYPE))
    bad, good = poll_many(
        [get(bad_key), get("fda_food_safety_recalls")],
        engine=engine,
        client=client,
        urls={bad_key: bad_url, "fda_food_safety_recalls": good_url},
    )
    assert bad.outcome == "error" and bad.error
    assert (good.outcome, good.new) == ("ok", 1)
    with Session(engine) as session:
        state = session.get_one(SourceState, bad_key)
        run = session.exec(select(PollRun).where(PollRun.source == bad_key)).one()
        bad_alerts = session.exec(select(Alert).where(Alert.source == bad_key)).all()
    assert state.last_error == bad.error and state.consecutive_failures == 1
    assert state.status == "degraded" and state.last_success_at is None
    assert run.outcome == "error" and run.error == bad.error
    assert bad_alerts == []
    return bad.error


def test_malformed_xml_is_a_parse_error(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    body = GOOD_FEED.replace(b"</item>", b"</itm>", 1)
    error = _poll_bad_and_good(
        engine, agency, client, agency.serve("/bad", Reply(body, headers=RSS_TYPE))
    )
    assert error.startswith("malformed feed")


def test_truncated_xml_stores_no_partial_items(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    body = rss(kratom_item(1), kratom_item(2))
    error = _poll_bad_and_good(
        engine,
        agency,
        client,
        agency.serve("/bad", Reply(body[: len(body) // 2 + 40], headers=RSS_TYPE)),
    )
    assert "malformed feed" in error


def test_truncated_json_is_a_parse_error(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    body = openfda(enforcement_record())[:-25]
    error = _poll_bad_and_good(
        engine,
        agency,
        client,
        agency.serve("/bad", Reply(body, headers=JSON_TYPE)),
        "openfda_food_enforcement",
    )
    assert error.startswith("invalid JSON at line")


def test_invalid_utf8_json_is_refused_with_the_byte_offset(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    body = openfda(enforcement_record(reason_for_recall="Kratom caf\u00e9")).replace(
        b"\\u00e9", b"\xe9"
    )
    assert b"caf\xe9" in body
    error = _poll_bad_and_good(
        engine,
        agency,
        client,
        agency.serve("/bad", Reply(body, headers=JSON_TYPE)),
        "openfda_food_enforcement",
    )
    assert "not valid UTF-8 at byte" in error


def test_invalid_utf8_in_a_feed_declared_utf8_is_refused(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    body = rss(
        (
            "Kratom recall \xff\xfe",
            "http://www.fda.gov/k",
            "Kratom.",
            "Wed, 12 Mar 2025 09:15:00 EDT",
        )
    )
    body = body.replace("\xff\xfe".encode(), b"\xff\xfe")
    error = _poll_bad_and_good(
        engine, agency, client, agency.serve("/bad", Reply(body, headers=RSS_TYPE))
    )
    assert "malformed feed" in error and "Encoding" in error


def test_entity_bomb_is_refused_before_expansion(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    error = _poll_bad_and_good(
        engine, agency, client, agency.serve("/bad", Reply(BILLION_LAUGHS, headers=RSS_TYPE))
    )
    assert "entit" in error


def test_external_entity_is_refused_and_never_resolved(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    error = _poll_bad_and_good(
        engine, agency, client, agency.serve("/bad", Reply(EXTERNAL_ENTITY, headers=RSS_TYPE))
    )
    assert "entit" in error
    with Session(engine) as session:
        assert all(
            "root:" not in (r.raw.get("title") or "") for r in session.exec(select(AlertRevision))
        )


def test_fifty_megabyte_body_is_cut_off_at_the_cap(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    chunk = b"<!-- padding -->" * 4096  # 64 KiB
    endless = (chunk for _ in range(800))  # 50 MiB, streamed without Content-Length
    error = _poll_bad_and_good(
        engine, agency, client, agency.serve("/big", Reply(headers=RSS_TYPE, chunks=endless))
    )
    assert "exceeds the 26,214,400-byte cap" in error


def test_declared_length_over_the_cap_is_refused_without_reading(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    big = b" " * (26 * 1024 * 1024)
    error = _poll_bad_and_good(
        engine, agency, client, agency.serve("/big", Reply(big, headers=RSS_TYPE))
    )
    assert "exceeds the 26,214,400-byte cap" in error


def test_html_bot_wall_instead_of_xml_is_an_error_not_an_empty_feed(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    error = _poll_bad_and_good(
        engine,
        agency,
        client,
        agency.serve("/bad", Reply(BOT_WALL, headers={"Content-Type": "text/html"})),
    )
    assert "HTML page where XML was expected" in error and "FDA Apology" in error


def test_redirect_to_the_apology_page_is_an_error(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    agency.serve(
        "/apology_objects/abuse-detection-apology.html",
        Reply(BOT_WALL, headers={"Content-Type": "text/html"}),
    )
    url = agency.serve(
        "/bad",
        Reply(status=302, headers={"Location": "/apology_objects/abuse-detection-apology.html"}),
    )
    assert "bot wall" in _poll_bad_and_good(engine, agency, client, url)


def test_json_expected_but_html_served_is_an_error(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    error = _poll_bad_and_good(
        engine,
        agency,
        client,
        agency.serve("/bad", Reply(BOT_WALL, headers={"Content-Type": "text/html"})),
        "openfda_food_enforcement",
    )
    assert "HTML page where JSON was expected" in error


def test_empty_200_is_an_error(engine: Engine, agency: Agency, client: httpx.Client) -> None:
    error = _poll_bad_and_good(
        engine, agency, client, agency.serve("/bad", Reply(b"", headers=RSS_TYPE))
    )
    assert error == "empty body (HTTP 200) where XML was expected"


def test_rate_limit_429_records_the_retry_after(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    url = agency.serve("/bad", Reply(b"slow down", status=429, headers={"Retry-After": "120"}))
    error = _poll_bad_and_good(engine, agency, client, url, "openfda_food_enforcement")
    assert error == "rate limited (HTTP 429); retry after 120 s"


def test_server_error_500_is_recorded(engine: Engine, agency: Agency, client: httpx.Client) -> None:
    error = _poll_bad_and_good(
        engine, agency, client, agency.serve("/bad", Reply(b"oops", status=500))
    )
    assert error.startswith("HTTP 500 from")


def test_timeout_is_recorded(engine: Engine, agency: Agency, client: httpx.Client) -> None:
    error = _poll_bad_and_good(
        engine, agency, client, agency.serve("/slow", Reply(GOOD_FEED, headers=RSS_TYPE, delay=2.5))
    )
    assert error.startswith("timed out (ReadTimeout)")


def test_dead_server_is_recorded(engine: Engine, agency: Agency, client: httpx.Client) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = _poll_bad_and_good(engine, agency, client, f"http://127.0.0.1:{port}/feed")
    assert error.startswith("connection failed (ConnectError")


def test_wrong_shape_json_is_a_parse_error(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    error = _poll_bad_and_good(
        engine,
        agency,
        client,
        agency.serve("/bad", Reply(b'{"results": {"oops": 1}}', headers=JSON_TYPE)),
        "openfda_food_enforcement",
    )
    assert error == "expected a JSON array for openFDA results, got dict"


def test_a_failed_poll_keeps_earlier_alerts_and_counts_consecutive_failures(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    url = agency.serve("/rss", Reply(GOOD_FEED, headers=RSS_TYPE), Reply(b"oops", status=500))
    source = get("fda_recalls")
    assert poll_source(source, engine=engine, client=client, url=url).new == 1
    for _ in range(3):
        assert poll_source(source, engine=engine, client=client, url=url).outcome == "error"
    with Session(engine) as session:
        state = session.get_one(SourceState, "fda_recalls")
        assert len(session.exec(select(Alert)).all()) == 1
    assert state.consecutive_failures == 3 and state.status == "failing"
    assert state.last_success_at is not None
