"""The poll's source extensions, over real HTTP on loopback, on SQLite and PostgreSQL:
API keys, incremental URLs, detail pages read once per version, records and derived alerts.

The sources here are small test sources declared with the real ``Source`` type; the poll,
the store and the HTTP client are the project's own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from alerts.draft import AlertDraft
from alerts.models import Alert, PollRun, SourcePage, SourceRecord, SourceState
from monitor.http import make_client
from monitor.poll import PollContext, poll_source
from monitor.settings import load
from sources.base import Detail, Kept, ParseError, Record, Source
from tests.agency import Agency, Reply

JSON = {"Content-Type": "application/json"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
SECRET_KEY = "k3y-that-must-never-show"


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(user_agent="kratom-monitor/test (+https://example.org/c)", timeout=5) as c:
        yield c


def _rows(content: bytes) -> list[AlertDraft]:
    data = json.loads(content)
    if "error" in data:
        raise ParseError(f"the agency says: {data['error']}")
    return [
        AlertDraft(
            source="test_listing",
            uid=row["id"],
            agency="FDA",
            kind="warning_letter",
            title=f"Warning letter to {row['firm']} about kratom",
            url=row["href"],
            matched_terms=["kratom"],
            raw=row,
        )
        for row in data["rows"]
    ]


def _letter(draft: AlertDraft, content: bytes) -> AlertDraft | None:
    text = content.decode()
    if "kratom" not in text:
        return None
    return replace(draft, summary=text.strip(), details={"page": text.strip()})


LISTING = Source(
    key="test_listing", title="Test listing", agency="FDA", kind_hint="warning_letter",
    url="https://www.fda.gov/listing", every=timedelta(hours=1), parse=_rows, format="json",
    detail=Detail(
        url=lambda draft: str(draft.raw["href"]), parse=_letter, per_poll=2,
        version=lambda draft: str(draft.raw.get("posted", "")),
    ),
)  # fmt: skip


def _listing(*rows: dict[str, str]) -> Reply:
    return Reply(json.dumps({"rows": list(rows)}).encode(), headers=JSON)


def _row(n: int, posted: str = "2025-07-15") -> dict[str, str]:
    return {"id": f"L{n}", "firm": f"Firm {n}", "href": f"/letters/{n}", "posted": posted}


def _paths(agency: Agency, prefix: str) -> list[str]:
    return [seen.path for seen in agency.requests if seen.path.startswith(prefix)]


def test_detail_pages_are_read_once_per_version_within_a_budget_per_poll(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    url = agency.serve("/listing", _listing(_row(1), _row(2), _row(3)))
    for n in (1, 2, 3):
        agency.serve(f"/letters/{n}", Reply(f"kratom letter {n}".encode(), headers=HTML))

    first = poll_source(LISTING, engine=engine, client=client, url=url)
    assert (first.outcome, first.new) == ("ok", 2)
    assert (first.details.fetched, first.details.deferred) == (2, 1)

    second = poll_source(LISTING, engine=engine, client=client, url=url)
    assert (second.outcome, second.new, second.unchanged) == ("ok", 1, 2)
    assert (second.details.fetched, second.details.kept) == (1, 2)
    assert sorted(_paths(agency, "/letters/")) == ["/letters/1", "/letters/2", "/letters/3"]

    # A new version of a row (posted again) is read again; the others come from the store.
    agency.serve("/listing", _listing(_row(1, posted="2025-08-01"), _row(2), _row(3)))
    agency.serve("/letters/1", Reply(b"kratom letter 1, corrected", headers=HTML))
    third = poll_source(LISTING, engine=engine, client=client, url=url)
    assert (third.revised, third.details.fetched, third.details.kept) == (1, 1, 2)
    with Session(engine) as session:
        alerts = {a.uid: a for a in session.exec(select(Alert))}
        pages = session.exec(select(SourcePage)).all()
    assert alerts["L1"].details == {"page": "kratom letter 1, corrected"}
    assert alerts["L1"].url == "/letters/1"
    assert len(pages) == 3 and {p.url for p in pages} == {
        f"{agency.base}/letters/{n}" for n in (1, 2, 3)
    }


def test_a_gone_detail_page_skips_its_row_and_an_off_topic_page_drops_it(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    url = agency.serve("/listing", _listing(_row(1), _row(2)))
    agency.serve("/letters/1", Reply(b"", status=404))
    agency.serve("/letters/2", Reply(b"a letter about something else", headers=HTML))
    outcome = poll_source(LISTING, engine=engine, client=client, url=url)
    assert (outcome.outcome, outcome.new, outcome.details.gone) == ("ok", 0, 1)
    again = poll_source(LISTING, engine=engine, client=client, url=url)
    assert (again.details.fetched, again.details.kept) == (0, 2)  # neither page is asked again
    assert len(_paths(agency, "/letters/")) == 2


def test_a_detail_page_behind_a_bot_wall_fails_the_poll_with_its_url_and_keeps_nothing(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    url = agency.serve("/listing", _listing(_row(1)))
    wall = b"<html><head><title>FDA Apology</title></head><body>Sorry</body></html>"
    agency.serve("/letters/1", Reply(wall, headers=HTML))
    outcome = poll_source(LISTING, engine=engine, client=client, url=url)
    assert outcome.outcome == "error"
    assert outcome.error is not None and "bot-wall" in outcome.error
    assert f"{agency.base}/letters/1" in outcome.error
    with Session(engine) as session:
        assert session.exec(select(SourcePage)).all() == []
        assert session.get_one(SourceState, "test_listing").status in ("degraded", "failing")


def _keyed(content: bytes) -> list[AlertDraft]:
    data = json.loads(content)
    if data.get("status") == "ERROR":
        raise ParseError(f"the API says: {data['message']}")
    return _rows(content)


def _with_key(url: str, key: str) -> tuple[str, dict[str, str]]:
    return url, {"X-Api-Key": key}


def _since(url: str, last: datetime | None) -> str:
    return url if last is None else f"{url}?since={last.date().isoformat()}"


KEYED = Source(
    key="test_keyed", title="Test keyed API", agency="Test", kind_hint="notice",
    url="https://api.example.gov/bills", every=timedelta(hours=6), parse=_keyed, format="json",
    needs_key="KM_TEST_KEY", authorize=_with_key, since_url=_since,
)  # fmt: skip


def test_a_source_without_its_key_needs_configuration_and_is_never_fetched(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    url = agency.serve("/bills", _listing(_row(1)))
    outcome = poll_source(KEYED, engine=engine, client=client, url=url)
    assert outcome.outcome == "needs_config"
    assert outcome.error is not None and "KM_TEST_KEY" in outcome.error
    assert agency.requests == []
    with Session(engine) as session:
        state = session.get_one(SourceState, "test_keyed")
        run = session.exec(select(PollRun)).one()
    assert (state.status, state.consecutive_failures) == ("needs_config", 0)
    assert state.next_poll_at is not None and run.outcome == "needs_config"


def test_the_key_is_sent_the_since_url_follows_success_and_errors_never_show_the_key(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    url = agency.serve("/bills", _listing(_row(1)))
    ctx = PollContext(keys={"KM_TEST_KEY": SECRET_KEY})
    assert poll_source(KEYED, engine=engine, client=client, url=url, ctx=ctx).new == 1
    assert agency.requests[0].headers["x-api-key"] == SECRET_KEY
    assert agency.requests[0].path == "/bills"

    error = json.dumps({"status": "ERROR", "message": f"key {SECRET_KEY} is over its quota"})
    agency.serve("/bills", Reply(error.encode(), headers=JSON))
    failed = poll_source(KEYED, engine=engine, client=client, url=url, ctx=ctx)
    assert failed.outcome == "error" and failed.error is not None
    assert SECRET_KEY not in failed.error and "[key]" in failed.error
    since = parse_qs(urlsplit(agency.requests[1].path).query)["since"]
    assert since == [datetime.now(UTC).date().isoformat()]
    with Session(engine) as session:
        state = session.get_one(SourceState, "test_keyed")
    assert state.last_error is not None and SECRET_KEY not in state.last_error


def test_settings_read_the_keys_sources_name_and_nothing_else() -> None:
    from sources.registry import SOURCES

    names = sorted({s.needs_key for s in SOURCES if s.needs_key})
    env = {name: f"value-of-{name}" for name in names} | {"KM_UNRELATED_KEY": "x"}
    settings = load(env)
    assert settings.api_keys == {name: f"value-of-{name}" for name in names}
    assert "value-of" not in repr(settings)


def _red_list(content: bytes) -> list[Record]:
    return [
        Record(uid=firm, version=firm.upper(), data={"firm": firm})
        for firm in content.decode().split()
    ]


def _changes(kept: Sequence[Kept], now: datetime) -> list[AlertDraft]:
    drafts = []
    for record in kept:
        what = "removed" if record.gone_at else "listed"
        when = record.gone_at or record.first_seen_at
        drafts.append(
            AlertDraft(
                source="test_records",
                uid=f"{what}:{record.uid}",
                agency="FDA",
                kind="import_alert",
                title=f"Kratom red list: {record.uid} {what}",
                url="https://www.fda.gov/ia",
                published_at=when,
                matched_terms=["kratom"],
            )
        )
    return drafts


RECORDS = Source(
    key="test_records", title="Test red list", agency="FDA", kind_hint="import_alert",
    url="https://www.fda.gov/ia", every=timedelta(days=1), parse=lambda content: [],
    format="html", records=_red_list, derive=_changes,
)  # fmt: skip


def test_records_are_kept_marked_gone_and_derive_the_alerts(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    url = agency.serve("/ia", Reply(b"alpha beta", headers=HTML))
    first = poll_source(RECORDS, engine=engine, client=client, url=url)
    assert (first.outcome, first.new, first.items) == ("ok", 2, 2)
    unchanged = poll_source(RECORDS, engine=engine, client=client, url=url)
    assert (unchanged.new, unchanged.revised, unchanged.unchanged) == (0, 0, 2)

    agency.serve("/ia", Reply(b"beta gamma", headers=HTML))
    later = poll_source(RECORDS, engine=engine, client=client, url=url)
    assert (later.new, later.revised) == (2, 0)
    with Session(engine) as session:
        uids = sorted(a.uid for a in session.exec(select(Alert)))
        gone = session.exec(
            select(SourceRecord.uid).where(col(SourceRecord.gone_at).is_not(None))
        ).all()
    assert uids == ["listed:alpha", "listed:beta", "listed:gamma", "removed:alpha"]
    assert gone == ["alpha"]


def test_an_html_source_refused_with_403_says_the_agency_refused_the_client(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    url = agency.serve("/ia", Reply(b"<html><title>Access Denied</title></html>", status=403))
    outcome = poll_source(RECORDS, engine=engine, client=client, url=url)
    assert outcome.outcome == "error" and outcome.error is not None
    assert "HTTP 403" in outcome.error and "refused this client" in outcome.error


def test_a_refusal_the_source_recognises_is_explained_in_its_own_words(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    from sources.registry import get

    wall = b"<html><head><title>Access Denied</title></head><body>Reference #18.2f</body></html>"
    url = agency.serve("/rss", Reply(wall, status=403, headers=HTML))
    outcome = poll_source(get("dea_press_releases"), engine=engine, client=client, url=url)
    assert outcome.outcome == "error" and outcome.error is not None
    assert outcome.error.startswith("dea.gov refused a non-browser client")
    with Session(engine) as session:
        state = session.get_one(SourceState, "dea_press_releases")
    assert state.last_error == outcome.error
