"""CDC outbreak notices (content-syndication RSS): kratom outbreaks, one alert per outbreak.

CDC keeps one page per outbreak and rewrites it as counts grow ("As of <date>, N people
... from M states"); the syndication feed then carries the page again, possibly under a
new ``guid``. The alert is therefore keyed on the page URL, not on the guid: an update is
a revision of the same alert whose ``details`` hold the new counts (``ill``, ``states``,
``hospitalized``, ``hospitalized_pct``, ``deaths``, ``as_of``), and ``status`` says
whether CDC still calls the outbreak ongoing or over.

The feed id for "Salmonella outbreaks" is NOT confirmed: agency-sources.md 1.9 lists ids
seen in integrations (132059, 316422, 403372, 404952) without their topics. 404952 is used
here as a placeholder; set the source URL to the right feed once it is known. The item
layout (a .NET-style feed with ``a10:updated``) is believed, not confirmed.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from alerts.draft import AlertDraft
from alerts.text import canonical_url
from sources._rss import parse_rss
from sources.base import Source

# Placeholder id (see the module docstring): the real "Salmonella outbreaks" feed id is unknown.
FEED_URL = "https://tools.cdc.gov/api/v2/resources/media/404952.rss"

_UNITS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
]  # fmt: skip
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_WORD_NUMBER = (
    rf"(?:(?:{'|'.join(_TENS)})(?:[- ](?:{'|'.join(_UNITS[1:10])}))?"
    rf"|{'|'.join(sorted(_UNITS, key=len, reverse=True))})"
)
# CDC writes counts as digits, but spells a number out when it starts a sentence.
_NUMBER = rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+|{_WORD_NUMBER})"
_PEOPLE = r"(?:ill\s+)?(?:people|persons|cases|illnesses)"
_ILL = re.compile(rf"\b(?P<n>{_NUMBER})\s+{_PEOPLE}\b", re.I)
_STATES = re.compile(rf"\b(?P<n>{_NUMBER})\s+states\b", re.I)
_HOSPITALIZED = re.compile(
    rf"\b(?P<n>{_NUMBER})\s+(?:\(\s*(?P<pct>\d+)\s*%\s*\)\s+)?(?:{_PEOPLE}\s+)?"
    r"(?:have\s+been|has\s+been|were|was)\s+hospitali[sz]ed",
    re.I,
)
_PERCENT = re.compile(rf"\b(?P<pct>{_NUMBER})\s*(?:%|percent\b)", re.I)
_NO_DEATHS = re.compile(r"\bno\s+deaths?\b|\bno\s+one\s+(?:has\s+)?died\b", re.I)
_DEATHS = re.compile(
    rf"\b(?P<n>{_NUMBER})\s+(?:deaths?\b|(?:{_PEOPLE}\s+)?(?:have\s+|has\s+)?died\b)", re.I
)
_AS_OF = re.compile(
    r"\bas\s+of\s+(?P<month>[A-Za-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})", re.I
)
_OVER = re.compile(
    r"\boutbreak\s+(?:appears\s+to\s+be\s+|is\s+(?:now\s+)?)over\b|\bfinal\s+update\b", re.I
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_MONTH_NAMES = (
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"),
    ("october", "oct"), ("november", "nov"), ("december", "dec"),
)  # fmt: skip
_MONTHS = {name: month for month, names in enumerate(_MONTH_NAMES, start=1) for name in names}


def number(text: str) -> int | None:
    """A count written as digits ("1,204") or words ("Twenty-seven"); None otherwise."""
    word = text.strip().lower().replace(",", "")
    if word.isdigit():
        return int(word)
    if word in _UNITS:
        return _UNITS.index(word)
    tens, _, unit = word.replace(" ", "-").partition("-")
    if tens in _TENS and (not unit or unit in _UNITS[1:10]):
        return 20 + 10 * _TENS.index(tens) + (_UNITS.index(unit) if unit else 0)
    return None


def _as_of(text: str) -> str | None:
    match = _AS_OF.search(text)
    if not match:
        return None
    month = _MONTHS.get(match.group("month").lower())
    if month is None:
        return None
    try:
        return date(int(match.group("year")), month, int(match.group("day"))).isoformat()
    except ValueError:
        return None  # "As of February 30" in a typo'd notice: no date rather than a wrong one


def outbreak_counts(text: str) -> dict[str, Any]:
    """The case counts an outbreak notice states, by name; counts it does not state are absent.

    ``ill`` (people infected), ``states``, ``hospitalized`` (a count), ``hospitalized_pct``
    (when CDC gives a share instead of, or beside, the count), ``deaths`` (0 for "no deaths"),
    ``as_of`` (ISO date of "As of <date>"). Each is read from the first sentence that states
    it; a sentence about hospitalizations or deaths never supplies the number of ill people.
    """
    counts: dict[str, Any] = {}
    for sentence in _SENTENCE.split(text):
        lowered = sentence.lower()
        about_hospital = "hospitali" in lowered
        about_deaths = "death" in lowered or "died" in lowered
        if about_hospital:
            match = _HOSPITALIZED.search(sentence)
            if match and "hospitalized" not in counts:
                counts["hospitalized"] = number(match.group("n"))
                if match.group("pct"):
                    counts.setdefault("hospitalized_pct", int(match.group("pct")))
            percent = _PERCENT.search(sentence)
            if percent and "hospitalized_pct" not in counts:
                counts["hospitalized_pct"] = number(percent.group("pct"))
        if about_deaths and "deaths" not in counts:
            if _NO_DEATHS.search(sentence):
                counts["deaths"] = 0
            elif match := _DEATHS.search(sentence):
                counts["deaths"] = number(match.group("n"))
        about_illness = not (about_hospital or about_deaths)
        if about_illness and "ill" not in counts and (match := _ILL.search(sentence)):
            counts["ill"] = number(match.group("n"))
        if "states" not in counts and (match := _STATES.search(sentence)):
            counts["states"] = number(match.group("n"))
    as_of = _as_of(text)
    if as_of:
        counts["as_of"] = as_of
    return {name: value for name, value in counts.items() if value is not None}


def outbreak_status(text: str) -> str:
    """The outbreak's status: "over" once CDC says so (or posts its final update), else
    "ongoing"."""
    return "over" if _OVER.search(text) else "ongoing"


def parse(content: bytes) -> list[AlertDraft]:
    """Kratom outbreak notices of the feed, one draft per outbreak page.

    When the feed lists a page twice (the first posting and an update), the most recently
    published item wins. Non-kratom outbreaks are skipped. Malformed or entity-declaring
    feeds raise ParseError (from ``parse_rss``).
    """
    newest: dict[str, AlertDraft] = {}
    for draft in parse_rss(content, source=SOURCE.key, agency="CDC", kind_hint="outbreak"):
        page = canonical_url(str(draft.raw.get("link") or "")) or draft.uid
        text = f"{draft.title}. {draft.summary}"
        counted = replace(
            draft,
            uid=page,
            url=page,
            status=outbreak_status(text),
            details=outbreak_counts(text),
        )
        kept = newest.get(page)
        if kept is None or _later(counted, kept):
            newest[page] = counted
    return list(newest.values())


def _later(draft: AlertDraft, than: AlertDraft) -> bool:
    if draft.published_at is None:
        return False
    return than.published_at is None or draft.published_at > than.published_at


SOURCE = Source(
    key="cdc_outbreaks",
    title="CDC outbreak notices (RSS)",
    agency="CDC",
    kind_hint="outbreak",
    url=FEED_URL,
    every=timedelta(hours=2),
    parse=parse,
    format="xml",
    covers=(
        "CDC multistate outbreak notices naming kratom (the 2018 Salmonella outbreak), "
        "with each update's case counts kept as a revision of one alert"
    ),
)
