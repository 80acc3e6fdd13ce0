"""The claim detector: segmentation, verdicts per topic and per negative rule, the CLI."""

from __future__ import annotations

import io
import itertools
import json
import os
import time
from pathlib import Path

import pytest

from alerts.claims import cues
from alerts.claims.detect import TOPICS, detect, judge, normalise
from alerts.claims.segment import MAX_SENTENCE, sentences
from bench.claims_eval import FIXTURES, TARGETS, load, score
from monitor.cli import main

TOPIC_CASES = [
    ("opioid_withdrawal", "Our Maeng Da blend smooths out the first week of an oxy detox."),
    ("opioid_withdrawal", "kratom is how i finally got off percocets after my surgery"),
    ("opioid_withdrawal", "Many people lean on kratom to handle heroin cravings."),
    ("pain", "Red Borneo quiets the throbbing of a bad migraine."),
    ("pain", "- Soothes sore joints after yard work"),
    ("pain", "My neck pain is gone since I switched to kratom capsules."),
    ("anxiety_mood", "Green Vietnam may help lighten a low mood on gray days."),
    ("anxiety_mood", "Kratom settles my nerves before big presentations."),
    ("anxiety_mood", "This strain is a natural antidepressant for the winter months."),
    ("blood_pressure_cardio", "Kratom tea supports healthy blood pressure levels."),
    ("blood_pressure_cardio", "Our leaf improves circulation to cold hands and feet."),
    ("disease_other", "Kratom strengthens the immune system against winter colds."),
    ("disease_other", "Kratom may slow the spread of tumors, early research suggests."),
    ("safety_assertion", "Kratom has zero side effects when taken as directed."),
    ("safety_assertion", "You simply cannot overdose on plain kratom leaf."),
    ("safety_assertion", "Kratom won't interact with your blood pressure pills."),
    ("dosage", "Take 3 grams before a run for steady energy."),
    ("dosage", "Two teaspoons twice a day keep my back pain away."),
    ("mechanism_receptor", "Mitragynine acts as a partial agonist at the mu receptor."),
    ("mechanism_receptor", "Kratom raises dopamine levels, which lifts your spirits."),
    ("energy_focus", "White Maeng Da keeps me sharp through late-night study sessions."),
    ("energy_focus", "Kratom is a great coffee replacement for a clean morning buzz."),
    ("sleep", "Red Bali before bed and I sleep straight through till morning."),
    ("sleep", "Kratom is a gentle natural remedy for insomnia."),
    ("contamination", "Every batch ships with a certificate of analysis."),
    ("contamination", "Our kratom is free of heavy metals and fillers."),
    ("legality", "Kratom is legal to buy online in most U.S. states."),
    ("legality", "Our shop is fully compliant with the Kratom Consumer Protection Act."),
    ("potency_7oh", "Our 7-OH shots are 40x stronger than leaf powder."),
    ("potency_7oh", "The strongest enhanced extract we have ever carried."),
    ("general_wellness", "Kratom brings balance and vitality to your daily routine."),
    ("general_wellness", "A holistic ritual for whole-body wellbeing."),
]

