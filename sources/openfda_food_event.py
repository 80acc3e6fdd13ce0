"""openFDA food/event (CAERS): adverse-event reports naming kratom products.

Reports are kept as records, not alerts: one report is unverified and says little. An
alert is raised only when the weekly number of kratom reports (or of serious-outcome
reports) rises above its recent baseline, as the EARS C2 detector judges it
(``alerts.signals``). Signals are computed from the stored records alone
(``_caers_signals``), so a re-poll returns the same drafts with the same uids.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from alerts.draft import AlertDraft
from alerts.text import parse_day, squash
from alerts.vocabulary import match_terms
from sources import _openfda
from sources._caers_signals import CAVEAT, KIND, signal_drafts
from sources._json import expect_list, expect_object, field, load_json
from sources.base import Kept, ParseError, Record, Source

__all__ = [
    "CAVEAT", "ENDPOINT", "KEY", "KIND", "SEARCH", "SOURCE", "derive", "is_serious", "parse",
    "records", "report_data", "week_url",
]  # fmt: skip

ENDPOINT = "https://api.fda.gov/food/event.json"
KEY = "openfda_food_event"
# name_brand is a tokenised text field: each term matches a word of the brand name.
SEARCH = (
    "products.name_brand:kratom+OR+products.name_brand:mitragyna"
    "+OR+products.name_brand:mitragynine+OR+products.name_brand:%227-OH%22"
    "+OR+products.name_brand:%227-hydroxymitragynine%22"
)

# CAERS outcome words (several spellings over the years) that make a report serious.
# "NON-SERIOUS INJURIES/ ILLNESS" and "VISITED AN ER" are not serious.
_SERIOUS = re.compile(
    r"DEATH|LIFE[- ]?THREATENING|HOSPITALI[SZ]|DISABILIT|CONGENITAL|INTERVENTION"
    r"|(?<!NON-)(?<!NON )\bSERIOUS\b"
)
_NOT_GIVEN = {"", "NOT AVAILABLE", "UNKNOWN", "N/A"}


# --------------------------------------------------------------------------- records


def is_serious(outcomes: Sequence[str]) -> bool:
    """True when a CAERS outcome says death, hospitalisation, a life-threatening event,
    disability, a congenital anomaly, intervention to prevent impairment, or "serious"."""
    return any(_SERIOUS.search(outcome.upper()) for outcome in outcomes)


def _strings(value: Any, what: str) -> list[str]:
    """A list of non-empty texts; a lone string counts as a list of one."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    items = expect_list(value, what)
    texts = [squash(str(item)) for item in items if isinstance(item, (str, int, float))]
    return [text for text in texts if text]


def _given(text: str) -> str | None:
    return None if text.upper() in _NOT_GIVEN else text


def _day(text: str) -> str | None:
    day = parse_day(text)
    return day.isoformat() if day else None


def _products(report: dict[str, Any], number: str) -> list[dict[str, str | None]]:
    products = []
    what = f"the products of report {number or '(no number)'}"
    for item in expect_list(report.get("products") or [], what):
        if not isinstance(item, dict):
            continue
        products.append(
            {
                "name_brand": field(item, "name_brand"),
                "industry_name": _given(field(item, "industry_name")),
                "role": _given(field(item, "role")),
            }
        )
    return products


def report_data(report: dict[str, Any]) -> dict[str, Any] | None:
    """One CAERS report as record data, or None when no product names kratom.

    Dates come out as ISO days (CAERS gives YYYYMMDD); "Not Available" becomes None.
    ParseError when a list field holds something other than a list.
    """
    number = field(report, "report_number")
    products = _products(report, number)
    names = " | ".join(str(p["name_brand"]) for p in products)
    terms = match_terms(names)
    if not terms:
        return None
    outcomes = _strings(report.get("outcomes"), f"the outcomes of report {number}")
    consumer = report.get("consumer")
    if not isinstance(consumer, dict):
        consumer = {}
    return {
        "report_number": number,
        "date_created": _day(field(report, "date_created")),
        "date_started": _day(field(report, "date_started")),
        "products": products,
        "reactions": _strings(report.get("reactions"), f"the reactions of report {number}"),
        "outcomes": outcomes,
        "serious": is_serious(outcomes),
        "consumer": {
            "age": _given(field(consumer, "age")),
            "age_unit": _given(field(consumer, "age_unit")),
            "gender": _given(field(consumer, "gender")),
        },
        "matched_terms": terms,
    }


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def records(content: bytes) -> list[Record]:
    """The kratom reports of a food/event response, one Record per report number.

    uid = report_number (a content hash when the number is missing); version = a hash of
    the record data. Reports whose products do not name kratom, mitragynine or 7-OH are
    skipped; openFDA's NOT_FOUND answer means none. ParseError for malformed JSON, any
    other openFDA ``error`` object (whatever the HTTP status it came with),
    a missing ``results`` array or a report that is not a JSON object.
    """
    data = expect_object(load_json(content), "an openFDA response")
    if "error" in data and "results" not in data:
        error = data["error"] if isinstance(data["error"], dict) else {}
        if error.get("code") == "NOT_FOUND":
            return []  # openFDA's "no matches" (normally a 404, caught before parsing)
        raise ParseError(
            f"openFDA error {error.get('code', '(no code)')}: {error.get('message', data['error'])}"
        )
    out: list[Record] = []
    seen: set[str] = set()
    for item in expect_list(data.get("results"), "openFDA results"):
        report = expect_object(item, "a CAERS report")
        record = report_data(report)
        if record is None:
            continue
        uid = record["report_number"] or f"report-{_digest(report)}"
        if uid in seen:
            continue  # paging overlap: the same report on two pages
        seen.add(uid)
        out.append(Record(uid=uid, version=_digest(record), data=record))
    return out


def parse(content: bytes) -> list[AlertDraft]:
    """No alert per report: CAERS reports are kept as records (see ``records``)."""
    return []


# --------------------------------------------------------------------------- signals


def week_url(start: date) -> str:
    """The openFDA query listing the kratom reports created in the week from ``start``."""
    end = start + timedelta(days=6)
    return (
        f"{ENDPOINT}?search=({SEARCH})+AND+date_created:[{start:%Y%m%d}+TO+{end:%Y%m%d}]"
        f"&limit={_openfda.PAGE_SIZE}"
    )


def derive(kept: Sequence[Kept], now: datetime) -> list[AlertDraft]:
    """One ``adverse_event`` draft per week in which kratom reports (or serious-outcome
    reports) rose above their baseline; see ``_caers_signals.signal_drafts``."""
    return signal_drafts(kept, now, source=KEY, week_url=week_url)


SOURCE = Source(
    key=KEY,
    title="openFDA food adverse events (CAERS)",
    agency="FDA",
    kind_hint=KIND,
    url=f"{ENDPOINT}?search={SEARCH}&sort=date_created:desc&limit={_openfda.PAGE_SIZE}",
    # openFDA refreshes food/event every few months; a daily look is plenty.
    every=timedelta(days=1),
    parse=parse,
    format="json",
    next_page=_openfda.next_page,
    empty_response=_openfda.is_no_match,
    covers=(
        "Adverse-event reports to FDA (CAERS) naming kratom, mitragynine or 7-OH products; "
        "alerts when weekly report counts rise above their baseline (EARS C2)."
    ),
    records=records,
    derive=derive,
)
