"""The claim taxonomy's topic -> alert-kind matrix (v1, section 4), as data.

``PRIMARY`` (●) kinds are where regulators usually answer a claim of that topic;
``SECONDARY`` (○) kinds bear on it less directly. A claim links only to alerts of a kind its
topics name here. Labels and notes are what readers see in reasons and annotations.
"""

from __future__ import annotations

from collections.abc import Iterable

PRIMARY = 2
SECONDARY = 1

_P, _S = PRIMARY, SECONDARY
MATRIX: dict[str, dict[str, int]] = {
    "opioid_withdrawal": {"warning_letter": _P, "ftc_joint": _P, "advisory": _P, "scheduling": _S},
    "pain": {"warning_letter": _P, "ftc_joint": _S, "advisory": _P},
    "anxiety_mood": {"warning_letter": _P, "ftc_joint": _S, "advisory": _P},
    "blood_pressure_cardio": {"warning_letter": _P, "ftc_joint": _S, "advisory": _S},
    "disease_other": {"warning_letter": _P, "advisory": _P},
    "safety_assertion": {
        "warning_letter": _S, "advisory": _P, "recall": _S, "outbreak": _S, "lab_results": _S,
        "scheduling": _P,
    },
    "dosage": {"warning_letter": _S, "advisory": _P, "lab_results": _P, "scheduling": _S},
    "mechanism_receptor": {"warning_letter": _S, "advisory": _P, "scheduling": _P},
    "energy_focus": {"warning_letter": _S, "advisory": _P},
    "sleep": {"warning_letter": _S, "advisory": _P},
    "contamination": {
        "advisory": _S, "recall": _P, "outbreak": _P, "lab_results": _P, "import_alert": _S,
        "seizure": _S,
    },
    "legality": {
        "advisory": _S, "import_alert": _P, "seizure": _S, "scheduling": _P, "state_law": _P,
    },
    "potency_7oh": {
        "warning_letter": _P, "advisory": _P, "recall": _S, "seizure": _P, "scheduling": _P,
    },
    "general_wellness": {"advisory": _P, "import_alert": _S},
}  # fmt: skip

LABELS: dict[str, str] = {
    "opioid_withdrawal": "opioid-withdrawal",
    "pain": "pain-relief",
    "anxiety_mood": "anxiety/depression",
    "blood_pressure_cardio": "blood-pressure/heart",
    "disease_other": "disease-treatment",
    "safety_assertion": "safety",
    "dosage": "dosage",
    "mechanism_receptor": "opioid-receptor mechanism",
    "energy_focus": "energy/focus",
    "sleep": "sleep",
    "contamination": "purity/testing",
    "legality": "legal-status",
    "potency_7oh": "7-OH/potency",
    "general_wellness": "wellness",
}

# What an assessing body says about a claim of each topic (the monitor's own words).
NOTES: dict[str, str] = {
    "opioid_withdrawal": "No kratom product is approved to treat opioid withdrawal or "
    "addiction, and federal regulators have cited this kind of claim in warning letters.",
    "pain": "No kratom product is approved as a pain treatment; pain-relief claims have been "
    "cited in FDA warning letters.",
    "anxiety_mood": "No kratom product is approved for anxiety or depression; FDA letters "
    "have cited such claims.",
    "blood_pressure_cardio": "Claims that kratom helps blood pressure or the heart have been "
    "cited as unapproved drug claims.",
    "disease_other": "Claims that kratom treats a disease make it an unapproved drug in "
    "regulators' eyes.",
    "safety_assertion": "FDA warns of addiction, liver injury, seizures and deaths linked to "
    "kratom; safety assurances are contradicted by its advisories.",
    "dosage": "Product strength varies and no dose has been established as safe by FDA.",
    "mechanism_receptor": "FDA has described kratom compounds as acting on the same opioid "
    "receptors as morphine.",
    "energy_focus": "No kratom product is approved for energy or focus; FDA advises against "
    "using kratom.",
    "sleep": "No kratom product is approved as a sleep aid; sedation is among the risks FDA "
    "describes.",
    "contamination": "Kratom products have been recalled for Salmonella, and FDA tests found "
    "heavy metals in some.",
    "legality": "Kratom's legal status differs by state and is under federal review; FDA "
    "treats it as not lawfully marketed as a supplement or drug.",
    "potency_7oh": "Concentrated 7-OH products have drawn warning letters, seizures and a "
    "recommendation to schedule 7-OH.",
    "general_wellness": "FDA recognises no approved use of kratom.",
}

KIND_LABELS: dict[str, str] = {
    "warning_letter": "warning letter",
    "ftc_joint": "joint FDA-FTC warning letter",
    "advisory": "advisory",
    "recall": "recall",
    "outbreak": "outbreak investigation",
    "lab_results": "lab test results",
    "import_alert": "import alert",
    "seizure": "seizure",
    "scheduling": "scheduling action",
    "state_law": "state law",
}


def kinds_for(topics: Iterable[str]) -> dict[str, int]:
    """Alert kinds a claim with ``topics`` links to, each with its best priority."""
    kinds: dict[str, int] = {}
    for topic in topics:
        for kind, priority in MATRIX.get(topic, {}).items():
            kinds[kind] = max(priority, kinds.get(kind, 0))
    return kinds


def topics_for(kind: str) -> frozenset[str]:
    """Topics whose claims an alert of ``kind`` bears on."""
    return frozenset(topic for topic, kinds in MATRIX.items() if kind in kinds)


def label(topic: str) -> str:
    return LABELS.get(topic, topic.replace("_", " "))


def labels(topics: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    names = [label(t) for t in topics]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
