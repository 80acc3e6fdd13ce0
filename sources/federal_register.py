"""Federal Register documents API: DEA/HHS/FDA rules and notices naming kratom or its alkaloids."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from alerts.draft import AlertDraft
from alerts.events import events_in
from alerts.text import canonical_url, clean_title, day_start_utc, parse_day, plain_text
from alerts.vocabulary import match_terms
from sources._json import expect_list, expect_object, field, load_json
from sources.base import ParseError, Source

_AGENCY_CODES = {
    "drug-enforcement-administration": "DEA",
    "food-and-drug-administration": "FDA",
    "health-and-human-services-department": "HHS",
    "justice-department": "DOJ",
}


def _agency(agencies: list[Any]) -> str:
    """The most specific known agency (DEA before its parent department)."""
    slugs = [a.get("slug", "") for a in agencies if isinstance(a, dict)]
    for slug, code in _AGENCY_CODES.items():
        if slug in slugs and code in ("DEA", "FDA"):
            return code
    for slug in slugs:
        if slug in _AGENCY_CODES:
            return _AGENCY_CODES[slug]
    names = [a.get("name") or a.get("raw_name") for a in agencies if isinstance(a, dict)]
    return next((str(n) for n in names if n), "Federal Register")


# Every field the parser reads: with ``fields[]`` the API returns only the fields named.
FIELDS = (
    "abstract", "action", "agencies", "citation", "comments_close_on", "dates", "docket_ids",
    "document_number", "effective_on", "excerpts", "html_url", "publication_date", "title",
    "type",
)  # fmt: skip
_DAY_FIELDS = (("effective_on", "effective"), ("comments_close_on", "comments_close"))


def events_of(doc: dict[str, Any]) -> list[dict[str, str]]:
    """Dated events of a document: the API's date fields, then hearings in its DATES text.

    The API has no hearing field; hearings (and any date the fields leave out) are read
    from ``dates``. A text date already given by a field is not repeated. Missing,
    null or impossible dates are skipped.
    """
    events: list[dict[str, str]] = []
    for key, what in _DAY_FIELDS:
        day = parse_day(field(doc, key))
        if day is not None:
            events.append({"on": day.isoformat(), "what": what})
    kinds, days = {e["what"] for e in events}, {e["on"] for e in events}
    for event in events_in(plain_text(field(doc, "dates"))):
        if event["what"] not in kinds and event["on"] not in days:
            events.append(event)
    return events


def _draft(doc: dict[str, Any]) -> AlertDraft:
    number = field(doc, "document_number")
    published = field(doc, "publication_date")
    if not number:
        raise ParseError("Federal Register result without document_number")
    title = clean_title(field(doc, "title"))
    abstract = plain_text(field(doc, "abstract"))
    excerpts = plain_text(field(doc, "excerpts"))
    action = field(doc, "action")
    agencies: list[Any] = doc["agencies"] if isinstance(doc.get("agencies"), list) else []
    citation = field(doc, "citation")
    docket: list[Any] = doc["docket_ids"] if isinstance(doc.get("docket_ids"), list) else []
    kind_label = field(doc, "type")
    if action.rstrip(".").lower() == kind_label.lower():
        action = ""  # most notices give "Notice." as their action
    summary = " ".join(
        filter(None, (f"{kind_label}." if kind_label else "", action, abstract or excerpts))
    )
    url = field(doc, "html_url") or f"https://www.federalregister.gov/d/{number}"
    return AlertDraft(
        source=SOURCE.key,
        # Document numbers were reused before 2016; the date makes the key unique.
        uid=f"{number}@{published}" if published else number,
        agency=_agency(agencies),
        kind="notice",
        title=title,
        url=canonical_url(url),
        summary=summary,
        published_at=day_start_utc(parse_day(published)),
        jurisdiction="US",
        matched_terms=match_terms(f"{title} {abstract} {excerpts} {action}"),
        events=events_of(doc),
        body=" ".join([excerpts, citation, " ".join(str(d) for d in docket)]),
        raw=doc,
    )


def parse(content: bytes) -> list[AlertDraft]:
    """Search results as drafts; the search already matched the kratom terms."""
    data = expect_object(load_json(content), "a Federal Register search response")
    results = data.get("results")
    if results is None and data.get("count") == 0:
        return []
    return [_draft(expect_object(doc, "a document")) for doc in expect_list(results, "results")]


def next_page(content: bytes, headers: Mapping[str, str], url: str) -> str | None:
    """The API's own ``next_page_url`` (absent or null on the last page)."""
    data = load_json(content)
    if isinstance(data, dict) and isinstance(data.get("next_page_url"), str):
        return str(data["next_page_url"]) or None
    return None


_PUBLISHED = "conditions%5Bpublication_date%5D"


def backfill_urls(url: str, since: date, until: date) -> list[str]:
    """One URL: the configured search limited to documents published ``since``..``until``.

    Any publication-date condition already in ``url`` is replaced. Pure string work; the
    API's ``next_page_url`` pages through the result. Empty when ``since`` is after ``until``.
    """
    if since > until:
        return []
    base, _, query = url.partition("?")
    params = [p for p in query.split("&") if p and not p.startswith(_PUBLISHED)]
    params += [
        f"{_PUBLISHED}%5Bgte%5D={since.isoformat()}",
        f"{_PUBLISHED}%5Blte%5D={until.isoformat()}",
    ]
    return [f"{base}?{'&'.join(params)}"]


SOURCE = Source(
    key="federal_register",
    title="Federal Register documents",
    agency="Federal Register",
    kind_hint="notice",
    url=(
        "https://www.federalregister.gov/api/v1/documents.json"
        "?conditions%5Bterm%5D=kratom%20%7C%20mitragynine%20%7C%207-hydroxymitragynine"
        "&order=newest&per_page=100" + "".join(f"&fields%5B%5D={name}" for name in FIELDS)
    ),
    every=timedelta(hours=6),
    parse=parse,
    format="json",
    next_page=next_page,
    backfill_urls=backfill_urls,
)