NEGATIVE_CASES = [
    ("negative.question", "Does kratom really help with back pain?"),
    ("negative.question", "can kratom lower blood pressure"),
    ("negative.heading", "Kratom Strains for Pain and Sleep"),
    ("negative.heading", "## How kratom eases withdrawal"),
    ("negative.commerce", "Save 20% off pain relief capsules with code RELIEF20."),
    ("negative.meta", "In this guide we explain how kratom may help with pain."),
    ("negative.navigation", "Shop › Kratom for Energy › White Vein"),
    (
        "negative.disclaimer_not_evaluated",
        "Claims about pain relief have not been evaluated by FDA.",
    ),
    ("negative.disclaimer_not_intended", "Our kratom is not intended to treat anxiety or pain."),
    ("negative.disclaimer_results_vary", "Effects on sleep may vary from person to person."),
    ("negative.disclaimer_not_for_consumption", "This pain blend is for botanical research only."),
    ("negative.disclaimer_not_advice", "Nothing here about pain is medical advice."),
    ("negative.disclaimer_no_claims", "We make no health claims about energy or focus."),
    ("negative.consult_clinician", "Ask your doctor before using kratom for pain."),
    ("negative.caution_causes", "Kratom can cause insomnia in some people."),
    ("negative.caution_harm", "Mixing kratom with sleep aids raises the risk of overdose."),
    ("negative.caution_avoid", "Do not use kratom if you take anxiety medication."),
    ("negative.caution_interaction", "Kratom interacts with many blood pressure drugs."),
    (
        "negative.caution_tolerance",
        "Daily users build tolerance and need more for the same relief.",
    ),
    ("negative.caution_pregnancy", "Kratom is not recommended for pregnant women with back pain."),
    ("negative.caution_contaminated", "A contaminated batch of energy capsules made people ill."),
    ("negative.caution_advice", "Extracts are strong, so dose carefully for pain."),
    ("negative.caution_dose", "At high doses kratom becomes sedating rather than energizing."),
    ("negative.caution_legal", "Kratom may not be legal in your county, so check first."),
    ("negative.regulator_reporting", "The FDA warned sellers against pain and anxiety claims."),
    ("negative.regulator_position", "No kratom product is FDA-approved for pain or anxiety."),
    ("negative.negated_benefit", "Kratom does not cure depression or anxiety."),
    ("negative.reported_claim", "Some shops make wild claims about kratom curing cancer."),
    ("negative.history", "Kratom was banned in Indiana in 2014."),
    ("negative.product_spec", "Each capsule contains 600 mg of Red Bali for pain."),
    ("negative.research_uncertain", "Researchers are still studying kratom and chronic pain."),
]

NOT_CLAIMS = [
    "Back pain is among the most common complaints in primary care.",
    "Dopamine is a messenger molecule in the brain.",
    "The kratom tree is an evergreen related to coffee.",
    "Kratom leaves hold more than forty alkaloids.",
    "Each bag holds 250 grams of powder.",
    "",
    "   ",
    "🔥🔥🔥",
]


@pytest.mark.parametrize(("topic", "sentence"), TOPIC_CASES)
def test_a_claim_of_each_topic_is_found_with_that_topic(topic: str, sentence: str) -> None:
    verdict = judge(sentence)
    assert verdict.is_claim, verdict.reason
    assert topic in verdict.topics
    assert verdict.kind in {"strong", "hedged", "testimonial", "implicit"}
    assert verdict.text == sentence


@pytest.mark.parametrize(("rule", "sentence"), NEGATIVE_CASES)
def test_each_negative_rule_turns_a_topical_sentence_into_a_non_claim(
    rule: str, sentence: str
) -> None:
    verdict = judge(sentence)
    assert not verdict.is_claim
    assert verdict.topics == () and verdict.kind is None
    assert rule in verdict.cues, verdict
    assert verdict.reason.startswith("not a claim: ")


@pytest.mark.parametrize("sentence", NOT_CLAIMS)
def test_general_facts_botany_specs_and_empty_text_are_not_claims(sentence: str) -> None:
    assert not judge(sentence).is_claim


def test_every_topic_and_every_negative_rule_has_a_case() -> None:
    assert {topic for topic, _ in TOPIC_CASES} == set(TOPICS)
    rules = {c.name for c in (*cues.SENTENCE_NEGATIVES, *cues.CLAUSE_NEGATIVES)}
    assert rules | {"negative.question", "negative.heading"} == {r for r, _ in NEGATIVE_CASES}


def test_topics_are_the_taxonomy_list_in_its_order() -> None:
    assert TOPICS == (
        "opioid_withdrawal", "pain", "anxiety_mood", "blood_pressure_cardio", "disease_other",
        "safety_assertion", "dosage", "mechanism_receptor", "energy_focus", "sleep",
        "contamination", "legality", "potency_7oh", "general_wellness",
    )  # fmt: skip
    assert tuple(cues.TOPIC_CUES) == TOPICS == tuple(cues.TOPIC_STEMS)


