"""Which claim categories an alert names, read from its title, summary and hazards, and from
the claims a warning letter quotes (``details["cited_claims"]``, topics already tagged).

An alert that *names* the claim's category (a warning letter citing pain claims, an advisory
on liver injury) outranks one that only has the right kind. Regulators' wording differs
from sellers', so this is its own small lexicon, matched in one pass per alert.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from alerts.claims.cues import TOPICS

_CUES: dict[str, str] = {
    "opioid_withdrawal": r"(?:opioid|opiate|heroin)s?[- ](?:withdrawal|addiction|use disorder"
    r"|dependence|cravings)|withdrawal symptoms|addiction|substance use disorder|recovery fraud"
    r"|opioid (?:crisis|epidemic)",
    "pain": r"\bpain\b|analgesi|painkiller",
    "anxiety_mood": r"anxiety|depression|\bmood\b|\bptsd\b",
    "blood_pressure_cardio": r"blood pressure|hypertension|\bstrokes?\b|cardiovascular",
    "disease_other": r"\bcancer|diabetes|covid|coronavirus|\bdiseases?\b|alzheimer",
    "safety_assertion": r"\bdeaths?\b|\bdied\b|seizures?\b(?! of)|liver|overdose|adverse events?"
    r"|abuse|serious risks?|deadly|poison",
    "dosage": r"\bdos(?:e|es|ing|age)\b|daily exposure|heavy (?:kratom )?users",
    "mechanism_receptor": r"receptors?|morphine|opioid (?:properties|analogue|analog)"
    r"|\bis an opioid|acts like",
    "energy_focus": r"fatigue|stimulant|energy",
    "sleep": r"\bsleep|sedat|insomnia",
    "contamination": r"salmonell|heavy metals?|\blead\b|nickel|contaminat|e\. ?coli|adulterat",
    "legality": r"schedul(?:e|ed|ing)\b|controlled substance|import alert|\bban(?:s|ned)?\b"
    r"|illegal|not lawful|unlawful|new dietary ingredient",
    "potency_7oh": r"7-?oh\b|7-hydroxymitragynine|concentrated|potency|potent\b",
    "general_wellness": r"wellness|dietary supplements?",
}
_PATTERN = re.compile("|".join(f"(?P<{topic}>{cue})" for topic, cue in _CUES.items()), re.I)
_HAZARD_TOPICS = {
    "salmonella": "contamination",
    "listeria": "contamination",
    "e_coli": "contamination",
    "heavy_metals": "contamination",
    "7oh_potency": "potency_7oh",
    "opioid_effects": "safety_assertion",
}


_CACHE: dict[str, frozenset[str]] = {}
_CACHE_SIZE = 200_000


MAX_CITED = 40  # cited claims read per alert; letters quote a handful


@dataclass(frozen=True)
class CitedClaim:
    """One claim a letter quotes, with the topics it was tagged with when the letter was read."""

    text: str
    topics: frozenset[str]


def cited_claims(details: Mapping[str, Any] | None) -> tuple[CitedClaim, ...]:
    """The well-formed entries of ``details["cited_claims"]``, in the letter's order.

    Stored JSON is read defensively: entries that are not ``{"text": str, "topics": [str]}``
    are skipped, topics outside the taxonomy dropped; never raises.
    """
    entries = details.get("cited_claims") if isinstance(details, Mapping) else None
    if not isinstance(entries, list):
        return ()
    found = []
    for entry in entries[:MAX_CITED]:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("text"), str):
            continue
        topics = entry.get("topics")
        named = topics if isinstance(topics, list) else []
        text = " ".join(entry["text"].split())
        if text:
            found.append(CitedClaim(text, frozenset(t for t in named if t in TOPICS)))
    return tuple(found)


def alert_topics(
    title: str,
    summary: str,
    hazards: Iterable[str] = (),
    *,
    key: str | None = None,
    cited: Iterable[CitedClaim] = (),
) -> frozenset[str]:
    """Claim topics an alert names: in its own text (the first 4,000 characters of it), its
    hazards, and the claims it quotes (``cited``).

    ``key`` (the alert's content hash) lets a long-running process remember the answer:
    the same content always names the same topics.
    """
    quoted = frozenset(topic for claim in cited for topic in claim.topics)
    if key is not None and key in _CACHE:
        return _CACHE[key] | quoted
    found = {_HAZARD_TOPICS[h] for h in hazards if h in _HAZARD_TOPICS}
    for match in _PATTERN.finditer(f"{title}\n{summary}"[:4000]):
        if match.lastgroup:
            found.add(match.lastgroup)
    topics = frozenset(found)
    if key is not None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[key] = topics
    return topics | quoted
