"""Backfill: history windows over real HTTP on loopback, stored on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from alerts.models import Alert, AlertRevision, Evidence, MailMessage, PollRun, SourceState
from monitor.backfill import BackfillError, BackfillProgress, BackfillResult, backfill
from monitor.cli import main
from monitor.http import make_client
from sources.registry import get
from tests.agency import Agency, Reply
from tests.factories import enforcement_record, openfda

JSON_TYPE = {"Content-Type": "application/json"}
NOT_FOUND = json.dumps({"error": {"code": "NOT_FOUND", "message": "No matches found!"}}).encode()
FOOD = "openfda_food_enforcement"


def window(year: int, skip: int = 0, last: str = "1231", first: str = "0101") -> str:
    """The path the openFDA backfill asks for, for a configured ``/enf?search=x&limit=2``."""
    clause = f"report_date:[{year}{first}+TO+{year}{last}]"
    return f"/enf?search=(x)+AND+{clause}&limit=2&skip={skip}"


def records(*numbers: str, skip: int = 0, total: int | None = None) -> Reply:
    body = openfda(*(enforcement_record(recall_number=n) for n in numbers), skip=skip, total=total)
    return Reply(body, headers=JSON_TYPE)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(user_agent="kratom-monitor/test (+https://example.org)", timeout=5) as c:
        yield c


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    for name in list(os.environ):
        if name.startswith("KM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KM_DATABASE_URL", database_url)
    return tmp_path


def test_openfda_backfill_urls_add_one_report_date_window_per_calendar_year() -> None:
    url = (
        "https://api.fda.gov/food/enforcement.json"
        "?search=a:x+OR+b:y&sort=report_date:desc&skip=200&limit=100"
    )
    backfill_urls = get(FOOD).backfill_urls
    assert backfill_urls is not None
    urls = backfill_urls(url, date(2022, 6, 1), date(2024, 3, 1))
    head = "https://api.fda.gov/food/enforcement.json?search=(a:x+OR+b:y)+AND+report_date:"
    tail = "&sort=report_date:desc&limit=100&skip=0"
    assert urls == [
        f"{head}[20220601+TO+20221231]{tail}",
        f"{head}[20230101+TO+20231231]{tail}",
        f"{head}[20240101+TO+20240301]{tail}",
    ]


def test_openfda_backfill_of_a_url_without_a_search_searches_by_date_alone() -> None:
    drug = get("openfda_drug_enforcement").backfill_urls
    assert drug is not None
    assert drug("http://mirror/enf.json?limit=5", date(2020, 2, 3), date(2020, 2, 3)) == [
        "http://mirror/enf.json?search=report_date:[20200203+TO+20200203]&limit=5&skip=0"
    ]
    assert drug("http://mirror/enf.json", date(2021, 1, 1), date(2020, 1, 1)) == []


def test_federal_register_backfill_url_adds_the_publication_date_range() -> None:
    source = get("federal_register")
    assert source.backfill_urls is not None
    old = "&conditions%5Bpublication_date%5D%5Bgte%5D=1999-01-01"
    assert source.backfill_urls(source.url + old, date(2016, 1, 1), date(2016, 12, 31)) == [
        source.url + "&conditions%5Bpublication_date%5D%5Bgte%5D=2016-01-01"
        "&conditions%5Bpublication_date%5D%5Blte%5D=2016-12-31"
    ]


def test_backfill_pages_through_windows_and_stores_history_without_touching_source_state(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    agency.serve(window(2022, first="0701"), Reply(NOT_FOUND, status=404, headers=JSON_TYPE))
    agency.serve(window(2023), records("F-0001-2023", "F-0002-2023", total=3))
    agency.serve(window(2023, skip=2), records("F-0003-2023", skip=2, total=3))
    agency.serve(window(2024), records("F-0004-2024"))
    seen: list[BackfillProgress] = []
    result = backfill(
        get(FOOD), engine=engine, client=client, url=agency.base + "/enf?search=x&limit=2",
        since=date(2022, 7, 1), until=date(2024, 12, 31), progress=seen.append, pause=0,
    )  # fmt: skip
    assert [r.path for r in agency.requests] == [
        window(2022, first="0701"),
        window(2023),
        window(2023, skip=2),
        window(2024),
    ]
    assert (result.windows, result.pages, result.new, result.unchanged) == (3, 4, 4, 0)
    assert [(p.window, p.window_done, p.pages, p.alerts) for p in seen] == [
        (1, True, 1, 0),
        (2, False, 2, 2),
        (2, True, 3, 3),
        (3, True, 4, 4),
    ]
    with Session(engine) as session:
        alerts = session.exec(select(Alert).order_by(Alert.uid)).all()
        assert [a.uid for a in alerts] == [
            "F-0001-2023",
            "F-0002-2023",
            "F-0003-2023",
            "F-0004-2024",
        ]
        assert {a.origin for a in alerts} == {"backfill"}
        assert session.exec(select(SourceState)).all() == []
        assert session.exec(select(PollRun)).all() == []
        assert session.exec(select(MailMessage)).all() == []
        assert session.exec(select(Evidence)).all() != []


def test_federal_register_backfill_follows_next_page_url(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    def doc(number: str) -> dict[str, object]:
        return {
            "document_number": number,
            "title": "Schedules of Controlled Substances: Mitragynine and 7-Hydroxymitragynine",
            "type": "Notice",
            "publication_date": "2016-08-31",
            "agencies": [{"slug": "drug-enforcement-administration"}],
        }

    first = (
        "/fr?conditions%5Bterm%5D=kratom&conditions%5Bpublication_date%5D%5Bgte%5D=2016-01-01"
        "&conditions%5Bpublication_date%5D%5Blte%5D=2016-12-31"
    )
    page = {"count": 2, "next_page_url": agency.base + "/fr2", "results": [doc("2016-20803")]}
    agency.serve(first, Reply(json.dumps(page).encode(), headers=JSON_TYPE))
    last = {"count": 2, "next_page_url": None, "results": [doc("2016-24659")]}
    agency.serve("/fr2", Reply(json.dumps(last).encode(), headers=JSON_TYPE))
    result = backfill(
        get("federal_register"), engine=engine, client=client,
        url=agency.base + "/fr?conditions%5Bterm%5D=kratom",
        since=date(2016, 1, 1), until=date(2016, 12, 31), pause=0,
    )  # fmt: skip
    assert [r.path for r in agency.requests] == [first, "/fr2"]
    assert (result.windows, result.pages, result.new) == (1, 2, 2)
    with Session(engine) as session:
        alerts = session.exec(select(Alert)).all()
    assert sorted(a.uid for a in alerts) == ["2016-20803@2016-08-31", "2016-24659@2016-08-31"]
    assert {a.origin for a in alerts} == {"backfill"}


def test_rate_limit_replies_are_slept_off_capped_and_retried(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    agency.serve(
        window(2024),
        Reply(b"", status=429, headers={"Retry-After": "600"}),
        Reply(b"", status=429, headers={"Retry-After": "7"}),
        records("F-0001-2024"),
    )
    slept: list[float] = []
    result = backfill(
        get(FOOD), engine=engine, client=client, url=agency.base + "/enf?search=x&limit=2",
        since=date(2024, 1, 1), until=date(2024, 12, 31), pause=0, sleep=slept.append,
    )  # fmt: skip
    assert slept == [120.0, 7.0]
    assert (len(agency.requests), result.new) == (3, 1)


def test_repeated_rate_limiting_fails_clearly_and_keeps_earlier_windows(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    agency.serve(window(2023), records("F-0001-2023"))
    agency.serve(window(2024), Reply(b"", status=429, headers={"Retry-After": "1"}))
    slept: list[float] = []
    with pytest.raises(BackfillError) as failed:
        backfill(
            get(FOOD), engine=engine, client=client, url=agency.base + "/enf?search=x&limit=2",
            since=date(2023, 1, 1), until=date(2024, 12, 31), pause=0, sleep=slept.append,
        )  # fmt: skip
    message = str(failed.value)
    assert "window 2/2 failed: still rate limited after 5 retries" in message
    assert "1 earlier window(s) are stored" in message
    assert slept == [1.0] * 5
    assert [r.path for r in agency.requests].count(window(2024)) == 6
    assert (failed.value.result.windows, failed.value.result.new) == (1, 1)
    with Session(engine) as session:
        assert [a.uid for a in session.exec(select(Alert))] == ["F-0001-2023"]


def test_rerunning_the_same_backfill_stores_nothing_new(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    agency.serve(window(2024), records("F-0001-2024", "F-0002-2024"))

    def run() -> BackfillResult:
        return backfill(
            get(FOOD), engine=engine, client=client, url=agency.base + "/enf?search=x&limit=2",
            since=date(2024, 1, 1), until=date(2024, 12, 31), pause=0,
        )  # fmt: skip

    assert run().new == 2
    again = run()
    assert (again.new, again.revised, again.unchanged) == (0, 0, 2)
    with Session(engine) as session:
        assert len(session.exec(select(Alert)).all()) == 2
        assert len(session.exec(select(AlertRevision)).all()) == 2
        assert len(session.exec(select(Evidence)).all()) == 1


def test_requests_to_one_host_are_spaced_by_the_pause(
    sqlite_engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    agency.serve(window(2023), records("F-0001-2023", "F-0002-2023", total=3))
    agency.serve(window(2023, skip=2), records("F-0003-2023", skip=2, total=3))
    agency.serve(window(2024), records("F-0004-2024"))
    slept: list[float] = []
    backfill(
        get(FOOD), engine=sqlite_engine, client=client, url=agency.base + "/enf?search=x&limit=2",
        since=date(2023, 1, 1), until=date(2024, 12, 31), pause=5.0, sleep=slept.append,
    )  # fmt: skip
    assert len(slept) == 2 and all(4.0 < s <= 5.0 for s in slept)


def test_a_paging_loop_fails_the_window_instead_of_spinning(
    sqlite_engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    loop = {**JSON_TYPE, "Link": f'<{agency.base}{window(2024)}>; rel="next"'}
    agency.serve(window(2024), Reply(openfda(enforcement_record()), headers=loop))
    with pytest.raises(BackfillError, match="paging loops back to"):
        backfill(
            get(FOOD), engine=sqlite_engine, client=client,
            url=agency.base + "/enf?search=x&limit=2",
            since=date(2024, 1, 1), until=date(2024, 12, 31), pause=0,
        )  # fmt: skip
    assert len(agency.requests) == 1


def test_a_window_that_reaches_the_page_limit_is_reported_as_truncated(
    sqlite_engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    agency.serve(window(2024), records("F-0001-2024", "F-0002-2024", total=3))
    source = dataclasses.replace(get(FOOD), max_pages=1)
    result = backfill(
        source, engine=sqlite_engine, client=client, url=agency.base + "/enf?search=x&limit=2",
        since=date(2024, 1, 1), until=date(2024, 12, 31), pause=0,
    )  # fmt: skip
    assert (result.truncated, result.pages, result.new) == ([1], 1, 2)


def test_cli_backfill_refuses_a_source_without_a_history_api(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backfill", "fda_recalls", "--since", "2020-01-01"]) == 2
    assert capsys.readouterr().err == (
        "kratom-monitor: error: fda_recalls has no history API; "
        "a regular poll reads everything it serves\n"
    )


def test_cli_backfill_prints_a_summary_and_draws_a_progress_bar(
    env: Path,
    engine: Engine,
    agency: Agency,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(
        "KM_SOURCE_OPENFDA_FOOD_ENFORCEMENT_URL", agency.base + "/enf?search=x&limit=2"
    )
    agency.serve(window(2023), records("F-0001-2023", "F-0002-2023"))
    agency.serve(window(2024), records("F-0003-2024"))
    assert main(["backfill", FOOD, "--since", "2023-01-01", "--until", "2024-12-31"]) == 0
    out, err = capsys.readouterr()
    assert out == (
        "backfill openfda_food_enforcement: 3 new, 0 revised, 0 unchanged"
        " over 2 windows (2 pages)\n"
    )
    assert err == (
        "\r[#####-----] window 1/2 pages 1 alerts 2\r[##########] window 2/2 pages 2 alerts 3\n"
    )
    with Session(engine) as session:
        assert {a.origin for a in session.exec(select(Alert))} == {"backfill"}


def test_cli_backfill_reports_a_failed_window_and_exits_1(
    env: Path, agency: Agency, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "KM_SOURCE_OPENFDA_FOOD_ENFORCEMENT_URL", agency.base + "/enf?search=x&limit=2"
    )
    agency.serve(window(2024), Reply(b"down", status=500))
    assert main(["backfill", FOOD, "--since", "2024-01-01", "--until", "2024-12-31"]) == 1
    out, err = capsys.readouterr()
    assert out.startswith("backfill openfda_food_enforcement: 0 new, 0 revised, 0 unchanged over 0")
    assert "kratom-monitor: error: openfda_food_enforcement: window 1/1 failed: HTTP 500" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["backfill", FOOD, "--since", "last tuesday"], "not a date (YYYY-MM-DD): 'last tuesday'"),
        (["backfill", FOOD, "--since", "2024-13-01"], "not a date"),
        (["backfill", FOOD, "--since", "2024-01-01", "--until", "soon"], "not a date"),
        (["backfill", FOOD], "the following arguments are required: --since"),
        (
            ["backfill", FOOD, "--since", "2025-01-02", "--until", "2025-01-01"],
            "--since 2025-01-02 is after --until 2025-01-01",
        ),
        (["backfill", "fda_nothing", "--since", "2024-01-01"], "invalid choice: 'fda_nothing'"),
    ],
)
def test_cli_backfill_bad_arguments_exit_2_with_a_message_and_no_traceback(
    env: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
