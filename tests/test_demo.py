"""The offline demo, run the way the README tells users to run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.demo.server import SNAPSHOTS, find_snapshot, steps
from sources.registry import SOURCES

SCRIPT = Path(sys.executable).parent / "kratom-monitor"


def test_every_source_has_a_demo_snapshot_in_the_first_step() -> None:
    assert steps() == [1, 2, 3]
    for source in SOURCES:
        assert find_snapshot(SNAPSHOTS, 1, source.key, 1) is not None, source.key


def test_demo_then_alerts_shows_new_items_revisions_and_incidents(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KM_DATABASE_URL", database_url)
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "== snapshot 3 ==" in out
    assert "demo done: 62 alerts, 7 later revisions, 8 cross-source incidents" in out

    assert main(["alerts", "--json", "--limit", "100"]) == 0
    alerts = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by_source: dict[str, list[dict[str, object]]] = {}
    for alert in alerts:
        by_source.setdefault(str(alert["source"]), []).append(alert)
    assert set(by_source) == {s.key for s in SOURCES} - {"openfda_drug_enforcement"}
    pdx = [a for a in by_source["openfda_food_enforcement"] if str(a["uid"]).endswith("-2018")]
    assert len(pdx) == 3
    assert {(a["status"], a["revision"], a["recall_class"]) for a in pdx} == {
        ("terminated", 2, "I")
    }
    assert len({a["incident_id"] for a in pdx}) == 1 and pdx[0]["incident_id"] is not None
    rss_pdx = [a for a in by_source["fda_recalls"] if "PDX" in str(a["title"])]
    assert [a["incident_id"] for a in rss_pdx] == [pdx[0]["incident_id"]]
    kinds = {a["kind"] for a in alerts}
    assert {"recall", "advisory", "warning_letter", "lab_results", "scheduling", "seizure"} <= kinds


@pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed (pip install -e .)")
def test_console_script_runs_the_demo_on_a_fresh_data_dir(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KM_")}
    env["KM_DATA_DIR"] = str(tmp_path / "data")
    demo = subprocess.run(
        [str(SCRIPT), "demo"], env=env, capture_output=True, text=True, timeout=120
    )
    assert demo.returncode == 0, demo.stderr
    listing = subprocess.run(
        [str(SCRIPT), "alerts"], env=env, capture_output=True, text=True, timeout=60
    )
    assert listing.returncode == 0, listing.stderr
    assert "Pdx Aromatics, Llc: Class I recall" in listing.stdout
    assert "[rev 2]" in listing.stdout and "[incident" in listing.stdout
    assert (tmp_path / "data" / "kratom-monitor.db").exists()
