"""Federal Register public-inspection desk: kratom documents filed but not yet published.

Agencies file a document with the Office of the Federal Register, which puts it on
public inspection (usually the business day before it is printed, at 8:45 a.m. Eastern
for regular filings; special filings go up in the afternoon). ``current.json`` lists
what is on the desk now; a DEA scheduling notice shows up here about a day before
``federal_register`` can see it.

Each kratom document becomes a draft with uid ``pi:<document_number>``, so it never
collides with the published document. Once published, the same document arrives through
``federal_register`` under its own uid (``<document_number>@<publication_date>``); both
drafts carry ``details["fr_document_number"]``, which is what joins them into one incident.

Quirks: many entries have only a short title, the subject being in ``toc_subject`` /
``toc_doc`` / ``subject_1..3``; ``agencies`` entries may lack ``slug`` and ``name``;
``docket_numbers`` are free text; ``filed_at`` comes with an offset
(``2016-08-30T08:45:00.000-04:00``) or in UTC (``...Z``). Outside desk hours the
endpoint keeps serving the last issue's leftovers (with a ``meta`` notice, not an
error): the stable uids make re-reading them harmless.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.draft import EVENT_KINDS, AlertDraft
from alerts.text import canonical_url, clean_title, day_start_utc, parse_day, plain_text, squash
from alerts.vocabulary import match_terms
from sources._fr_agencies import agency_code, agency_names
from sources._fr_stages import kind_of, stage_of
from sources._json import expect_list, expect_object, field, load_json
from sources.base import ParseError, Source
from sources.federal_register import docket_ids

# The event kind a scheduled publication day would use. It is only emitted once the
# event vocabulary (alerts.draft.EVENT_KINDS, shown by the calendar) knows it; until
# then the day is in ``details["scheduled_publication_date"]``.
PUBLICATION_EVENT = "publication"
_SUBJECTS = ("toc_subject", "toc_doc", "subject_1", "subject_2", "subject_3")


def filed_moment(value: str) -> datetime | None:
    """``filed_at`` as an aware UTC datetime; None when absent or unreadable.

    A value without an offset is read as UTC midnight of its day (the desk always
    gives an offset; this only keeps odd payloads from failing).
    """
    text = squash(value)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return day_start_utc(parse_day(text))
    if moment.tzinfo is None:
        return day_start_utc(moment.date())
    return moment.astimezone(UTC)


def _title(doc: dict[str, Any]) -> str:
    """The document's title; a bare subject ("Schedules of Controlled Substances:") or a
    missing title is completed from the table-of-contents fields."""
    title = clean_title(field(doc, "title"))
    toc_doc = clean_title(field(doc, "toc_doc"))
    if not title:
        parts = [clean_title(field(doc, key)) for key in ("toc_subject", "toc_doc")]
        title = " ".join(p for p in parts if p)
    elif title.endswith(":") and toc_doc and toc_doc not in title:
        title = f"{title} {toc_doc}"
    return title


def _terms_of(doc: dict[str, Any]) -> list[str]:
    """Kratom terms in the entry's title, subjects, excerpts and agency names."""
    agencies = doc.get("agencies") if isinstance(doc.get("agencies"), list) else []
    names = doc.get("agency_names") if isinstance(doc.get("agency_names"), list) else []
    text = " ".join(
        [
            field(doc, "title"),
            *(field(doc, key) for key in _SUBJECTS),
            plain_text(field(doc, "excerpts")),
            *agency_names([*(agencies or []), *(names or [])]),
        ]
    )
    return match_terms(plain_text(text))


def _summary(doc_type: str, filed: datetime | None, scheduled: str, note: str) -> str:
    parts = [f"{doc_type}." if doc_type else ""]
    if filed is not None:
        parts.append(f"Filed for public inspection {filed.strftime('%Y-%m-%d %H:%M')} UTC.")
    if scheduled:
        parts.append(f"Scheduled to appear in the Federal Register on {scheduled}.")
    if note:
        parts.append(f"Editorial note: {note}")
    return " ".join(p for p in parts if p)


