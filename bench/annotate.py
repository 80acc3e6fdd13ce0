"""Claim detector throughput: sentences per second for ``detect`` on one core.

Run from the project root:

    .venv/bin/python bench/annotate.py [--repeat 20] [--rounds 5]

The text is every sentence of ``tests/fixtures/claims/dev.jsonl`` and ``eval.jsonl``, one per
line (a sentence without closing punctuation gets a period, so that segmentation keeps the
lines apart), the whole repeated ``--repeat`` times: a long document of mixed claims and
non-claims. ``detect_rate`` times ``alerts.claims.detect.detect`` on it (segmentation plus
judging, in one process pinned to one CPU where the OS allows) and reports the best of
``--rounds`` runs; sentences are counted as ``segment.sentences`` counts them.

Target (reported, not enforced): >= 2,000 sentences/s. Exit status 1 when a check fails:
a claim's offsets do not give back its text, or the rounds disagree on the claims found.

**Linking** (``link_rate``): the same work plus tagging and linking to stored alerts, as
``alerts.claims.annotate.annotate`` does it for one article (detect, one candidate query,
rank per claim), against ``--alerts`` (default 10,000) generated alerts in a fresh SQLite
file (kinds, agencies, firms, dates and topic words mixed as in the real store; a fixed
seed). Two measurements, best of ``--rounds``:

- sentences/s for the whole sentence set as one document (target >= 2,000);
- articles/s for a 2,000-word article cut from the same sentences (naming a firm that some
  alerts name, as vendor pages do), annotated ``--articles`` times in a row, each in its
  own session (as the web and the CLI do).

Checks: every claim gets links; each article costs exactly one query on the alert table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from alerts.claims.detect import Claim, detect  # noqa: E402
from alerts.claims.segment import sentences  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "claims"
TARGET = 2000.0


@dataclass(frozen=True)
class Rate:
    """One ``detect_rate`` measurement."""

    sentences: int
    claims: int
    seconds: float  # the best round
    per_second: float


def corpus(repeat: int = 20) -> str:
    """The dev and eval sentences as one text, one per line, repeated ``repeat`` times."""
    lines: list[str] = []
    for name in ("dev.jsonl", "eval.jsonl"):
        for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
            text = str(json.loads(line)["text"]).strip()
            lines.append(text if text.endswith((".", "!", "?")) else f"{text}.")
    return "\n".join(lines * repeat) + "\n"


def detect_rate(text: str, *, rounds: int = 5) -> Rate:
    """Time ``detect(text)`` ``rounds`` times; ValueError when a check fails."""
    count = len(sentences(text))
    best = float("inf")
    found: list[Claim] | None = None
    for _ in range(rounds):
        started = time.perf_counter()
        claims = detect(text)
        best = min(best, time.perf_counter() - started)
        if found is not None and claims != found:
            raise ValueError("two rounds found different claims")
        found = claims
    assert found is not None
    for claim in found:
        if text[claim.start : claim.end] != claim.text:
            raise ValueError(f"offsets {claim.start}:{claim.end} do not give {claim.text!r}")
    return Rate(count, len(found), best, count / best)


KINDS = [("recall", 30), ("warning_letter", 12), ("advisory", 10), ("notice", 12),
         ("seizure", 5), ("import_alert", 5), ("scheduling", 5), ("state_law", 6),
         ("adverse_event", 8), ("lab_results", 2), ("ftc_joint", 3), ("outbreak", 2)]  # fmt: skip
TOPIC_WORDS = [
    "opioid withdrawal", "chronic pain", "anxiety and depression", "blood pressure", "cancer",
    "deaths and liver injury", "daily exposure", "opioid receptors", "fatigue", "sleep",
    "Salmonella", "lead and nickel", "controlled substance", "concentrated 7-OH", "wellness",
]  # fmt: skip


@dataclass(frozen=True)
class LinkRate:
    """One ``link_rate`` measurement."""

    alerts: int
    sentences: int
    claims: int
    links: int
    seconds: float
    per_second: float
    article_words: int
    article_sentences: int
    articles_per_second: float


def fill_alerts(engine: Any, count: int, *, seed: int = 7) -> None:
    """Store ``count`` generated alerts through ``alerts.store.upsert`` (fixed seed)."""
    import random
    from datetime import UTC, datetime, timedelta

    from sqlmodel import Session

    from alerts import store
    from alerts.draft import AlertDraft

    rng = random.Random(seed)
    kinds = [k for k, weight in KINDS for _ in range(weight)]
    first, second = ["Green", "Red", "Gold", "River", "Leaf"], ["Botanicals", "Kratom", "Herbals"]
    firms = [f"{rng.choice(first)} {rng.choice(second)} {n}" for n in range(400)]
    start = datetime(2014, 1, 1, tzinfo=UTC)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with Session(engine) as session:
        for offset in range(0, count, 2000):
            drafts = []
            for n in range(offset, min(count, offset + 2000)):
                kind = rng.choice(kinds)
                words = rng.sample(TOPIC_WORDS, 2)
                drafts.append(
                    AlertDraft(
                        source="bench", uid=f"bench-{n}", agency=rng.choice(["FDA", "FTC", "DEA"]),
                        kind=kind, title=f"Kratom {kind.replace('_', ' ')} number {n}",
                        url=f"https://www.fda.gov/bench/{n}",
                        summary=f"Action on {words[0]} and {words[1]} in kratom products.",
                        published_at=start + timedelta(hours=rng.randrange(12 * 365 * 24)),
                        firms=[rng.choice(firms)] if rng.random() < 0.6 else [],
                    )
                )  # fmt: skip
            store.upsert(session, drafts, now=now)
        session.commit()


def article_of(text: str, words: int = 2000) -> str:
    """The first ``words`` words of ``text``, cut at a line end: one article."""
    lines, total = [], 0
    for line in text.splitlines():
        lines.append(line)
        total += len(line.split())
        if total >= words:
            break
    return "\n".join(lines) + "\n"


def link_rate(
    engine: Any, text: str, *, alerts: int, rounds: int = 5, articles: int = 20
) -> LinkRate:
    """Time detect + tag + link on ``engine``'s alerts; ValueError when a check fails."""
    from sqlalchemy import event
    from sqlmodel import Session

    from alerts.claims.annotate import annotate
    from alerts.claims.document import Article

    count = len(sentences(text))
    best, found = float("inf"), None
    for _ in range(rounds):
        started = time.perf_counter()
        with Session(engine) as session:
            result = annotate(session, Article("bench", text))
        best = min(best, time.perf_counter() - started)
        found = result
    assert found is not None
    if not found.found or any(not links for _, links in found.found):
        raise ValueError("a claim got no alert links")
    # A vendor's page names its firm: the firm's alerts join the candidates (a LIKE scan).
    article = Article("bench article", article_of(text), names=("Green Kratom 7",))
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with Session(engine) as session:
            annotate(session, article)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    if len([s for s in statements if "FROM alert" in s]) != 1:
        raise ValueError(f"an article cost {len(statements)} queries, not one on the alert table")
    per_article = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(articles):
            with Session(engine) as session:
                annotate(session, article)
        per_article = min(per_article, (time.perf_counter() - started) / articles)
    links = sum(len(links) for _, links in found.found)
    return LinkRate(
        alerts, count, len(found.found), links, best, count / best, len(article.text.split()),
        len(sentences(article.text)), 1 / per_article,
    )  # fmt: skip


