"""FTC and DEA press-release feeds, and dea.gov's bot wall.

Fixtures: ``tests/fixtures/ftc_press_releases/``, ``tests/fixtures/dea_press_releases/``
(Drupal-style feeds, Akamai- and Cloudflare-like refusal pages); the timeline replay files
in ``monitor/demo/timeline/`` are checked against their ``expected.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from alerts.classify import classify
from alerts.draft import AlertDraft
from monitor.http import FetchError, fetch, make_client
from sources import dea_press_releases, ftc_press_releases
from sources.base import ParseError
from tests.agency import Agency, Reply

FIXTURES = Path(__file__).parent / "fixtures"
TIMELINE = Path(__file__).resolve().parent.parent / "monitor" / "demo" / "timeline"
FTC_RELEASES = "https://www.ftc.gov/news-events/news/press-releases/"
JOINT = FTC_RELEASES + (
    "2022/06/ftc-fda-send-joint-warning-letters-companies-selling-kratom-opioid-addiction-claims"
)
CONSUMER_ALERT = FTC_RELEASES + (
    "2027/02/ftc-consumer-alert-claims-kratom-ends-opioid-cravings-lack-evidence"
)
INTENT = "https://www.dea.gov/press-releases/2016/08/30/dea-announces-intent-schedule-kratom"
SEVEN_OH = (
    "https://www.dea.gov/press-releases/2027/03/04/"
    "dea-warns-retailers-about-concentrated-7-oh-tablets-sold-kratom"
)
REFUSED_403 = (
    "dea.gov refused a non-browser client (HTTP 403, bot protection); "
    "the source cannot be polled from a server without a browser"
)
HTML = {"Content-Type": "text/html; charset=utf-8"}


def fixture(key: str, name: str) -> bytes:
    return (FIXTURES / key / name).read_bytes()


def classified(key: str, content: bytes) -> dict[str, AlertDraft]:
    parse = {
        "ftc_press_releases": ftc_press_releases.parse,
        "dea_press_releases": dea_press_releases.parse,
    }[key]
    return {d.uid: classify(d) for d in parse(content)}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(user_agent="kratom-monitor/test", timeout=2.0) as c:
        yield c


# ------------------------------------------------------------------------------- FTC


def test_ftc_feed_keeps_kratom_releases_and_skips_kratos_and_other_warning_letters() -> None:
    content = fixture("ftc_press_releases", "basic.xml")
    drafts = classified("ftc_press_releases", content)

    assert content.count(b"<item>") == 4
    assert b"Kratos Rewards" in content and b"Hangover Cures" in content
    assert list(drafts) == [CONSUMER_ALERT, JOINT]
    assert {d.agency for d in drafts.values()} == {"FTC"}


def test_a_release_about_joint_fda_ftc_warning_letters_becomes_ftc_joint() -> None:
    drafts = classified("ftc_press_releases", fixture("ftc_press_releases", "basic.xml"))

    assert drafts[JOINT].kind == "ftc_joint"
    assert drafts[JOINT].severity == "moderate"
    assert "Klarity Kratom" in drafts[JOINT].summary


def test_an_ftc_kratom_release_without_warning_letters_stays_an_advisory() -> None:
    drafts = classified("ftc_press_releases", fixture("ftc_press_releases", "basic.xml"))

    assert drafts[CONSUMER_ALERT].kind == "advisory"


def test_ftc_alerts_are_keyed_on_the_release_link_not_the_drupal_guid() -> None:
    drafts = classified("ftc_press_releases", fixture("ftc_press_releases", "basic.xml"))

    assert drafts[JOINT].raw["guid"] == "100342 at https://www.ftc.gov"
    assert drafts[JOINT].uid == drafts[JOINT].url == JOINT


def test_a_truncated_ftc_feed_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="malformed feed"):
        ftc_press_releases.parse(fixture("ftc_press_releases", "truncated.xml"))


# ------------------------------------------------------------------------------- DEA


def test_dea_feed_keeps_kratom_and_7oh_releases_and_skips_other_drug_news() -> None:
    content = fixture("dea_press_releases", "basic.xml")
    drafts = classified("dea_press_releases", content)

    assert content.count(b"<item>") == 4
    assert list(drafts) == [SEVEN_OH, INTENT]
    assert "7-OH" in drafts[SEVEN_OH].matched_terms
    assert {d.agency for d in drafts.values()} == {"DEA"}


def test_the_announcement_of_intent_to_schedule_kratom_is_a_scheduling_alert() -> None:
    intent = classified("dea_press_releases", fixture("dea_press_releases", "basic.xml"))[INTENT]

    assert intent.kind == "scheduling"
    assert intent.matched_terms == ["kratom", "mitragynine", "7-hydroxymitragynine"]
    assert intent.uid == intent.url == INTENT


def test_a_dea_warning_that_schedules_nothing_is_an_advisory_not_a_scheduling_alert() -> None:
    warning = classified("dea_press_releases", fixture("dea_press_releases", "basic.xml"))[SEVEN_OH]

    assert warning.kind == "advisory"
    assert warning.hazards == ["7oh_potency"]


def test_an_akamai_access_denied_403_is_explained_as_dea_refusing_non_browser_clients() -> None:
    page = fixture("dea_press_releases", "bot_wall_access_denied.html")

    assert dea_press_releases.explain_refusal(403, page) == REFUSED_403


def test_a_cloudflare_like_challenge_is_recognised_with_a_403_and_with_a_200() -> None:
    page = fixture("dea_press_releases", "bot_wall_challenge.html")

    assert dea_press_releases.explain_refusal(403, page) == REFUSED_403
    challenged = dea_press_releases.explain_refusal(200, page)
    assert challenged is not None
    assert "challenge page instead of the feed (HTTP 200)" in challenged


def test_responses_that_are_no_bot_wall_get_no_refusal_message() -> None:
    not_found = fixture("dea_press_releases", "not_found.html")
    feed = fixture("dea_press_releases", "basic.xml")

    assert dea_press_releases.explain_refusal(404, not_found) is None
    assert dea_press_releases.explain_refusal(200, not_found) is None
    assert dea_press_releases.explain_refusal(403, feed) is None
    assert dea_press_releases.explain_refusal(403, b"") is None
    assert dea_press_releases.explain_refusal(403, b'{"error": "forbidden"}') is None


def test_a_hostile_page_is_read_quickly_and_its_scripts_never_count_as_text() -> None:
    hostile = (
        b"<!DOCTYPE html><html><head><title>Home</title></head><body>"
        + b'<div data-x="'
        + b"A" * 3_000_000
        + b'">'
        + b"<script>document.write('access denied')</script><p>Welcome</p></body></html>"
    )
    started = time.monotonic()

    assert dea_press_releases.explain_refusal(200, hostile) is None
    assert time.monotonic() - started < 2.0


def test_a_bot_wall_reaching_the_parser_is_a_parse_error_saying_so() -> None:
    for name in ("bot_wall_access_denied.html", "bot_wall_challenge.html"):
        with pytest.raises(ParseError, match="bot-protection page instead of the feed"):
            dea_press_releases.parse(fixture("dea_press_releases", name))


def test_a_feed_declaring_an_external_entity_is_refused_before_resolution() -> None:
    with pytest.raises(ParseError, match="declares XML entities"):
        dea_press_releases.parse(fixture("dea_press_releases", "entities.xml"))


def test_the_fetch_layer_fails_on_the_403_wall_and_the_same_body_explains_it(
    agency: Agency, client: httpx.Client
) -> None:
    page = fixture("dea_press_releases", "bot_wall_access_denied.html")
    url = agency.serve("/press-releases/rss", Reply(page, status=403, headers=HTML))

    with pytest.raises(FetchError) as failure:
        fetch(client, url, expect="xml", max_bytes=1_000_000)

    assert failure.value.status == 403
    assert dea_press_releases.explain_refusal(failure.value.status or 0, page) == REFUSED_403


def test_the_fetch_layer_fails_on_a_challenge_page_served_with_200(
    agency: Agency, client: httpx.Client
) -> None:
    page = fixture("dea_press_releases", "bot_wall_challenge.html")
    url = agency.serve("/press-releases/rss", Reply(page, headers=HTML))

    with pytest.raises(FetchError, match="HTML page where XML was expected"):
        fetch(client, url, expect="xml", max_bytes=1_000_000)


def test_the_dea_source_says_in_its_catalog_line_that_dea_gov_refuses_bots() -> None:
    source = dea_press_releases.SOURCE

    assert "403" in source.covers and "non-browser" in source.covers
    assert (source.agency, source.kind_hint, source.format) == ("DEA", "scheduling", "xml")


# --------------------------------------------------------------------- timeline replay


@pytest.mark.parametrize("key", ["ftc_press_releases", "dea_press_releases"])
def test_every_expected_timeline_event_comes_out_of_the_file_for_its_date(key: str) -> None:
    expected = json.loads((TIMELINE / key / "expected.json").read_text())

    assert expected
    for row in expected:
        drafts = classified(key, (TIMELINE / key / f"{row['date']}.xml").read_bytes())
        hits = [d for d in drafts.values() if row["uid_contains"] in d.uid]
        assert len(hits) == 1, row
        assert (hits[0].kind, hits[0].agency) == (row["kind"], row["agency"]), row
