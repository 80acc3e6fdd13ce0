"""Judge sentences as claims or not, with topics, strength and the cues that decided it.

``judge(sentence)`` reads one sentence; ``detect(text)`` cuts text into sentences
(``segment.sentences``) and returns the claims with their offsets, so that
``text[c.start:c.end] == c.text`` for every claim. The rules are the data in ``cues``; this
module only combines them (see that module's docstring for how). Neither function raises on
any ``str``; the cost is linear in the length of the text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from alerts.claims import cues as rules
from alerts.claims.segment import looks_like_heading, marker_before, sentences

TOPICS = rules.TOPICS
KINDS = ("strong", "hedged", "testimonial", "implicit")


@dataclass(frozen=True)
class SentenceVerdict:
    """Whether one sentence is a claim, and why."""

    text: str
    is_claim: bool
    topics: tuple[str, ...]
    kind: str | None  # strong | hedged | testimonial | implicit; None for a non-claim
    cues: tuple[str, ...]  # names of the rules that fired
    reason: str  # one line a reader understands


@dataclass(frozen=True)
class Claim:
    """A claim found in a text: ``text[start:end]`` in code points."""

    start: int
    end: int
    text: str
    topics: tuple[str, ...]
    kind: str
    cues: tuple[str, ...]


_EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\ufe0f\u200d\u20e3"
_FOLD = str.maketrans(
    {"’": "'", "‘": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-", "‑": "-"}
)
_SPACES = re.compile(r"\s+")
_LEADING = re.compile(
    rf"^(?:[\s#>*+•◦▪▫‣⁃·►▸▹➤➢→✓✔☑✗✘\-{_EMOJI}]|\(?\d{{1,3}}[.)](?=\s)|\(?[a-z]\)(?=\s))+"
)
_TRAILING = re.compile(rf"[\s{_EMOJI}]+$")
_MARKER = re.compile(r"\s*(?:(#{1,6})|[-*+•◦▪▫‣⁃·►▸▹➤➢→]|\(?\d{1,3}[.)])\s")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_TOPIC_ORDER = {topic: index for index, topic in enumerate(TOPICS)}


def normalise(sentence: str) -> str:
    """The form the cues read: lower case, plain quotes and dashes, no list marker or emoji."""
    folded = _SPACES.sub(" ", _CONTROL.sub(" ", sentence.translate(_FOLD))).lower()
    return _TRAILING.sub("", _LEADING.sub("", folded))


def judge(sentence: str) -> SentenceVerdict:
    """The verdict on one sentence (a list marker or ``#`` in front of it counts)."""
    marker = _MARKER.match(sentence)
    return _judge(sentence, marker.group(0).strip() if marker else "")


def detect(text: str, headings: Sequence[tuple[int, int]] = ()) -> list[Claim]:
    """The claims in ``text``, in order, each with its code-point span. A sentence that
    starts inside one of ``headings`` (spans the source's markup called headings) is a
    heading, whatever its wording.
    """
    found: list[Claim] = []
    for start, end in sentences(text):
        sentence = text[start:end]
        if any(low <= start < high for low, high in headings):
            continue
        verdict = _judge(sentence, marker_before(text, start))
        if verdict.is_claim and verdict.kind is not None:
            found.append(Claim(start, end, sentence, verdict.topics, verdict.kind, verdict.cues))
    return found


def _no(sentence: str, reason: str, fired: list[str] | tuple[str, ...] = ()) -> SentenceVerdict:
    return SentenceVerdict(sentence, False, (), None, tuple(fired), f"not a claim: {reason}")


def _fired(cues: tuple[rules.Cue, ...], text: str) -> list[str]:
    return [cue.name for cue in cues if cue.pattern.search(text)]


def _judge(sentence: str, marker: str) -> SentenceVerdict:
    text = normalise(sentence)
    if not any(ch.isalnum() for ch in text):
        return _no(sentence, "no words")
    if not rules.PREFILTER.search(text):
        return _no(sentence, "names no claim topic")
    vetoed = _fired(rules.SENTENCE_NEGATIVES, text)
    if vetoed:
        return _no(sentence, _explain_veto(vetoed), vetoed)
    if marker.startswith("#") or (not marker and looks_like_heading(sentence)):
        return _no(sentence, "a heading", ["negative.heading"])
    if text.rstrip("\"')").endswith("?") or (
        rules.QUESTION_OPENER.match(text) and not text.endswith((".", "!"))
    ):
        return _no(sentence, "a question", ["negative.question"])

    topics: dict[str, list[str]] = {}
    effects: list[str] = []
    for clause in _clauses(text):
        hits = [
            (topic, cue.name)
            for topic, cues in rules.TOPIC_CUES.items()
            if rules.TOPIC_GATES[topic].search(clause)
            for cue in cues
            if cue.pattern.search(clause)
        ]
        if not hits:
            continue
        negatives = _fired(rules.CLAUSE_NEGATIVES, clause)
        if negatives and any(name in rules.SAFETY_OVERRIDES for _, name in hits):
            negatives = [name for name in negatives if name not in rules.CAUTIONS]
        if negatives:
            vetoed += negatives
            continue
        for topic, name in hits:
            topics.setdefault(topic, []).append(name)
        effects += _fired(rules.EFFECTS, clause)
    if not topics:
        reason = _explain_veto(vetoed) if vetoed else "names no claim topic"
        return _no(sentence, reason, vetoed)

    implicit = _fired(rules.IMPLICIT, text)
    anchors = _fired(rules.ANCHORS, text)
    hedges = _fired(rules.HEDGES, text)
    topic_cues = [name for names in topics.values() for name in names]
    fired = tuple(dict.fromkeys([*topic_cues, *effects, *implicit, *anchors, *hedges, *vetoed]))
    named = ", ".join(sorted(topics, key=_TOPIC_ORDER.__getitem__))
    if set(topics) == {"dosage"}:
        return _no(sentence, "an amount with no effect or safety promise", fired)
    asserted = effects or implicit or set(topics) & rules.ASSERTIVE_TOPICS
    if not asserted:
        return _no(sentence, f"mentions {named} but asserts nothing about it", fired)
    if not anchors and not implicit:
        return _no(sentence, f"about {named}, but not about kratom, a product or the writer", fired)

    kind = _kind(anchors, hedges, effects, set(topics))
    ordered = tuple(sorted(topics, key=_TOPIC_ORDER.__getitem__))
    because = (effects or implicit or topic_cues)[0]
    about = anchors[0] if anchors else implicit[0]
    return SentenceVerdict(
        sentence, True, ordered, kind, fired, f"{kind} claim about {named} ({because}; {about})"
    )


def _kind(anchors: list[str], hedges: list[str], effects: list[str], topics: set[str]) -> str:
    """Testimonial (the writer's own), hedged, implicit (no named subject, or only
    "perfect for"), else strong."""
    if "anchor.first_person" in anchors:
        return "testimonial"
    if hedges:
        return "hedged"
    if set(anchors) <= rules.UNNAMED_ANCHORS or (
        set(effects) <= {"effect.recommend"} and not topics & rules.ASSERTIVE_TOPICS
    ):
        return "implicit"
    return "strong"


def _clauses(text: str) -> list[str]:
    """Parts judged on their own: a caution or disclaimer vetoes only its own clause."""
    return [part for part in rules.CLAUSE_SPLIT.split(text) if part.strip()]


_VETO_WORDS = {
    "negative.commerce": "shop, shipping or price text",
    "negative.meta": "text about the article itself",
    "negative.navigation": "navigation",
    "negative.consult_clinician": "advice to consult a clinician",
    "negative.regulator_reporting": "reporting what a regulator did",
    "negative.regulator_position": "a regulator's position restated",
    "negative.negated_benefit": "a benefit denied or disowned",
    "negative.product_spec": "a product specification",
    "negative.reported_claim": "someone else's claim reported or rejected",
    "negative.caution_legal": "a caution about the law",
    "negative.history": "history of a legal status",
    "negative.research_uncertain": "research described as unsettled",
}


def _explain_veto(names: list[str]) -> str:
    first = names[0]
    if first.startswith("negative.disclaimer"):
        words = "a disclaimer"
    elif first.startswith("negative.caution"):
        words = "a caution or warning"
    else:
        words = _VETO_WORDS.get(first, first)
    return f"{words} ({first})"
