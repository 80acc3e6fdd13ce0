"""The kratom vocabulary and relevance test.

Terms match on word boundaries, so "Kratos" or "ketumbar" never count. Each hit is
reported by its canonical name, so users can see why an item was kept.
"""

from __future__ import annotations

import re

# canonical name -> pattern (matched case-insensitively unless noted)
_TERMS: dict[str, str] = {
    "kratom": r"\bk(?:a)?ratom\w*",  # also "KratomNC", "kratoms", the "karatom" misspelling
    "ketum": r"\bketum\b",
    "biak": r"\bbiak(?:-biak)?\b",
    "kakuam": r"\bkakuam\b",
    "mitragyna speciosa": r"\bmitragyna\b(?:\s+speciosa\b)?",
    "mitragynine": r"\bmitragynin(?:e)?\b",
    "7-hydroxymitragynine": r"\b7\s*[-‐‑–]?\s*hydroxy\s*[-‐‑–]?\s*mitragynine\b",
    "speciogynine": r"\bspeciogynine\b",
    "mitragynine pseudoindoxyl": r"\bpseudoindoxyl\b",
}
# "7-OH" is matched case-sensitively: "7-oh" in running text is rarely the alkaloid.
_SEVEN_OH = r"(?<![\w.])7\s?[-‐‑–]?\s?OH(?:MZ)?\b(?!-[A-Z])"

_GROUPS = {f"t{i}": name for i, name in enumerate(_TERMS)}
_PATTERN = re.compile(
    "|".join(f"(?P<t{i}>{pattern})" for i, pattern in enumerate(_TERMS.values())),
    re.IGNORECASE,
)
_SEVEN_OH_PATTERN = re.compile(_SEVEN_OH)


# Every term pattern contains one of these; texts without any skip the regex, which
# matters when a general feed holds thousands of items and few are about kratom.
_HINTS = ("ratom", "ketum", "biak", "kakuam", "mitragyn", "hydroxy", "speciogyn", "pseudoindoxyl")


def _may_match(text: str) -> bool:
    lowered = text.lower()
    return any(hint in lowered for hint in _HINTS)


def match_terms(text: str) -> list[str]:
    """Canonical kratom terms found in ``text``, in first-seen order, without repeats."""
    found: list[str] = []
    matches = _PATTERN.finditer(text) if _may_match(text) else iter(())
    for match in matches:
        name = _GROUPS[match.lastgroup or ""]
        if name not in found:
            found.append(name)
    if "OH" in text and _SEVEN_OH_PATTERN.search(text) and "7-OH" not in found:
        found.append("7-OH")
    return found


def is_relevant(text: str) -> bool:
    """True when ``text`` mentions kratom or one of its alkaloids."""
    if _may_match(text) and _PATTERN.search(text):
        return True
    return "OH" in text and bool(_SEVEN_OH_PATTERN.search(text))
