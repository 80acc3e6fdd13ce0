"""``kratom-monitor annotate``: an article's claims and their alerts, as people run it."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func
from sqlmodel import Session, select

from alerts.claims.document import read
from alerts.models import ClaimDocument
from monitor.cli import main
from tests.agency import Agency, Reply
from tests.claimkit import VENDOR_PAGE

ROOT = Path(__file__).resolve().parent.parent
DEMO_ARTICLE = ROOT / "monitor" / "demo" / "articles" / "vendor-article.html"
BASE = "http://monitor.example.test"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    for name in list(os.environ):
        if name.startswith("KM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KM_DATABASE_URL", database_url)
    monkeypatch.setenv("KM_PUBLIC_URL", BASE)
    return tmp_path


def _jsonl(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_after_the_demo_the_demo_article_links_its_claims_to_fda_and_ftc_actions(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    capsys.readouterr()
    assert main(["annotate", "--format", "jsonl", str(DEMO_ARTICLE)]) == 0
    claims = {str(c["text"]): c for c in _jsonl(capsys)}

    def links(start: str) -> list[tuple[str, str]]:
        claim = next(c for text, c in claims.items() if text.startswith(start))
        return [(str(link["title"]), str(link["reason"])) for link in claim["links"]]  # type: ignore[attr-defined]

    withdrawal = [title for title, _ in links("Our Red Bali powder eases the aches")]
    assert withdrawal[0].startswith("FDA and FTC Warn Four Kratom Sellers")
    assert withdrawal[1].startswith("FDA Warns Two Kratom Companies")
    # The letter itself, which quoted a withdrawal claim, ranks with the announcements.
    assert withdrawal[2] == "Warning letter to KratomNC"
    assert withdrawal[3].startswith("FDA Warns Three Kratom Marketers")
    assert withdrawal[4].startswith("FDA Commissioner Issues Public Health Advisory")
    letter = dict(links("Our Red Bali powder eases the aches"))[withdrawal[2]]
    assert "cited an opioid-withdrawal claim (" in letter
    # Pain and anxiety claims lead to letters that cited a claim of the same kind.
    for start, topic in (
        ("Kratom is a natural painkiller", "pain-relief"),
        ("White Vein capsules help melt away anxiety", "anxiety/depression"),
    ):
        found = links(start)
        assert len(found) == 5
        assert all(f"a {topic} claim" in reason or f"an {topic} claim" in reason
                   or f"cites {topic} claims" in reason for _, reason in found)  # fmt: skip
    safety = [title for title, _ in links("Unlike prescription opioids, kratom is completely safe")]
    assert any(t.startswith("FDA Commissioner Issues Public Health Advisory") for t in safety[:2])
    assert not any("free shipping" in text.lower() for text in claims)

    assert main(["annotate", str(DEMO_ARTICLE)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Five Reasons Our Customers Choose Kratom\nfile://")
    assert "joint FDA-FTC warning letter, 2022-06-30: cites opioid-withdrawal" in out
    assert f"{BASE}/alerts/" in out


def test_jsonl_offsets_count_in_the_articles_extracted_text(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    page = env / "page.html"
    page.write_text(VENDOR_PAGE, encoding="utf-8")
    capsys.readouterr()
    assert main(["annotate", "--format", "jsonl", str(page)]) == 0
    text = read(page.read_bytes(), name="page.html").text
    claims = _jsonl(capsys)
    assert len(claims) == 3
    for claim in claims:
        assert text[int(claim["start"]) : int(claim["end"])] == claim["text"]  # type: ignore[call-overload]
        assert claim["links"] == [] and claim["id"] is None


def test_jsonld_prints_web_annotations_and_save_gives_them_their_urls(
    env: Path, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    assert main(["init"]) == 0
    page = env / "page.html"
    page.write_text(VENDOR_PAGE, encoding="utf-8")
    capsys.readouterr()
    assert main(["annotate", "--format", "jsonld", str(page)]) == 0
    annotations = json.loads(capsys.readouterr().out)
    text = read(page.read_bytes(), name="page.html").text
    assert len(annotations) == 3
    for annotation in annotations:
        assert annotation["id"].startswith("urn:uuid:")
        assert annotation["motivation"] == "assessing"
        assert annotation["target"]["source"] == page.resolve().as_uri()
        quote, position = annotation["target"]["selector"]
        assert text[position["start"] : position["end"]] == quote["exact"]
    assert main(["annotate", "--format", "jsonld", str(page)]) == 0
    assert [a["id"] for a in json.loads(capsys.readouterr().out)] == [
        a["id"] for a in annotations
    ]  # stable names for the same text and spans

    for _ in range(2):
        assert main(["annotate", "--format", "jsonld", "--save", str(page)]) == 0
        saved = json.loads(capsys.readouterr().out)
        assert [a["id"] for a in saved] == [f"{BASE}/annotations/{n}" for n in (1, 2, 3)]
    engine = create_engine(database_url)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(ClaimDocument)).one() == 1
    engine.dispose()


def test_a_url_is_fetched_only_when_private_addresses_are_allowed(
    env: Path, agency: Agency, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    url = agency.serve("/blog", Reply(VENDOR_PAGE.encode(), headers={"Content-Type": "text/html"}))
    capsys.readouterr()
    assert main(["annotate", url]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "loopback address" in err
    monkeypatch.setenv("KM_ANNOTATE_ALLOW_PRIVATE", "1")
    assert main(["annotate", url]) == 0
    assert capsys.readouterr().out.startswith(f"Our Customers Speak\n{url}\n3 claims\n")


def test_standard_input_missing_files_and_empty_input(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    capsys.readouterr()
    text = "Plain notes\r\nKratom eases opioid withdrawal for good.\r\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert main(["annotate", "--format", "jsonl", "-"]) == 0
    [claim] = _jsonl(capsys)
    assert text[int(claim["start"]) : int(claim["end"])] == claim["text"]  # type: ignore[call-overload]

    missing = env / "nope.html"
    assert main(["annotate", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"kratom-monitor: error: cannot read {missing}: No such file or directory\n"
    )
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"  \n")))
    assert main(["annotate", "-"]) == 1
    assert "no article text found" in capsys.readouterr().err


def test_without_a_database_claims_are_shown_without_links(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith("KM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KM_DATA_DIR", str(tmp_path))
    page = tmp_path / "page.html"
    page.write_text(VENDOR_PAGE, encoding="utf-8")
    assert main(["annotate", "--format", "jsonl", str(page)]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 3 and "run `kratom-monitor init`" in err
    assert main(["annotate", "--save", str(page)]) == 1