def test_cue_names_are_unique_and_say_their_group() -> None:
    groups = [
        *(c for topic_cues in cues.TOPIC_CUES.values() for c in topic_cues),
        *cues.EFFECTS, *cues.ANCHORS, *cues.IMPLICIT, *cues.HEDGES,
        *cues.SENTENCE_NEGATIVES, *cues.CLAUSE_NEGATIVES,
    ]  # fmt: skip
    names = [c.name for c in groups]
    assert len(names) == len(set(names))
    assert all("." in name for name in names)
    assert set(names) >= cues.SAFETY_OVERRIDES | cues.UNNAMED_ANCHORS


def _labelled_texts() -> list[str]:
    return [row.text for name in ("dev.jsonl", "eval.jsonl") for row in load(FIXTURES / name)]


def test_a_topic_gate_never_hides_a_cue_that_fires() -> None:
    texts = _labelled_texts() + [s for _, s in TOPIC_CASES + NEGATIVE_CASES] + NOT_CLAIMS
    for text in map(normalise, texts):
        for topic, topic_cues in cues.TOPIC_CUES.items():
            if any(c.pattern.search(text) for c in topic_cues):
                assert cues.TOPIC_GATES[topic].search(text), (topic, text)
                assert cues.PREFILTER.search(text), text


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("Kratom relieves arthritis pain.", "strong"),
        ("Kratom might relieve arthritis pain.", "hedged"),
        ("My arthritis pain eased the week I started red vein.", "testimonial"),
        ("- Gentle relief for arthritis pain", "implicit"),
    ],
)
def test_the_kind_says_how_the_claim_is_made(sentence: str, kind: str) -> None:
    assert judge(sentence).kind == kind


@pytest.mark.parametrize(
    "sentence",
    [
        "Kratom can cause constipation, but it works wonders on sciatica.",
        "Kratom isn't FDA approved, yet thousands use it to ease their back pain.",
        "Results vary; still, kratom calms my anxiety like nothing else.",
        "Nobody ever mentions it, but this powder got me off pain pills.",
    ],
)
def test_a_benefit_next_to_a_caution_or_disclaimer_is_still_a_claim(sentence: str) -> None:
    assert judge(sentence).is_claim


def test_a_denied_harm_is_a_safety_claim_but_a_denied_benefit_is_not() -> None:
    denied_harm = judge("Kratom does not depress breathing or harm the liver.")
    assert denied_harm.is_claim and "safety_assertion" in denied_harm.topics
    assert not judge("Kratom does not relieve nerve pain.").is_claim


def test_every_verdict_explains_itself_in_one_line() -> None:
    for text in [s for _, s in TOPIC_CASES + NEGATIVE_CASES] + NOT_CLAIMS:
        verdict = judge(text)
        assert verdict.reason and "\n" not in verdict.reason
        assert all(isinstance(name, str) for name in verdict.cues)


# --- segmentation ---------------------------------------------------------------------


def _pieces(text: str) -> list[str]:
    return [text[start:end] for start, end in sentences(text)]


def test_abbreviations_do_not_end_a_sentence() -> None:
    text = (
        "Dr. Lee sells kratom in the U.S. and in Canada. Each capsule holds 500 mg. Take one. "
        "Orders before 2 p.m. ship today, e.g. Maeng Da. Made in the U.S. Kratom ships fast."
    )
    assert _pieces(text) == [
        "Dr. Lee sells kratom in the U.S. and in Canada.",
        "Each capsule holds 500 mg.",
        "Take one.",
        "Orders before 2 p.m. ship today, e.g. Maeng Da.",
        "Made in the U.S.",
        "Kratom ships fast.",
    ]


def test_bullets_numbered_items_and_headings_are_sentences_without_their_markers() -> None:
    text = (
        "## Why red vein\r\n\r\n- Eases sore joints\r\n* Lab tested\r\n1. Calms nerves\r\n"
        "2) Legal in most states\r\nWhy Customers Love It\r\nIt works. Really!\r\n"
    )
    assert _pieces(text) == [
        "Why red vein", "Eases sore joints", "Lab tested", "Calms nerves",
        "Legal in most states", "Why Customers Love It", "It works.", "Really!",
    ]  # fmt: skip


