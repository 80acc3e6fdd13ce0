"""Which agencies a Federal Register document comes from, as codes and as readable names.

The documents API gives ``agencies`` as objects (``slug``, ``name``, ``raw_name``, any of
which may be missing); the public-inspection API gives plain ``agency_names``. Both are
read here, for ``federal_register`` and ``federal_register_public_inspection``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from alerts.text import squash

_AGENCY_CODES = {
    "drug-enforcement-administration": "DEA",
    "food-and-drug-administration": "FDA",
    "health-and-human-services-department": "HHS",
    "justice-department": "DOJ",
}
# The same agencies by name, as ``name``, ``raw_name`` or public-inspection
# ``agency_names`` give them (lower case).
_AGENCY_NAMES = {
    "drug enforcement administration": "DEA",
    "food and drug administration": "FDA",
    "health and human services department": "HHS",
    "department of health and human services": "HHS",
    "justice department": "DOJ",
    "department of justice": "DOJ",
}


def _code(agency: Any) -> str:
    """The short code of one agency entry (object or plain name); "" when unknown."""
    if isinstance(agency, str):
        return _AGENCY_NAMES.get(squash(agency).lower(), "")
    if not isinstance(agency, dict):
        return ""
    slug = agency.get("slug")
    if isinstance(slug, str) and slug in _AGENCY_CODES:
        return _AGENCY_CODES[slug]
    for key in ("name", "raw_name"):
        value = agency.get(key)
        if isinstance(value, str) and squash(value).lower() in _AGENCY_NAMES:
            return _AGENCY_NAMES[squash(value).lower()]
    return ""


def agency_code(agencies: list[Any]) -> str:
    """The most specific known agency (DEA before its parent department).

    Entries are recognised by ``slug`` or by name, so one with only a ``raw_name``
    ("DRUG ENFORCEMENT ADMINISTRATION") still counts; plain name strings (public
    inspection's ``agency_names``) work too. An unknown agency is named as the API
    names it, and a document without agencies as "Federal Register".
    """
    codes = [code for code in map(_code, agencies) if code]
    for code in ("DEA", "FDA", *codes):
        if code in codes:
            return code
    names = agency_names(agencies)
    return names[0] if names else "Federal Register"


_SMALL_WORDS = frozenset({"of", "and", "the", "for", "on", "in", "to"})


def _display_name(name: str) -> str:
    """An agency name as a reader expects it; raw names come in capitals
    ("DEPARTMENT OF JUSTICE")."""
    if not name.isupper():
        return name
    words = name.lower().split()
    return " ".join(
        w if i and w in _SMALL_WORDS else w[:1].upper() + w[1:] for i, w in enumerate(words)
    )


def agency_names(agencies: Iterable[Any]) -> list[str]:
    """Names of the agencies, in the API's order, without repeats.

    Entries are objects (``name``, else ``raw_name``) or, as public-inspection
    ``agency_names`` gives them, plain strings; anything else is skipped.
    """
    names: list[str] = []
    for agency in agencies:
        raw = (agency.get("name") or agency.get("raw_name")) if isinstance(agency, dict) else agency
        name = _display_name(squash(raw)) if isinstance(raw, str) else ""
        if name and name not in names:
            names.append(name)
    return names