def _draft(doc: dict[str, Any], terms: list[str]) -> AlertDraft:
    number = field(doc, "document_number")
    if not number:
        raise ParseError("public-inspection entry about kratom without document_number")
    title = _title(doc)
    if not title:
        raise ParseError(f"public-inspection entry {number} has no title or subject")
    agencies: list[Any] = doc["agencies"] if isinstance(doc.get("agencies"), list) else []
    names = doc.get("agency_names") if isinstance(doc.get("agency_names"), list) else []
    agency = agency_code([*agencies, *(names or [])])
    doc_type = field(doc, "type")
    filed = filed_moment(field(doc, "filed_at"))
    scheduled_day = parse_day(field(doc, "publication_date"))
    scheduled = scheduled_day.isoformat() if scheduled_day else ""
    note = plain_text(field(doc, "editorial_note"))
    dockets = doc.get("docket_numbers") if isinstance(doc.get("docket_numbers"), list) else []
    excerpts = plain_text(field(doc, "excerpts"))
    details: dict[str, Any] = {
        "stage": stage_of(doc_type, title),
        "document_type": doc_type,
        "fr_document_number": number,
        "filed_at": filed.isoformat() if filed else "",
        "scheduled_publication_date": scheduled,
        "filing_type": field(doc, "filing_type"),
        "docket_ids": docket_ids(dockets or []),
        # The desk's own name list reads better than raw names in capitals.
        "agencies": agency_names(names or []) or agency_names(agencies),
        "editorial_note": note,
    }
    events = (
        [{"on": scheduled, "what": PUBLICATION_EVENT}]
        if scheduled and PUBLICATION_EVENT in EVENT_KINDS
        else []
    )
    url = (
        field(doc, "html_url")
        or field(doc, "pdf_url")
        or f"https://www.federalregister.gov/public-inspection/{number}"
    )
    return AlertDraft(
        source=SOURCE.key,
        uid=f"pi:{number}",
        # The published document carries the same event id: the two become one incident.
        event_id=f"FR {number}"[:40],
        agency=agency,
        kind=kind_of(agency, title),
        title=f"{title} (public inspection)",
        url=canonical_url(url),
        summary=_summary(doc_type, filed, scheduled, note),
        published_at=filed or day_start_utc(parse_day(field(doc, "last_public_inspection_issue"))),
        jurisdiction="US",
        matched_terms=terms,
        events=events,
        details={key: value for key, value in details.items() if value},
        body=plain_text(
            " ".join([*(field(doc, key) for key in _SUBJECTS), excerpts, *details["docket_ids"]])
        ),
        raw=doc,
    )


def parse(content: bytes) -> list[AlertDraft]:
    """Kratom entries on the public-inspection desk as drafts, in the listing's order.

    Entries not about kratom are skipped before anything else is read from them, so an
    incomplete entry of another agency never stops the poll. An empty desk
    (``{"count": 0}`` with or without ``results``) gives []. ParseError for a body that
    is not a public-inspection listing (or an entry that is not an object), or a kratom
    entry without document number or title.
    """
    data = expect_object(load_json(content), "a Federal Register public-inspection listing")
    results = data.get("results")
    if results is None and data.get("count") == 0:
        return []
    if results is None:
        raise ParseError("public-inspection listing without results (expected a JSON array)")
    drafts: list[AlertDraft] = []
    for item in expect_list(results, "results"):
        entry = expect_object(item, "a public-inspection entry")
        terms = _terms_of(entry)
        if terms:
            drafts.append(_draft(entry, terms))
    return drafts


SOURCE = Source(
    key="federal_register_public_inspection",
    title="Federal Register public inspection",
    agency="Federal Register",
    kind_hint="scheduling",
    url="https://www.federalregister.gov/api/v1/public-inspection-documents/current.json",
    # The desk posts regular filings at 8:45 a.m. and special filings during the day.
    every=timedelta(hours=1),
    parse=parse,
    format="json",
    covers=(
        "Kratom, mitragynine and 7-hydroxymitragynine documents on the Federal Register's "
        "public-inspection desk, about a day before they are published"
    ),
)
