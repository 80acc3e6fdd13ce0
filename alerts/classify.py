"""Classification: kind, hazards, severity (with the reason), US regions, firm names.

Pure functions over an ``AlertDraft``: no I/O. ``classify`` is the single entry point
the pipeline calls after a source has parsed an item.
"""

from __future__ import annotations

import re
from dataclasses import replace

from alerts.draft import AlertDraft
from alerts.events import events_in

_HAZARDS: dict[str, re.Pattern[str]] = {
    "salmonella": re.compile(r"\bsalmonell", re.I),
    "listeria": re.compile(r"\blisteri", re.I),
    "e_coli": re.compile(r"\b(?:e\.\s?coli|escherichia)\b", re.I),
    # "lead" only as the metal: "lead and nickel", "levels of lead", not "can lead to".
    "heavy_metals": re.compile(
        r"\b(?:heavy[- ]metals?|nickel|arsenic|cadmium|mercury)\b"
        r"|\blead\b(?=\s*(?:\(|,|and\b|or\b|levels?\b|content|poisoning|contamina|exposure))"
        r"|\b(?:levels? of|amounts? of|high|elevated|unsafe|toxic|contain(?:s|ed|ing)?|with)"
        r"\s+lead\b",
        re.I,
    ),
    "7oh_potency": re.compile(
        r"(?:7\s?-?OH|7-hydroxymitragynine)[^.]{0,120}?"
        r"(?:concentrat|potenc|above (?:the )?label|exceed|higher than|elevated"
        r"|synthetic|semi-synthetic)"
        r"|(?:concentrat|potent|elevated|high(?:er)? levels? of)[^.]{0,60}?"
        r"(?:7\s?-?OH|7-hydroxymitragynine)",
        re.I,
    ),
    "undeclared_kratom": re.compile(
        r"\b(?:undeclared|(?:may|to) (?:be )?contain|contains?)\s+"
        r"(?:\w+\s+){0,2}(?:kratom|mitragyn)",
        re.I,
    ),
    "opioid_effects": re.compile(
        # "No deaths have been reported" is not a death: the lookbehinds skip it.
        r"\b(?:opioid[- ]like|overdose|(?<!\bno )(?<!\bzero )deaths?|respiratory depression"
        r"|addiction|dependence|"
        r"withdrawal symptoms|(?:opioid|opiate) withdrawal|abuse potential)\b",
        re.I,
    ),
    "unapproved_drug": re.compile(r"\bunapproved (?:new )?drugs?\b", re.I),
}

# Rules tried in order; the first that fires decides the kind.
_KIND_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "ftc_joint",
        re.compile(
            r"\b(?:FTC|Federal Trade Commission)\b.{0,200}\bwarning letters?"
            r"|\bwarning letters?\b.{0,200}\b(?:FTC|Federal Trade Commission)\b",
            re.I | re.S,
        ),
    ),
    ("warning_letter", re.compile(r"\bwarning letters?\b", re.I)),
    ("import_alert", re.compile(r"\bimport alert\b", re.I)),
    (
        "seizure",
        re.compile(r"\b(?:seiz(?:e|es|ed|ure|ing)|forfeiture|administrative detention)\b", re.I),
    ),
    ("outbreak", re.compile(r"\boutbreak\b", re.I)),
    (
        "lab_results",
        re.compile(r"\b(?:test(?:ing)? results|laborator(?:y|ies) (?:tests?|analysis))\b", re.I),
    ),
    (
        "scheduling",
        re.compile(
            r"\bschedul(?:e|ing|ed) (?:I|1|one)\b|\bcontrolled substances?\b"
            r"|\btemporary placement\b"
            r"|\b(?:emergency |temporar(?:y|ily) )?schedul(?:e|ing)\b.{0,80}\bDEA\b",
            re.I | re.S,
        ),
    ),
    ("recall", re.compile(r"\brecall(?:s|ed|ing)?\b", re.I)),
)

_RECALL_LIKE = frozenset({"recall"})

