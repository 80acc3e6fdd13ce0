"""The read API under /api/v1, served by the real app from a real database."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from alerts import incidents, store
from alerts.draft import AlertDraft
from alerts.models import SourceState
from monitor.settings import Settings
from monitor.web.app import WebContext, create_app
from monitor.web.ratelimit import TokenBuckets
from tests.factories import draft
from tests.webserver import Served, serve

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
BASE = "https://km.example"


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"public_url": BASE, "api_rate": 0.0, "feed_check_seconds": 0.0}
    return Settings(data_dir=tmp_path, database_url="", **{**values, **overrides})


def _api(
    engine: Engine, tmp_path: Path, *, sources: list[str] | None = None, **settings: Any
) -> Served:
    ctx = WebContext(engine=engine, sources=sources or [], settings=_settings(tmp_path, **settings))
    return serve(create_app(ctx))


def _store(engine: Engine, *drafts: AlertDraft, now: datetime = T0) -> list[int]:
    """Store drafts as one poll would and publish them; the ids of new alerts."""
    with Session(engine) as session:
        result = store.upsert(session, list(drafts), now=now)
        incidents.link(session, result.new + result.revised, now=now)
        store.mark_changed(session, now=now)
        session.commit()
        return [int(alert.id or 0) for alert in result.new]


def _n(n: int, **overrides: Any) -> AlertDraft:
    return draft(uid=f"item-{n}", url=f"https://www.fda.gov/recall/{n}", **overrides)


def _ids(web: Served, path: str, **params: Any) -> list[int]:
    answer = web.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


@pytest.fixture
def varied(engine: Engine) -> dict[str, int]:
    """Five alerts that differ in every filtered fact."""
    ids = _store(
        engine,
        _n(1, kind="recall", hazards=["salmonella"], severity="high", title="Kratom capsules",
           regions=["US-TX"]),
        _n(2, kind="advisory", hazards=[], severity="low", agency="FTC", title="FTC advisory",
           regions=["US-OK"]),
        _n(3, kind="recall", hazards=["heavy_metals"], severity="critical", title="Lead in powder",
           jurisdiction="US", regions=["US-FL"]),
        _n(4, kind="seizure", hazards=[], severity="moderate", title="Seized shipment",
           jurisdiction="CA", agency="Health Canada"),
        _n(5, kind="recall", hazards=["salmonella"], severity="info", title="Tea bags recalled",
           summary="No kratom capsules here", regions=["US-TX"]),
    )  # fmt: skip
    return {f"a{n}": alert_id for n, alert_id in enumerate(ids, start=1)}


def test_alerts_are_listed_with_links_to_our_page_the_agency_and_the_api(
    engine: Engine, tmp_path: Path, varied: dict[str, int]
) -> None:
    with _api(engine, tmp_path) as web:
        answer = web.get("/api/v1/alerts", params={"limit": 2})
    body = answer.json()
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "public, max-age=30"
    assert answer.headers["etag"].startswith('"v')
    first = body["items"][0]
    assert [item["id"] for item in body["items"]] == [varied["a5"], varied["a4"]]
    assert first["title"] == "Tea bags recalled" and first["hazards"] == ["salmonella"]
    assert first["links"] == {
        "self": f"{BASE}/api/v1/alerts/{varied['a5']}",
        "page": f"{BASE}/alerts/{varied['a5']}",
        "agency": "https://www.fda.gov/recall/5",
    }
    assert body["links"]["self"] == f"{BASE}/api/v1/alerts?limit=2"
    assert body["links"]["next"] == f"{BASE}/api/v1/alerts?limit=2&cursor={body['next_cursor']}"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "recall"}, ["a5", "a3", "a1"]),
        ({"kind": ["advisory", "seizure"]}, ["a4", "a2"]),
        ({"jurisdiction": "us-fl"}, ["a3"]),
        ({"jurisdiction": "CA"}, ["a4"]),
        ({"agency": "ftc"}, ["a2"]),
        ({"hazard": "salmonella"}, ["a5", "a1"]),
        ({"min_severity": "high"}, ["a3", "a1"]),
        ({"kind": "recall", "min_severity": "high", "hazard": "salmonella"}, ["a1"]),
        ({"q": "capsules"}, ["a5", "a1"]),
        ({"q": "kratom capsules", "kind": "recall", "min_severity": "low"}, ["a1"]),
        ({"q": "nothing-matches-this"}, []),
    ],
)
def test_filters_and_search_narrow_the_list(
    engine: Engine,
    tmp_path: Path,
    varied: dict[str, int],
    params: dict[str, Any],
    expected: list[str],
) -> None:
    with _api(engine, tmp_path) as web:
        assert _ids(web, "/api/v1/alerts", **params) == [varied[name] for name in expected]


def test_following_next_links_visits_every_alert_once_newest_change_first(
    engine: Engine, tmp_path: Path
) -> None:
    stored: list[int] = []
    for batch, now in enumerate([T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2)]):
        # Three alerts share each change time, so the cursor must break ties by id.
        stored += _store(engine, *(_n(batch * 10 + n) for n in range(3)), now=now)
    _store(engine, _n(0, status="terminated"), now=T0 + timedelta(hours=3))  # revised: newest
    expected = [stored[0], *reversed(stored[6:]), *reversed(stored[3:6]), stored[2], stored[1]]
    seen: list[int] = []
    pages = 0
    with _api(engine, tmp_path) as web:
        url: str | None = f"{BASE}/api/v1/alerts?limit=4"
        while url is not None:
            answer = web.get(url.removeprefix(BASE))
            assert answer.status_code == 200
            body = answer.json()
            seen += [item["id"] for item in body["items"]]
            url = body["links"]["next"]
            assert (url is None) == (body["next_cursor"] is None)
            pages += 1
    assert seen == expected and pages == 3


def test_one_alert_shows_its_revisions_and_the_other_alerts_of_its_incident(
    engine: Engine, tmp_path: Path
) -> None:
    [alert_id] = _store(engine, _n(1, recall_number="F-0101-2025", status="ongoing"))
    [twin_id] = _store(
        engine,
        draft(source="openfda_food_enforcement", uid="F-0101-2025", title="Kratom powder",
              url="https://api.fda.gov/x", recall_number="F-0101-2025"),
        now=T0 + timedelta(minutes=5),
    )  # fmt: skip
    _store(engine, _n(1, recall_number="F-0101-2025", status="terminated"), now=T0 + timedelta(1))
    with _api(engine, tmp_path) as web:
        answer = web.get(f"/api/v1/alerts/{alert_id}")
        incident_id = answer.json()["incident"]["id"]
        incident = web.get(f"/api/v1/incidents/{incident_id}")
    body = answer.json()
    assert answer.status_code == 200 and body["id"] == alert_id and body["revision"] == 2
    assert [r["number"] for r in body["revisions"]] == [1, 2]
    assert body["revisions"][0]["changes"] == []
    assert body["revisions"][1]["changes"] == [
        {"field": "status", "op": "changed", "old": "ongoing", "new": "terminated"}
    ]
    assert body["revisions"][1]["recorded_at"] == (T0 + timedelta(1)).isoformat()
    assert body["incident"]["link_reason"] == "same recall number F-0101-2025"
    assert body["incident"]["other_alerts"] == [
        {
            "id": twin_id,
            "title": "Kratom powder",
            "source": "openfda_food_enforcement",
            "url": "https://api.fda.gov/x",
            "links": {
                "self": f"{BASE}/api/v1/alerts/{twin_id}",
                "page": f"{BASE}/alerts/{twin_id}",
                "agency": "https://api.fda.gov/x",
            },
        }
    ]
    assert {a["id"] for a in incident.json()["alerts"]} == {alert_id, twin_id}


def test_incidents_page_newest_first(engine: Engine, tmp_path: Path) -> None:
    for n in range(5):
        number = f"F-{n:04d}-2025"
        _store(
            engine,
            _n(n, recall_number=number, firms=[f"Firm {n}"]),
            draft(source="openfda_food_enforcement", uid=number, url=f"https://api.fda.gov/{n}",
                  recall_number=number, firms=[f"Firm {n}"]),
        )  # fmt: skip
    seen: list[int] = []
    with _api(engine, tmp_path) as web:
        cursor = None
        while True:
            answer = web.get(
                "/api/v1/incidents", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
            )
            body = answer.json()
            seen += [item["id"] for item in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        one = web.get(f"/api/v1/incidents/{seen[0]}").json()
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)
    assert one["links"]["self"] == f"{BASE}/api/v1/incidents/{seen[0]}"
    assert [a["source"] for a in one["alerts"]] == ["fda_recalls", "openfda_food_enforcement"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/alerts/999999",
        "/api/v1/alerts/abc",
        "/api/v1/alerts/-1",
        "/api/v1/alerts/99999999999999999999",
        "/api/v1/incidents/0",
        "/api/v1/incidents/12x",
        "/api/v1/no-such-endpoint",
    ],
)
def test_unknown_items_and_paths_are_404_problems(
    sqlite_engine: Engine, tmp_path: Path, path: str
) -> None:
    with _api(sqlite_engine, tmp_path) as web:
        answer = web.get(path)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 404 and problem["title"] == "Not Found"
    assert problem["type"] == "about:blank" and problem["detail"]


def test_the_largest_ids_answer_404_on_every_backend(engine: Engine, tmp_path: Path) -> None:
    with _api(engine, tmp_path) as web:
        assert web.get("/api/v1/alerts/2147483647").status_code == 404
        assert web.get("/api/v1/incidents/2147483647").status_code == 404


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("kind=bogus", "kind"),
        ("kind=", "kind"),
        ("hazard=radiation", "hazard"),
        ("min_severity=high&min_severity=low", "min_severity"),
        ("jurisdiction=USA", "jurisdiction"),
        ("agency=%3Cscript%3E", "agency"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("cursor=yesterday", "cursor"),
        ("q=" + "x" * 201, "q"),
        ("colour=red", "colour"),
    ],
)
def test_bad_parameters_are_400_problems_that_name_the_parameter(
    sqlite_engine: Engine, tmp_path: Path, query: str, named: str
) -> None:
    with _api(sqlite_engine, tmp_path) as web:
        answer = web.get(f"/api/v1/alerts?{query}")
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["title"] == "Bad Request" and problem["status"] == 400
    assert problem["detail"].startswith(f"{named}:") or f"{named!r}" in problem["detail"]


def test_bad_incident_parameters_are_400_problems(sqlite_engine: Engine, tmp_path: Path) -> None:
    with _api(sqlite_engine, tmp_path) as web:
        answers = [
            web.get(f"/api/v1/incidents?{q}") for q in ("cursor=x", "limit=0", "kind=recall")
        ]
    assert [a.status_code for a in answers] == [400, 400, 400]


def test_sources_show_cadence_and_health_of_each_enabled_source(
    engine: Engine, tmp_path: Path
) -> None:
    with Session(engine) as session:
        session.add(
            SourceState(
                key="fda_recalls", status="failing", last_error="HTTP 503 from agency",
                last_error_at=T0, last_success_at=T0 - timedelta(hours=5),
                consecutive_failures=4, next_poll_at=T0 + timedelta(minutes=10),
            )
        )  # fmt: skip
        session.commit()
    enabled = ["fda_recalls", "federal_register", "retired_source"]
    every = {"federal_register": timedelta(hours=2)}
    with _api(engine, tmp_path, sources=enabled, source_every=every) as web:
        answer = web.get("/api/v1/sources")
        again = web.get("/api/v1/sources", headers={"If-None-Match": answer.headers["etag"]})
    items = {item["key"]: item for item in answer.json()["items"]}
    assert list(items) == ["fda_recalls", "federal_register"]
    assert items["fda_recalls"]["agency"] == "FDA" and items["fda_recalls"]["url"].startswith(
        "https"
    )
    assert items["fda_recalls"]["health"] == {
        "status": "failing",
        "last_success_at": (T0 - timedelta(hours=5)).isoformat(),
        "last_error": "HTTP 503 from agency",
        "last_error_at": T0.isoformat(),
        "consecutive_failures": 4,
        "next_poll_at": (T0 + timedelta(minutes=10)).isoformat(),
    }
    assert items["federal_register"]["cadence_seconds"] == 7200
    assert items["federal_register"]["health"]["status"] == "never"
    assert again.status_code == 304 and again.headers["etag"] == answer.headers["etag"]


def test_a_current_etag_gets_304_until_the_store_changes(engine: Engine, tmp_path: Path) -> None:
    _store(engine, _n(1))
    with _api(engine, tmp_path) as web:
        first = web.get("/api/v1/alerts?kind=recall")
        etag = first.headers["etag"]
        unchanged = web.get("/api/v1/alerts?kind=recall", headers={"If-None-Match": etag})
        other_query = web.get("/api/v1/alerts?kind=advisory", headers={"If-None-Match": etag})
        _store(engine, _n(2), now=T0 + timedelta(minutes=1))
        changed = web.get("/api/v1/alerts?kind=recall", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    assert unchanged.headers["cache-control"] == "public, max-age=30"
    assert other_query.status_code == 200
    assert changed.status_code == 200 and len(changed.json()["items"]) == 2
    assert changed.headers["etag"] != etag


def test_any_origin_may_get_and_preflight_allows_get_without_credentials(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    origin = {"Origin": "https://another-site.example"}
    with _api(sqlite_engine, tmp_path) as web:
        assert web.client is not None
        answer = web.get("/api/v1/alerts", headers=origin)
        missing = web.get("/api/v1/alerts/5", headers=origin)
        preflight = web.client.options(
            "/api/v1/alerts",
            headers={**origin, "Access-Control-Request-Method": "GET",
                     "Access-Control-Request-Headers": "If-None-Match"},
        )  # fmt: skip
        post = web.client.options(
            "/api/v1/alerts", headers={**origin, "Access-Control-Request-Method": "POST"}
        )
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "ETag" in answer.headers["access-control-expose-headers"]
    assert missing.headers["access-control-allow-origin"] == "*"
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-methods"] == "GET"
    assert "if-none-match" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in preflight.headers
    assert post.status_code == 400


def test_a_client_past_its_burst_gets_429_with_retry_after(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    with _api(sqlite_engine, tmp_path, api_rate=1.0, api_burst=3) as web:
        answers = [
            web.get("/api/v1/alerts", headers={"Origin": "https://x.example"}) for _ in range(5)
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0", "0"]
    assert {a.headers["ratelimit-limit"] for a in answers} == {"3"}
    refused = answers[3]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 429
    assert 50 <= int(refused.headers["retry-after"]) <= 60  # one token a minute
    assert refused.headers["access-control-allow-origin"] == "*"


def test_rate_zero_means_unlimited(sqlite_engine: Engine, tmp_path: Path) -> None:
    with _api(sqlite_engine, tmp_path, api_rate=0.0, api_burst=1) as web:
        answers = [web.get("/api/v1/sources") for _ in range(5)]
    assert {a.status_code for a in answers} == {200}
    assert "ratelimit-limit" not in answers[0].headers


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_refills_at_its_rate_and_clients_have_their_own() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=6, burst=2, clock=clock)  # a token every 10 s
    assert [buckets.take("a").allowed for _ in range(3)] == [True, True, False]
    assert buckets.take("a").retry_after == 10
    assert buckets.take("b").allowed
    clock.now += 5
    assert buckets.take("a").retry_after == 5
    clock.now += 5
    assert buckets.take("a").allowed and not buckets.take("a").allowed


def test_idle_clients_are_forgotten_and_memory_is_capped() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=60, burst=10, clock=clock, max_clients=100)
    for n in range(50):
        buckets.take(f"10.0.0.{n}")
    clock.now += 10  # long enough for every bucket to be full again
    buckets.take("10.0.1.1")
    assert len(buckets) == 1
    for n in range(500):
        buckets.take(f"10.0.2.{n}")
    assert len(buckets) == 100


def test_concurrent_requests_never_take_more_than_the_burst() -> None:
    buckets = TokenBuckets(per_minute=1e-9, burst=100, clock=Clock())
    allowed: list[bool] = []
    lock = threading.Lock()

    def hammer() -> None:
        for _ in range(50):
            result = buckets.take("one client").allowed
            with lock:
                allowed.append(result)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(allowed) == 100 and len(allowed) == 400


def test_the_service_index_names_the_api(sqlite_engine: Engine, tmp_path: Path) -> None:
    with _api(sqlite_engine, tmp_path) as web:
        assert "/api/v1" in web.get("/").json()["endpoints"]