def _one_core() -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="copies of the sentence set")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs; the best counts")
    parser.add_argument("--alerts", type=int, default=10_000, help="stored alerts for linking")
    parser.add_argument("--articles", type=int, default=20, help="articles per timed round")
    parser.add_argument("--no-link", action="store_true", help="time detection only")
    args = parser.parse_args(argv)
    where = _one_core()
    text = corpus(args.repeat)
    try:
        rate = detect_rate(text, rounds=args.rounds)
    except ValueError as exc:
        print(f"annotate bench: check failed: {exc}", file=sys.stderr)
        return 1
    met = "met" if rate.per_second >= TARGET else "MISSED"
    print(
        f"detect: {rate.sentences} sentences ({len(text):,} chars, {where}), {rate.claims} claims, "
        f"best of {args.rounds}: {rate.seconds:.3f} s = {rate.per_second:,.0f} sentences/s "
        f"(target >= {TARGET:,.0f}: {met})"
    )
    return 0 if args.no_link else _link(text, args)


def _link(text: str, args: argparse.Namespace) -> int:
    import tempfile

    from monitor import db

    with tempfile.TemporaryDirectory() as folder:
        engine = db.make_engine(f"sqlite:///{folder}/bench.db")
        db.migrate(engine)
        started = time.perf_counter()
        fill_alerts(engine, args.alerts)
        filled = time.perf_counter() - started
        try:
            rate = link_rate(
                engine, text, alerts=args.alerts, rounds=args.rounds, articles=args.articles
            )
        except ValueError as exc:
            print(f"annotate bench: check failed: {exc}", file=sys.stderr)
            return 1
        finally:
            engine.dispose()
    met = "met" if rate.per_second >= TARGET else "MISSED"
    print(
        f"detect + tag + link: {rate.alerts:,} stored alerts (SQLite, filled in {filled:.1f} s), "
        f"{rate.sentences} sentences, {rate.claims} claims, {rate.links} links, "
        f"best of {args.rounds}: {rate.seconds:.3f} s = {rate.per_second:,.0f} sentences/s "
        f"(target >= {TARGET:,.0f}: {met})"
    )
    print(
        f"one article: {rate.article_words:,} words, {rate.article_sentences} sentences: "
        f"{rate.articles_per_second:,.1f} articles/s "
        f"= {rate.articles_per_second * rate.article_sentences:,.0f} sentences/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