_US_STATES = {
    "alabama": "AL",
    "alaska": "AK",
    "arizona": "AZ",
    "arkansas": "AR",
    "california": "CA",
    "colorado": "CO",
    "connecticut": "CT",
    "delaware": "DE",
    "florida": "FL",
    "georgia": "GA",
    "hawaii": "HI",
    "idaho": "ID",
    "illinois": "IL",
    "indiana": "IN",
    "iowa": "IA",
    "kansas": "KS",
    "kentucky": "KY",
    "louisiana": "LA",
    "maine": "ME",
    "maryland": "MD",
    "massachusetts": "MA",
    "michigan": "MI",
    "minnesota": "MN",
    "mississippi": "MS",
    "missouri": "MO",
    "montana": "MT",
    "nebraska": "NE",
    "nevada": "NV",
    "new hampshire": "NH",
    "new jersey": "NJ",
    "new mexico": "NM",
    "new york": "NY",
    "north carolina": "NC",
    "north dakota": "ND",
    "ohio": "OH",
    "oklahoma": "OK",
    "oregon": "OR",
    "pennsylvania": "PA",
    "rhode island": "RI",
    "south carolina": "SC",
    "south dakota": "SD",
    "tennessee": "TN",
    "texas": "TX",
    "utah": "UT",
    "vermont": "VT",
    "virginia": "VA",
    "washington": "WA",
    "west virginia": "WV",
    "wisconsin": "WI",
    "wyoming": "WY",
    "district of columbia": "DC",
    "puerto rico": "PR",
}
_STATE_PATTERN = re.compile(
    r"\b(" + "|".join(sorted(_US_STATES, key=len, reverse=True)) + r")\b", re.I
)
_NATIONWIDE = re.compile(
    r"\b(?:nationwide|nationally|all (?:50 )?states|throughout the (?:U\.?S|united states))", re.I
)


def kind_for(text: str, hint: str) -> str:
    """The alert kind: the first matching rule, else the source's hint.

    A recall feed item that also mentions a warning letter stays a recall when its
    title says so; the rules look at the title first, then the body.
    """
    title, _, body = text.partition("\n")
    for part, in_title in ((title, True), (body, False)):
        for kind, pattern in _KIND_RULES:
            if pattern.search(part):
                # Press releases mention recalls in passing; only a title makes them one.
                if kind == "recall" and not in_title and hint not in _RECALL_LIKE:
                    continue
                return kind
    return hint


def hazards_in(text: str) -> list[str]:
    """Hazard ids named in ``text``, in a fixed order."""
    return [name for name, pattern in _HAZARDS.items() if pattern.search(text)]


def regions_in(text: str) -> list[str]:
    """ISO 3166-2 codes of US states named in a distribution text; ``US`` for nationwide."""
    found: list[str] = []
    if _NATIONWIDE.search(text):
        found.append("US")
    for match in _STATE_PATTERN.finditer(text):
        code = f"US-{_US_STATES[match.group(1).lower()]}"
        if code not in found:
            found.append(code)
    return found


_MANDATORY = re.compile(r"\bmandatory recall|\bFDA mandated\b|\brecall order", re.I)


def severity_for(draft: AlertDraft, text: str = "") -> tuple[str, str]:
    """Severity and the reason a reader is shown for it."""
    hazards = set(draft.hazards)
    if draft.recall_class == "I":
        return "critical", "Class I recall: a reasonable probability of serious harm or death"
    if draft.kind == "adverse_event":
        if draft.details.get("series") == "serious":
            return "high", "reports of serious outcomes above their baseline (EARS signal)"
        return "moderate", "adverse-event reports above their baseline (EARS signal)"
    if draft.kind == "recall" and _MANDATORY.search(text):
        return "critical", "mandatory recall ordered by the agency"
    if draft.kind in ("outbreak",):
        return "critical", "outbreak of illness linked to the product"
    if hazards & {"salmonella", "listeria", "e_coli"} and draft.recall_class is None:
        named = ", ".join(sorted(hazards & {"salmonella", "listeria", "e_coli"}))
        return "high", f"pathogen contamination ({named}); not yet classified"
    if "7oh_potency" in hazards:
        return "high", "concentrated or over-label 7-hydroxymitragynine"
    if "heavy_metals" in hazards and draft.recall_class is None:
        return "high", "heavy metals above safe exposure levels"
    if draft.recall_class == "II":
        return "moderate", "Class II recall: temporary or medically reversible harm possible"
    if draft.kind in (
        "warning_letter", "ftc_joint", "scheduling", "seizure", "import_alert", "state_law",
    ):  # fmt: skip
        return "moderate", f"regulatory action ({draft.kind.replace('_', ' ')})"
    if draft.kind == "advisory" and "opioid_effects" in hazards:
        return "high", "agency warns of opioid-like effects, dependence or deaths"
    if draft.recall_class == "III":
        return "low", "Class III recall: unlikely to cause adverse health consequences"
    if draft.kind in ("advisory", "recall", "lab_results"):
        return "moderate", f"{draft.kind.replace('_', ' ')} about kratom products"
    return "info", "for information"


def classify(draft: AlertDraft) -> AlertDraft:
    """A copy of ``draft`` with kind, hazards and severity decided."""
    text = f"{draft.title}\n{draft.summary} {draft.body}"
    kind = draft.kind if draft.kind_decided else kind_for(text, draft.kind)
    hazards = hazards_in(text)
    decided = replace(draft, kind=kind, hazards=hazards)
    severity, reason = severity_for(decided, text)
    decided.severity = severity
    decided.severity_reason = reason
    if kind in ("scheduling", "state_law") and not decided.events:
        # A rule change whose source gave no structured dates: look for them in the text.
        decided.events = events_in(f"{draft.title}\n{draft.summary}\n{draft.body}")
    return decided
