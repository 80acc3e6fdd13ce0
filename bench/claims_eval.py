"""Score the claim detector on a labelled JSONL set of sentences.

Run from the project root:

    .venv/bin/python bench/claims_eval.py [tests/fixtures/claims/eval.jsonl ...] [--examples 8]
                                          [--json]

Each line of a set is ``{"text", "is_claim", "topics"}`` (topics ``[]`` for a non-claim).
Every sentence goes through ``alerts.claims.detect.judge`` and is scored:

- claim precision, recall and F1 (a claim is the positive class);
- topic micro precision, recall and F1 over (sentence, topic) pairs of every sentence, claims
  and non-claims alike (a missed claim loses its topics, a false claim's topics count
  against precision);
- F1 per topic, and examples of false claims, missed claims and wrong topics.

Targets (reported, not enforced): claim F1 >= 0.85 with precision >= 0.90, topic micro-F1
>= 0.80. The development set (``dev.jsonl``) is what the cues were tuned on; the evaluation
set (``eval.jsonl``) is held out. Exit status 1 when a file cannot be read or a line is not
a labelled sentence.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from alerts.claims.detect import TOPICS, SentenceVerdict, judge  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "claims"
TARGETS = {"claim_f1": 0.85, "claim_precision": 0.90, "topic_f1": 0.80}


@dataclass(frozen=True)
class Labelled:
    """One gold sentence."""

    text: str
    is_claim: bool
    topics: frozenset[str]


@dataclass
class Scores:
    """What ``score`` measured; ``examples`` holds (what went wrong, sentence, detail)."""

    sentences: int = 0
    claims: int = 0
    claim_precision: float = 0.0
    claim_recall: float = 0.0
    claim_f1: float = 0.0
    topic_precision: float = 0.0
    topic_recall: float = 0.0
    topic_f1: float = 0.0
    per_topic_f1: dict[str, float] = field(default_factory=dict)
    examples: list[tuple[str, str, str]] = field(default_factory=list)

    def meets_targets(self) -> bool:
        return all(getattr(self, name) >= goal for name, goal in TARGETS.items())


def load(path: Path) -> list[Labelled]:
    """The labelled sentences of a JSONL file; ValueError names the first bad line."""
    rows: list[Labelled] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            row = Labelled(str(data["text"]), bool(data["is_claim"]), frozenset(data["topics"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a labelled sentence ({exc})") from None
        unknown = row.topics - set(TOPICS)
        if unknown or (row.is_claim != bool(row.topics)):
            raise ValueError(f"{path}:{number}: topics {sorted(row.topics)} do not fit the label")
        rows.append(row)
    return rows


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def score(rows: Iterable[Labelled], judge: Callable[[str], SentenceVerdict] = judge) -> Scores:
    """Claim and topic scores of ``judge`` over ``rows``."""
    result = Scores()
    tp = fp = fn = 0
    topic_counts = {topic: [0, 0, 0] for topic in TOPICS}  # tp, fp, fn
    for row in rows:
        verdict = judge(row.text)
        result.sentences += 1
        result.claims += row.is_claim
        tp += row.is_claim and verdict.is_claim
        fp += verdict.is_claim and not row.is_claim
        fn += row.is_claim and not verdict.is_claim
        predicted = frozenset(verdict.topics)
        for topic in predicted & row.topics:
            topic_counts[topic][0] += 1
        for topic in predicted - row.topics:
            topic_counts[topic][1] += 1
        for topic in row.topics - predicted:
            topic_counts[topic][2] += 1
        if verdict.is_claim != row.is_claim:
            what = "false claim" if verdict.is_claim else "missed claim"
            result.examples.append((what, row.text, verdict.reason))
        elif predicted != row.topics:
            detail = f"gold {sorted(row.topics)} got {sorted(predicted)}"
            result.examples.append(("wrong topics", row.text, detail))
    result.claim_precision, result.claim_recall, result.claim_f1 = _f1(tp, fp, fn)
    totals = [sum(counts[i] for counts in topic_counts.values()) for i in range(3)]
    result.topic_precision, result.topic_recall, result.topic_f1 = _f1(*totals)
    result.per_topic_f1 = {
        topic: round(_f1(*counts)[2], 3) for topic, counts in topic_counts.items() if any(counts)
    }
    return result


def report(name: str, scores: Scores, examples: int) -> str:
    """A plain-text report of ``scores``."""
    lines = [
        f"== {name}: {scores.sentences} sentences, {scores.claims} gold claims",
        f"claim   P {scores.claim_precision:.3f}  R {scores.claim_recall:.3f}  "
        f"F1 {scores.claim_f1:.3f}   (targets F1 >= 0.85, P >= 0.90)",
        f"topics  P {scores.topic_precision:.3f}  R {scores.topic_recall:.3f}  "
        f"F1 {scores.topic_f1:.3f}   (target micro-F1 >= 0.80)",
        "targets met" if scores.meets_targets() else "TARGETS MISSED",
        "per-topic F1: "
        + ", ".join(f"{topic} {f1:.2f}" for topic, f1 in scores.per_topic_f1.items()),
    ]
    for what in ("false claim", "missed claim", "wrong topics"):
        chosen = [e for e in scores.examples if e[0] == what]
        lines.append(f"-- {what}: {len(chosen)}")
        lines += [f"   {text!r}\n      {detail}" for _, text, detail in chosen[:examples]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "sets",
        nargs="*",
        type=Path,
        default=[FIXTURES / "dev.jsonl", FIXTURES / "eval.jsonl"],
        help="labelled JSONL files (default: dev.jsonl and eval.jsonl)",
    )
    parser.add_argument("--examples", type=int, default=8, help="examples per error kind")
    parser.add_argument("--json", action="store_true", help="one JSON object per set")
    args = parser.parse_args(argv)
    for path in args.sets:
        try:
            rows = load(path)
        except (OSError, ValueError) as exc:
            print(f"claims_eval: {exc}", file=sys.stderr)
            return 1
        scores = score(rows)
        if args.json:
            data = asdict(scores)
            data["examples"] = data["examples"][: args.examples]
            print(json.dumps({"set": str(path), **data}, ensure_ascii=False))
        else:
            print(report(path.name, scores, args.examples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