def test_hard_wrapped_lines_of_a_paragraph_are_joined() -> None:
    text = (
        "Many of our customers tell us that a small morning serving of green kratom helps them\n"
        "stay focused at work. Others prefer red.\n"
    )
    assert _pieces(text) == [
        "Many of our customers tell us that a small morning serving of green kratom helps "
        "them\nstay focused at work.",
        "Others prefer red.",
    ]


def test_emoji_and_combining_characters_count_as_one_code_point_each() -> None:
    text = "Cafe\u0301 owners love it 🔥🔥 Best for mornings! Works great. 🙌 Zoe\u0308 agrees…"
    assert _pieces(text) == [
        "Cafe\u0301 owners love it 🔥🔥",
        "Best for mornings!",
        "Works great. 🙌",
        "Zoe\u0308 agrees…",
    ]
    start, end = sentences(text)[-1]
    assert (start, end) == (len(text) - len("Zoe\u0308 agrees…"), len(text))


def test_quotes_stay_with_their_sentence() -> None:
    text = 'She said "it helps my back." Then she ordered more. “Best leaf ever!” he wrote.'
    assert _pieces(text) == [
        'She said "it helps my back."',
        "Then she ordered more.",
        "“Best leaf ever!” he wrote.",
    ]


def test_spans_are_stripped_in_order_and_never_overlap() -> None:
    text = "  \tFirst one.   Second one!\n\n\n  Third one?  \r\n- fourth\n---\n"
    spans = sentences(text)
    assert _pieces(text) == ["First one.", "Second one!", "Third one?", "fourth"]
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_a_sentence_longer_than_the_limit_is_cut_at_a_space() -> None:
    text = "word " * 1000
    spans = sentences(text)
    assert len(spans) > 1
    assert all(end - start <= MAX_SENTENCE for start, end in spans)
    assert " ".join(text[s:e] for s, e in spans) == text.strip()


MIXED = """# Why Readers Love Red Bali\r
\r
Posted by Sam on March 3. Many readers write to us about coming off pain pills.
Kratom eased my opioid withdrawal within days 🙏 I still can't believe it.

- Third-party tested for salmonella & lead
- 500 mg per capsule
- Calms anxiety and lifts your mood

> "Dr. Reyes says kratom is safer than prescription opioids," one reader wrote.

Is kratom legal? Yes: it is legal in most U.S. states. These statements have not been
evaluated by the FDA. Résumé of café talk: kratom boosts focus & energy… Try it!
<p>Kratom relieves back pain.</p><p>Buy now</p>
"""


def test_every_claim_of_a_long_mixed_text_gives_back_its_text_from_its_offsets() -> None:
    text = MIXED * 20
    found = detect(text)
    assert len(found) >= 20 * 6
    for claim in found:
        assert text[claim.start : claim.end] == claim.text
        assert claim.text == claim.text.strip() and claim.topics and claim.kind


def test_the_mixed_text_claims_are_the_expected_ones() -> None:
    found = {claim.text: claim.topics for claim in detect(MIXED)}
    assert found == {
        "Kratom eased my opioid withdrawal within days 🙏": ("opioid_withdrawal",),
        "Third-party tested for salmonella & lead": ("contamination",),
        "Calms anxiety and lifts your mood": ("anxiety_mood",),
        '"Dr. Reyes says kratom is safer than prescription opioids," one reader wrote.': (
            "safety_assertion",
        ),
        "Yes: it is legal in most U.S. states.": ("legality",),
        "Résumé of café talk: kratom boosts focus & energy…": ("energy_focus",),
        "<p>Kratom relieves back pain.": ("pain",),
    }


