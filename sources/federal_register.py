"""Federal Register documents API: DEA/HHS/FDA rules and notices naming kratom or its alkaloids.

Each document becomes one draft keyed ``document_number@publication_date`` with
``details`` saying where it stands in rulemaking (``stage``, see ``_fr_stages``) and the
facts a reader cites: FR document number, citation and pages, dockets, agencies, RINs,
comment deadline and effective date. DEA and HHS/FDA documents about controlled
substances are drafted as ``scheduling``; everything else as ``notice``.

The documents API has no public-inspection date: a document's day on the
public-inspection desk comes from ``sources.federal_register_public_inspection``, which
drafts it under its own uid (``pi:<document_number>``) with the same
``details["fr_document_number"]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from alerts.draft import AlertDraft
from alerts.events import events_in
from alerts.text import canonical_url, clean_title, day_start_utc, parse_day, plain_text, squash
from alerts.vocabulary import match_terms
from sources._fr_agencies import agency_code, agency_names
from sources._fr_stages import STAGES, kind_of, stage_of
from sources._json import expect_list, expect_object, field, load_json
from sources.base import ParseError, Source

__all__ = [
    "FIELDS", "SOURCE", "STAGES", "TERM_QUERY", "agency_code", "agency_names", "backfill_urls",
    "details_of", "docket_ids", "events_of", "kind_of", "next_page", "parse", "stage_of",
]  # fmt: skip

_DOCKET_PREFIX = re.compile(r"^(?:docket\s*(?:(?:nos?|numbers?|ids?)\b\.?)?\s*[:#]?\s*)+", re.I)
_DOCKET_SEPARATOR = re.compile(r"\s*(?:[,;&]|\band\b)\s*", re.I)


def docket_ids(values: Iterable[Any]) -> list[str]:
    """Docket identifiers from the API's free-text docket strings, in order, no repeats.

    "Docket No. DEA-442" gives "DEA-442"; "CMS-1833-F and CMS-1808-F" gives both;
    brackets, "Docket Nos." prefixes and non-text entries are dropped.
    """
    found: list[str] = []
    for value in values:
        if not isinstance(value, str):
            continue
        for piece in _DOCKET_SEPARATOR.split(squash(value)):
            docket = _DOCKET_PREFIX.sub("", piece.strip(" []().")).strip(" []().")
            if any(c.isalnum() for c in docket) and docket not in found:
                found.append(docket)
    return found


def _texts(value: Any) -> list[str]:
    """A JSON list of strings (RINs), squashed; anything else gives []."""
    if not isinstance(value, list):
        return []
    return [squash(v) for v in value if isinstance(v, str) and squash(v)]


def _pages(doc: dict[str, Any]) -> str:
    start, end = doc.get("start_page"), doc.get("end_page")
    if not isinstance(start, int) or isinstance(start, bool):
        return ""
    if isinstance(end, int) and not isinstance(end, bool) and end > start:
        return f"{start}-{end}"
    return str(start)


def _first(events: list[dict[str, str]], what: str) -> str:
    return next((e["on"] for e in events if e["what"] == what), "")


def details_of(doc: dict[str, Any], events: list[dict[str, str]]) -> dict[str, Any]:
    """Source facts of a document, JSON-ready; facts the API left empty are left out.

    ``comment_close_on`` and ``effective_on`` are the document's events of those kinds
    (the API's date fields, else its DATES text), so they agree with ``draft.events``.
    """
    agencies = doc.get("agencies") if isinstance(doc.get("agencies"), list) else []
    dockets = doc.get("docket_ids") if isinstance(doc.get("docket_ids"), list) else []
    details: dict[str, Any] = {
        "stage": stage_of(field(doc, "type"), field(doc, "title"), field(doc, "action")),
        "document_type": field(doc, "type"),
        "fr_document_number": field(doc, "document_number"),
        "citation": field(doc, "citation"),
        "pages": _pages(doc),
        "docket_ids": docket_ids(dockets or []),
        "agencies": agency_names(agencies or []),
        "regulation_id_numbers": _texts(doc.get("regulation_id_numbers")),
        "comment_close_on": _first(events, "comments_close"),
        "effective_on": _first(events, "effective"),
    }
    return {key: value for key, value in details.items() if value}


# Every field the parser reads: with ``fields[]`` the API returns only the fields named.
FIELDS = (
    "abstract", "action", "agencies", "citation", "comments_close_on", "dates", "docket_ids",
    "document_number", "effective_on", "end_page", "excerpts", "html_url", "publication_date",
    "regulation_id_numbers", "start_page", "title", "type",
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
    agency = agency_code(agencies)
    events = events_of(doc)
    details = details_of(doc, events)
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
        # Shared with the public-inspection copy and regulations.gov: one incident.
        event_id=f"FR {number}"[:40],
        agency=agency,
        kind=kind_of(agency, f"{title} {action} {abstract}"),
        title=title,
        url=canonical_url(url),
        summary=summary,
        published_at=day_start_utc(parse_day(published)),
        jurisdiction="US",
        matched_terms=match_terms(f"{title} {abstract} {excerpts} {action}"),
        events=events,
        details=details,
        body=" ".join([excerpts, citation, " ".join(str(d) for d in docket)]),
        raw=doc,
    )


def parse(content: bytes) -> list[AlertDraft]:
    """Search results as drafts, newest first as the API orders them.

    The full-text search also hits documents that name a term only deep in their text
    (or by stemming); a result whose title, abstract, action and excerpts name no
    kratom term is not about kratom and is left out. ParseError for a body that is not
    a search response or a result without ``document_number``.
    """
    data = expect_object(load_json(content), "a Federal Register search response")
    results = data.get("results")
    if results is None and data.get("count") == 0:
        return []
    drafts = [_draft(expect_object(doc, "a document")) for doc in expect_list(results, "results")]
    return [draft for draft in drafts if draft.matched_terms]


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


# One search for the three names, OR-ed in the API's term syntax:
#   kratom | mitragynine | "7-hydroxymitragynine"
# The alkaloid is quoted so its hyphen is read as part of a phrase, not as an exclusion
# operator before "hydroxymitragynine". "7-OH" is not searched: the engine splits it into
# "7" and "OH", which hit thousands of unrelated documents.
TERM_QUERY = 'kratom | mitragynine | "7-hydroxymitragynine"'

SOURCE = Source(
    key="federal_register",
    title="Federal Register documents",
    agency="Federal Register",
    kind_hint="notice",
    url=(
        "https://www.federalregister.gov/api/v1/documents.json"
        f"?conditions%5Bterm%5D={quote(TERM_QUERY, safe='')}"
        "&order=newest&per_page=100" + "".join(f"&fields%5B%5D={name}" for name in FIELDS)
    ),
    every=timedelta(hours=6),
    parse=parse,
    format="json",
    next_page=next_page,
    backfill_urls=backfill_urls,
    covers=(
        "Published Federal Register documents naming kratom, mitragynine or "
        "7-hydroxymitragynine: DEA scheduling notices and orders, HHS/FDA notices, with "
        "their rulemaking stage, dockets and dates"
    ),
)
