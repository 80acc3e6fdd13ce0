"""The command line, as a user runs it (in process, with a real database and loopback agencies)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.cli import main
from tests.agency import Agency, Reply
from tests.factories import kratom_item, other_item, rss

RSS_TYPE = {"Content-Type": "application/rss+xml"}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    for name in list(__import__("os").environ):
        if name.startswith("KM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KM_DATABASE_URL", database_url)
    return tmp_path


def test_commands_before_init_ask_for_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KM_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("KM_DATABASE_URL", raising=False)
    assert main(["alerts"]) == 1
    assert "run `kratom-monitor init`" in capsys.readouterr().err


def test_init_is_repeatable_and_says_what_it_did(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    from monitor.db import head_revision

    assert f"already current (schema {head_revision()})" in capsys.readouterr().out


def test_poll_prints_counts_per_source_and_fails_when_one_source_fails(
    env: Path, agency: Agency, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "KM_SOURCE_FDA_RECALLS_URL",
        agency.serve("/rss", Reply(rss(kratom_item(1), other_item(1)), headers=RSS_TYPE)),
    )
    monkeypatch.setenv(
        "KM_SOURCE_FDA_MEDWATCH_URL", agency.serve("/mw", Reply(b"down", status=503))
    )
    assert main(["poll", "fda_recalls", "fda_medwatch"]) == 1
    out, err = capsys.readouterr()
    assert "[1/2] fda_recalls: 1 new, 0 revised, 0 unchanged" in err
    assert "[2/2] fda_medwatch: ERROR HTTP 503" in err
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:]}
    assert rows["fda_recalls"][1:5] == ["ok", "1", "0", "0"]
    assert rows["fda_medwatch"][1] == "error"

    assert main(["sources"]) == 0
    table = capsys.readouterr().out
    medwatch = next(line for line in table.splitlines() if line.startswith("fda_medwatch"))
    assert "degraded" in medwatch and "HTTP 503" in medwatch
    assert main(["sources", "--json"]) == 0
    states = {row["key"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())}
    assert states["fda_recalls"]["status"] == "ok" and states["fda_recalls"]["items_seen"] == 1
    assert states["fda_medwatch"]["consecutive_failures"] == 1


def test_alerts_lists_and_filters_and_prints_json_lines(
    env: Path, agency: Agency, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "KM_SOURCE_FDA_RECALLS_URL",
        agency.serve("/rss", Reply(rss(kratom_item(1), kratom_item(2)), headers=RSS_TYPE)),
    )
    assert main(["poll", "fda_recalls"]) == 0
    capsys.readouterr()
    assert main(["alerts"]) == 0
    out = capsys.readouterr().out
    assert "Leafline Botanicals Recalls Kratom Powder Lot 1" in out and "recall" in out
    assert (
        main(
            [
                "alerts",
                "--json",
                "--kind",
                "recall",
                "--jurisdiction",
                "US",
                "--since",
                "2025-03-01",
            ]
        )
        == 0
    )
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 2
    assert lines[0]["published_at"] == "2025-03-12T13:15:00+00:00"
    assert lines[0]["hazards"] == ["salmonella"] and lines[0]["revision"] == 1
    assert main(["alerts", "--kind", "scheduling"]) == 0
    assert "no alerts match" in capsys.readouterr().err
    assert main(["alerts", "--since", "2030-01-01", "--json"]) == 0
    assert capsys.readouterr().out == ""


def test_parse_prints_drafts_and_stores_nothing(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = env / "saved.xml"
    saved.write_bytes(rss(kratom_item(7), other_item(1)))
    assert main(["parse", "fda_recalls", str(saved)]) == 0
    out, err = capsys.readouterr()
    drafts = [json.loads(line) for line in out.splitlines()]
    assert [d["uid"] for d in drafts] == ["https://www.fda.gov/safety/recalls/leafline-kratom-7"]
    assert drafts[0]["severity"] == "high"
    assert "1 draft(s)" in err
    assert main(["alerts", "--json"]) == 0
    assert capsys.readouterr().out == ""


def test_parse_reports_a_bad_payload_and_a_missing_file_clearly(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = env / "bad.json"
    bad.write_bytes(b'{"results": [')
    assert main(["parse", "openfda_food_enforcement", str(bad)]) == 1
    assert "cannot parse" in capsys.readouterr().err
    assert main(["parse", "openfda_food_enforcement", str(env / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["poll", "fda_nothing"], "unknown source fda_nothing"),
        (["alerts", "--since", "last tuesday"], "not a date"),
        (["alerts", "--kind", "gossip"], "invalid choice"),
        (["alerts", "--limit", "0"], "--limit must be at least 1"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_a_message_and_no_traceback(
    env: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_sources_show_the_configured_interval_and_next_poll(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KM_SOURCE_FDA_RECALLS_EVERY", "90")
    assert main(["sources", "--json"]) == 0
    rows = {row["key"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows["fda_recalls"]["every_seconds"] == 90
    assert rows["fda_medwatch"]["every_seconds"] == 3600
    assert rows["fda_recalls"]["next_poll_at"] is None
    assert main(["sources"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("fda_recalls"))
    assert line.split()[3] == "90s"  # SOURCE AGENCY STATUS EVERY ...


def test_outbox_lists_the_mail_written_as_eml_files(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from monitor.mail import EmlOutbox, build

    folder = EmlOutbox(env / "outbox")
    for n in range(2):
        folder.send(
            build(
                sender="m@example.org",
                recipients=[f"r{n}@example.org"],
                subject=f"Subject {n}",
                text="x",
            )
        )
    assert main(["outbox", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(r["to"] for r in rows) == ["r0@example.org", "r1@example.org"]
    assert sorted(r["subject"] for r in rows) == ["Subject 0", "Subject 1"]
    assert all(Path(r["file"]).suffix == ".eml" for r in rows)
    assert main(["outbox"]) == 0
    assert "Subject 1" in capsys.readouterr().out


def test_outbox_says_when_it_is_empty(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["outbox"]) == 0
    assert "no messages in" in capsys.readouterr().err
