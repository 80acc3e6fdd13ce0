"""One poll end to end over real HTTP on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from alerts.models import Alert, AlertRevision, Evidence, Incident, PollRun, SourceState
from monitor.http import make_client
from monitor.poll import poll_many, poll_source
from sources.registry import get
from tests.agency import Agency, Reply
from tests.factories import enforcement_record, kratom_item, openfda, other_item, rss

RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}
JSON_TYPE = {"Content-Type": "application/json"}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(
        user_agent="kratom-monitor/test (+https://example.org/contact)", timeout=5
    ) as c:
        yield c


def test_poll_stores_only_kratom_items_of_a_general_feed(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    url = agency.serve(
        "/rss",
        Reply(rss(other_item(1), kratom_item(1), other_item(2), kratom_item(2)), headers=RSS_TYPE),
    )
    outcome = poll_source(get("fda_recalls"), engine=engine, client=client, url=url)
    assert (outcome.outcome, outcome.new, outcome.items) == ("ok", 2, 2)
    with Session(engine) as session:
        alerts = session.exec(select(Alert).order_by(Alert.uid)).all()
        state = session.get_one(SourceState, "fda_recalls")
        run = session.exec(select(PollRun)).one()
    assert [a.uid for a in alerts] == [
        "https://www.fda.gov/safety/recalls/leafline-kratom-1",
        "https://www.fda.gov/safety/recalls/leafline-kratom-2",
    ]
    assert alerts[0].hazards == ["salmonella"] and alerts[0].severity == "high"
    assert alerts[0].firms == ["Leafline Botanicals"]
    assert state.status == "ok" and state.items_seen == 2 and state.last_success_at is not None
    assert run.outcome == "ok" and run.new == 2 and run.error is None


def test_second_poll_of_same_feed_is_all_unchanged(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    url = agency.serve(
        "/rss",
        Reply(rss(kratom_item(1), kratom_item(2)), headers=RSS_TYPE),
        # The feed moved on (a new non-kratom item), so the bytes differ: parsed again.
        Reply(rss(other_item(9), kratom_item(1), kratom_item(2)), headers=RSS_TYPE),
    )
    poll_source(get("fda_recalls"), engine=engine, client=client, url=url)
    again = poll_source(get("fda_recalls"), engine=engine, client=client, url=url)
    assert (again.new, again.revised, again.unchanged) == (0, 0, 2)
    with Session(engine) as session:
        assert len(session.exec(select(AlertRevision)).all()) == 2
        assert len(session.exec(select(Evidence)).all()) == 1


def test_poll_keeps_evidence_with_hash_validators_and_url(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    body = rss(kratom_item(1))
    url = agency.serve(
        "/rss",
        Reply(
            body,
            headers={**RSS_TYPE, "ETag": '"v1"', "Last-Modified": "Wed, 12 Mar 2025 14:00:00 GMT"},
        ),
    )
    poll_source(get("fda_recalls"), engine=engine, client=client, url=url)
    import hashlib
    import zlib

    with Session(engine) as session:
        evidence = session.exec(select(Evidence)).one()
        revision = session.exec(select(AlertRevision)).one()
    assert evidence.sha256 == hashlib.sha256(body).hexdigest()
    assert evidence.etag == '"v1"' and evidence.last_modified == "Wed, 12 Mar 2025 14:00:00 GMT"
    assert evidence.url == url and evidence.retrieved_at.tzinfo is not None
    assert evidence.body is not None and zlib.decompress(evidence.body) == body
    assert revision.evidence_id == evidence.id
    assert revision.raw["link"] == "http://www.fda.gov/safety/recalls/leafline-kratom-1"


def test_conditional_get_sends_validators_and_304_leaves_alerts_untouched(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    url = agency.serve(
        "/rss",
        Reply(
            rss(kratom_item(1)),
            headers={**RSS_TYPE, "ETag": '"abc"', "Last-Modified": "Wed, 12 Mar 2025 14:00:00 GMT"},
        ),
        Reply(b"", status=304),
    )
    poll_source(get("fda_recalls"), engine=engine, client=client, url=url)
    second = poll_source(get("fda_recalls"), engine=engine, client=client, url=url)
    assert second.outcome == "not_modified"
    assert agency.requests[1].headers["if-none-match"] == '"abc"'
    assert agency.requests[1].headers["if-modified-since"] == "Wed, 12 Mar 2025 14:00:00 GMT"
    with Session(engine) as session:
        assert len(session.exec(select(Alert)).all()) == 1
        assert session.get_one(SourceState, "fda_recalls").status == "ok"


def test_requests_name_the_project_and_accept_compression(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    url = agency.serve("/rss", Reply(rss(kratom_item(1)), headers=RSS_TYPE, gzip=True))
    outcome = poll_source(get("fda_recalls"), engine=engine, client=client, url=url)
    assert outcome.new == 1
    seen = agency.requests[0].headers
    assert (
        seen["user-agent"].startswith("kratom-monitor/")
        and "https://example.org/contact" in seen["user-agent"]
    )
    assert "gzip" in seen["accept-encoding"]


def test_redirects_are_followed(engine: Engine, agency: Agency, client: httpx.Client) -> None:
    agency.serve("/moved", Reply(status=301, headers={"Location": "/rss"}))
    agency.serve("/rss", Reply(rss(kratom_item(1)), headers=RSS_TYPE))
    outcome = poll_source(
        get("fda_recalls"), engine=engine, client=client, url=agency.base + "/moved"
    )
    assert outcome.outcome == "ok" and outcome.new == 1


def test_openfda_not_found_means_no_results_not_an_error(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    body = json.dumps({"error": {"code": "NOT_FOUND", "message": "No matches found!"}}).encode()
    url = agency.serve("/enf", Reply(body, status=404, headers=JSON_TYPE))
    outcome = poll_source(get("openfda_drug_enforcement"), engine=engine, client=client, url=url)
    assert (outcome.outcome, outcome.new, outcome.error) == ("ok", 0, None)


def test_openfda_pages_by_skip_until_total_is_reached(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    first = openfda(
        enforcement_record(recall_number="F-0001-2025"),
        enforcement_record(recall_number="F-0002-2025"),
        total=3,
    )
    second = openfda(enforcement_record(recall_number="H-0003-2026"), skip=2, total=3)
    agency.serve("/enf?search=x&limit=2", Reply(first, headers=JSON_TYPE))
    agency.serve("/enf?search=x&limit=2&skip=2", Reply(second, headers=JSON_TYPE))
    outcome = poll_source(
        get("openfda_food_enforcement"),
        engine=engine,
        client=client,
        url=agency.base + "/enf?search=x&limit=2",
    )
    assert (outcome.pages, outcome.new) == (2, 3)
    with Session(engine) as session:
        assert sorted(a.uid for a in session.exec(select(Alert))) == [
            "F-0001-2025",
            "F-0002-2025",
            "H-0003-2026",
        ]


def test_openfda_follows_the_link_header_for_search_after(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    agency.serve(
        "/enf",
        Reply(
            openfda(enforcement_record(recall_number="F-0001-2025"), total=30000),
            headers={**JSON_TYPE, "Link": f'<{agency.base}/enf-next?search_after=abc>; rel="next"'},
        ),
    )
    agency.serve(
        "/enf-next",
        Reply(
            openfda(enforcement_record(recall_number="F-0002-2025"), skip=0, total=1),
            headers=JSON_TYPE,
        ),
    )
    outcome = poll_source(
        get("openfda_food_enforcement"), engine=engine, client=client, url=agency.base + "/enf"
    )
    assert (outcome.pages, outcome.new) == (2, 2)


def test_federal_register_follows_next_page_url(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    doc = lambda n, title: {  # noqa: E731
        "document_number": n,
        "title": title,
        "type": "Proposed Rule",
        "publication_date": "2016-08-31",
        "abstract": "The DEA intends to place mitragynine and 7-hydroxymitragynine in schedule I.",
        "agencies": [
            {"slug": "drug-enforcement-administration", "name": "Drug Enforcement Administration"}
        ],
        "html_url": f"https://www.federalregister.gov/documents/2016/08/31/{n}/x",
    }
    agency.serve(
        "/fr",
        Reply(
            json.dumps(
                {
                    "count": 2,
                    "next_page_url": agency.base + "/fr2",
                    "results": [doc("2016-20803", "Temporary Placement of Mitragynine")],
                }
            ).encode(),
            headers=JSON_TYPE,
        ),
    )
    agency.serve(
        "/fr2",
        Reply(
            json.dumps(
                {
                    "count": 2,
                    "next_page_url": None,
                    "results": [doc("2016-24659", "Withdrawal of Notice")],
                }
            ).encode(),
            headers=JSON_TYPE,
        ),
    )
    outcome = poll_source(
        get("federal_register"), engine=engine, client=client, url=agency.base + "/fr"
    )
    assert (outcome.pages, outcome.new) == (2, 2)
    with Session(engine) as session:
        alerts = session.exec(select(Alert)).all()
    assert {a.agency for a in alerts} == {"DEA"} and {a.kind for a in alerts} == {"scheduling"}


def test_enforcement_status_change_makes_a_revision(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    url = agency.serve(
        "/enf",
        Reply(openfda(enforcement_record()), headers=JSON_TYPE),
        Reply(
            openfda(enforcement_record(status="Terminated", termination_date="20250801")),
            headers=JSON_TYPE,
        ),
    )
    poll_source(get("openfda_food_enforcement"), engine=engine, client=client, url=url)
    second = poll_source(get("openfda_food_enforcement"), engine=engine, client=client, url=url)
    assert (second.new, second.revised) == (0, 1)
    with Session(engine) as session:
        alert = session.exec(select(Alert)).one()
        last = session.exec(select(AlertRevision).where(AlertRevision.revision == 2)).one()
    assert alert.status == "terminated" and alert.revision == 2
    assert {
        "field": "status",
        "op": "changed",
        "old": "ongoing",
        "new": "terminated",
    } in last.changes


def test_rss_notice_then_openfda_record_become_one_incident(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    rss_url = agency.serve("/rss", Reply(rss(kratom_item(1)), headers=RSS_TYPE))
    enf_url = agency.serve("/enf", Reply(openfda(enforcement_record()), headers=JSON_TYPE))
    outcomes = poll_many(
        [get("fda_recalls"), get("openfda_food_enforcement")],
        engine=engine,
        client=client,
        urls={"fda_recalls": rss_url, "openfda_food_enforcement": enf_url},
    )
    assert [o.new for o in outcomes] == [1, 1]
    with Session(engine) as session:
        incident = session.exec(select(Incident)).one()
        assert {a.incident_id for a in session.exec(select(Alert))} == {incident.id}


def test_identical_bytes_without_validators_are_not_parsed_again(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    url = agency.serve("/rss", Reply(rss(kratom_item(1)), headers=RSS_TYPE))
    assert poll_source(get("fda_recalls"), engine=engine, client=client, url=url).new == 1
    again = poll_source(get("fda_recalls"), engine=engine, client=client, url=url)
    assert (again.outcome, again.items, again.unchanged) == ("not_modified", 0, 0)
    with Session(engine) as session:
        state = session.get_one(SourceState, "fda_recalls")
        assert state.status == "ok" and state.items_seen == 1