@pytest.mark.parametrize(
    "text",
    [
        "<div><p>Kratom eases pain.</p><script>x()</script><li>Lab tested</li></div>" * 1300,
        "kratom eases pain " * 6000,
        "".join(f"{chr(i % 32)}kratom eases pain. " for i in range(5000)),
        "a." * 50000,
        "\r\n" * 50000,
        "🔥" * 60000,
        "(" * 50000 + "?" * 50000,
        "".join(chr(0x20 + (i * 7919) % 0x2FE0) for i in range(100_000)),
    ],
    ids=[
        "html",
        "no-punctuation",
        "control-chars",
        "dots",
        "blank-lines",
        "emoji",
        "brackets",
        "unicode-soup",
    ],
)
def test_hostile_input_of_100k_characters_does_not_crash_and_stays_fast(text: str) -> None:
    started = time.perf_counter()
    found = detect(text)
    assert time.perf_counter() - started < 5.0
    for claim in found:
        assert text[claim.start : claim.end] == claim.text


# --- scores ---------------------------------------------------------------------------


def test_the_detector_stays_above_the_targets_on_the_development_set() -> None:
    scores = score(load(FIXTURES / "dev.jsonl"))
    assert scores.sentences >= 120
    assert scores.claim_precision >= TARGETS["claim_precision"], scores.examples[:5]
    assert scores.claim_f1 >= TARGETS["claim_f1"], scores.examples[:5]
    assert scores.topic_f1 >= TARGETS["topic_f1"], scores.examples[:5]


def test_the_labelled_sets_are_well_formed_and_cover_every_topic() -> None:
    for name, least in (("dev.jsonl", 120), ("eval.jsonl", 180)):
        rows = load(FIXTURES / name)
        assert len(rows) >= least
        assert {topic for row in rows for topic in row.topics} == set(TOPICS)
        assert len({row.text for row in rows}) == len(rows)
    dev = {row.text for row in load(FIXTURES / "dev.jsonl")}
    assert dev.isdisjoint(row.text for row in load(FIXTURES / "eval.jsonl"))


# --- command line ---------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith("KM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KM_DATA_DIR", str(tmp_path))
    return tmp_path


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_annotate_sentences_prints_one_verdict_per_input_line_in_order(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        "Kratom eases opioid withdrawal within hours.",
        "",
        "Is kratom safe?",
        "Our powder is lab tested for heavy metals.\r",
        "   ",
        "Ünïcödé kratom calms my nerves 😌",
        "\x00\x07 control junk",
    ]
    _stdin(monkeypatch, "\n".join(lines).encode() + b"\n\xff\xfe broken bytes\n")
    assert main(["annotate", "--sentences", "-"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["text"] for row in out] == [line.rstrip("\r") for line in lines] + [
        "\ufffd\ufffd broken bytes"
    ]
    assert [row["is_claim"] for row in out] == [True, False, False, True, False, True, False, False]
    assert out[0]["topics"] == ["opioid_withdrawal"] and out[3]["topics"] == ["contamination"]
    assert out[1] == {
        "text": "", "is_claim": False, "topics": [], "kind": None, "cues": [],
        "reason": "not a claim: no words",
    }  # fmt: skip
    assert all({"text", "is_claim", "topics", "kind", "cues", "reason"} <= set(r) for r in out)


def test_annotate_sentences_reads_a_file_too(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = cli_env / "lines.txt"
    path.write_text("Red Thai helps me sleep.\nShipping is free.\n", encoding="utf-8")
    assert main(["annotate", "--sentences", str(path)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(row["is_claim"], row["topics"]) for row in out] == [(True, ["sleep"]), (False, [])]


def test_annotate_a_text_prints_each_claim_with_offsets_into_the_text(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "# Red Bali\r\n\r\nKratom relieves back pain 💪 Talk to your doctor first.\r\n"
    _stdin(monkeypatch, text.encode())
    assert main(["annotate", "--format", "jsonl", "-"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == 1
    claim = out[0]
    assert {"start", "end", "text", "topics", "kind", "cues"} <= set(claim)
    assert text[claim["start"] : claim["end"]] == claim["text"] == "Kratom relieves back pain 💪"


def test_annotate_a_missing_file_exits_2_with_one_line(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = cli_env / "nope.txt"
    assert main(["annotate", "--sentences", str(missing)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"kratom-monitor: error: cannot read {missing}: No such file or directory\n"
