"""FDA warning letters to kratom and 7-OH sellers, with the marketing claims each letter quotes.

The listing is the JSON behind fda.gov's warning-letter table (Drupal DataTables):
``{"draw", "recordsTotal", "recordsFiltered", "data": [[cell_html, ...], ...]}``, one row per
letter, cells as HTML fragments: posted date (``<time datetime=...>``), letter issue date,
company (a link to the letter page ``.../warning-letters/<slug>-<MARCS-CMS>-<MMDDYYYY>``),
issuing office, subject, response letter, closeout letter. The search is full text, so most
kratom letters name kratom only in their body: a row is kept when its company or subject names
kratom, or when its subject is one kratom letters are filed under (unapproved or misbranded
drugs, foods, supplements, FTC claims), and the letter page decides (``parse_letter``).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from alerts.claims.matrix import labels
from alerts.draft import AlertDraft, Product
from alerts.text import canonical_url, day_start_utc, parse_day
from alerts.vocabulary import match_terms
from sources._datatables import next_page, read_cell, table_rows
from sources._letter_page import Letter, read_letter
from sources.base import Detail, ParseError, Source

FDA_SITE = "https://www.fda.gov"
LISTING_PAGE = (
    FDA_SITE + "/inspections-compliance-enforcement-and-criminal-investigations"
    "/compliance-actions-and-activities/warning-letters"
)
PAGE_SIZE = 100
BODY_LIMIT = 20_000  # characters of letter text handed to classification
_COLUMNS = ("posted", "issued", "company", "office", "subject", "response", "closeout")
_LETTER_URL = re.compile(r"-(?P<number>\d{4,8})-(?P<day>\d{8})(?:\.html?)?$")
# Subjects kratom letters are filed under; a row with one of these may be about kratom.
_LETTER_AREAS = re.compile(
    r"unapproved|new drugs?|misbrand|dietary supplement|food|adulterat|opioid|health fraud"
    r"|internet|claims|federal trade commission|\bftc\b",
    re.I,
)
# Subjects that never concern a kratom seller, whatever the full-text search matched.
_OTHER_AREAS = re.compile(
    r"tobacco|device|finished pharmaceuticals|active pharmaceutical|haccp|clinical investigator"
    r"|institutional review|bioresearch|compounding|outsourcing|animal|veterinary|mammography"
    r"|biologics|blood|tissue|infant formula",
    re.I,
)
_FTC = re.compile(r"\bFTC\b|Federal Trade Commission", re.I)
_CHARGES = (
    ("unapproved new drugs", re.compile(r"unapproved new drugs?", re.I)),
    ("misbranded drugs", re.compile(r"misbranded drugs?", re.I)),
    ("adulterated foods or supplements", re.compile(r"\badulterated\b", re.I)),
)
_DBA = re.compile(r"\s+(?:d/b/a|dba|doing business as)\s+", re.I)


def firms_of(company: str) -> list[str]:
    """The company and each name it does business as ("X LLC d/b/a Y or Z" -> X LLC, Y, Z)."""
    first, *rest = _DBA.split(company, maxsplit=1)
    names = [first.strip(" ,")]
    for alias in rest:
        names += [name.strip(" ,") for name in re.split(r"\s+or\s+|\s*/\s*|,\s*", alias)]
    return [name for name in dict.fromkeys(names) if name]


def _draft(cells: list[Any]) -> AlertDraft | None:
    read = dict(zip(_COLUMNS, (read_cell(c) for c in cells), strict=False))
    company, href = read["company"].text, read["company"].href
    subject, office = read["subject"].text, read["office"].text
    if not href:
        return None  # every real row links its letter; one without is nothing to follow
    terms = match_terms(f"{company} {subject}")
    if not terms and (not _LETTER_AREAS.search(subject) or _OTHER_AREAS.search(subject)):
        return None
    slug = urlsplit(href).path.rstrip("/").rsplit("/", 1)[-1]
    number = _LETTER_URL.search(slug)
    posted, issued = read["posted"].day, read["issued"].day
    company = company or slug
    details: dict[str, Any] = {
        "marcs_cms": number.group("number") if number else "",
        "issued_on": issued.isoformat() if issued else "",
        "posted_on": posted.isoformat() if posted else "",
        "issuing_office": office,
        "subject": subject,
        "response_letter": read["response"].text if "response" in read else "",
        "closeout_letter": read["closeout"].text if "closeout" in read else "",
    }
    joint = bool(_FTC.search(f"{office} {subject}"))
    return AlertDraft(
        source=SOURCE.key,
        uid=details["marcs_cms"] or slug,
        agency="FDA",
        kind="ftc_joint" if joint else "warning_letter",
        title=f"{'Joint FDA-FTC warning letter' if joint else 'Warning letter'} to {company}",
        url=canonical_url(urljoin(FDA_SITE, href)),
        summary=f"Posted {details['posted_on'] or 'undated'}, issued by {office or 'FDA'}: "
        f"{subject or 'no subject given'}.",
        published_at=day_start_utc(issued or posted),
        firms=firms_of(company),
        matched_terms=terms,
        details={key: value for key, value in details.items() if value},
        body=subject,
        raw={"row": [c if isinstance(c, str | int | float | bool) or c is None else str(c)
                     for c in cells]},
    )  # fmt: skip


def parse(content: bytes) -> list[AlertDraft]:
    """Listing rows that may concern kratom, as drafts their letter pages complete.

    Raises ParseError for a body that is not the table (see ``_datatables.table_rows``).
    """
    rows = table_rows(content, _COLUMNS, required=5)
    return [draft for draft in map(_draft, rows) if draft is not None]


def letter_url(draft: AlertDraft) -> str | None:
    """The letter page's link as the listing gives it (often relative to fda.gov)."""
    row = draft.raw.get("row")
    if not isinstance(row, list) or len(row) < 3:
        return None
    return read_cell(row[2]).href or None


def letter_version(draft: AlertDraft) -> str:
    """The posted date: FDA re-posts a letter when it changes it."""
    return str(draft.details.get("posted_on", ""))


def _summary(firm: str, letter: Letter, day: date | None, joint: bool) -> str:
    where = f" ({letter.place})" if letter.place else ""
    sent = f"{'FDA and the FTC' if joint else 'FDA'} sent {firm}{where} a warning letter"
    parts = [f"{sent} dated {day.isoformat()}." if day else f"{sent}."]
    charges = [name for name, pattern in _CHARGES if pattern.search(letter.text)]
    if charges:
        listed = ", ".join(charges[:-1]) + " and " + charges[-1] if len(charges) > 1 else charges[0]
        parts.append(f"It treats the products as {listed}.")
    if "FTC Act" in letter.statutes:
        parts.append("It warns that unsupported health claims break the FTC Act.")
    if letter.claims:
        topics = list(dict.fromkeys(t for claim in letter.claims for t in claim["topics"]))
        count = len(letter.claims)
        named = f" about {labels(topics)}" if topics else ""
        parts.append(f"It quotes {count} marketing claim{'s' if count > 1 else ''}{named}.")
    return " ".join(parts)


def parse_letter(draft: AlertDraft, content: bytes) -> AlertDraft | None:
    """The listing draft completed from its letter page; None when the letter is not about
    kratom, mitragynine or 7-OH.

    Raises ParseError as ``read_letter`` does, and when the page is another letter than
    the row's (its MARCS-CMS number differs).
    """
    letter = read_letter(content)
    listed = str(draft.details.get("marcs_cms", ""))
    if letter.marcs_cms and listed and letter.marcs_cms != listed:
        raise ParseError(
            f"the letter page shows MARCS-CMS {letter.marcs_cms} but the listing row "
            f"{listed}: the link leads to another letter"
        )
    firm = letter.firm or (draft.firms[0] if draft.firms else "the firm")
    subject = str(draft.details.get("subject", ""))
    terms = match_terms(" ".join((firm, subject, *letter.products, letter.text)))
    if not terms:
        return None
    joint = letter.cosigned_by_ftc
    day = letter.letter_date or parse_day(str(draft.details.get("issued_on", "")))
    found: dict[str, Any] = {
        "firm": firm,
        "letter_date": letter.letter_date.isoformat() if letter.letter_date else "",
        "delivery_method": letter.delivery_method,
        "product_type": letter.product_type,
        "recipient": ", ".join(letter.recipient),
        "recipient_state": letter.state,
        "issuing_offices": list(letter.offices),
        "cosigned_by_ftc": joint,
        "statutes": list(letter.statutes),
        "cited_claims": [dict(claim) for claim in letter.claims],
    }
    return replace(
        draft,
        kind="ftc_joint" if joint else "warning_letter",
        title=f"{'Joint FDA-FTC warning letter' if joint else 'Warning letter'} to {firm}",
        summary=_summary(firm, letter, day, joint),
        published_at=day_start_utc(day) or draft.published_at,
        jurisdiction="US",
        # The firms sell online to every state: the letter concerns the whole country, and
        # the firm's home state is named too.
        regions=["US", f"US-{letter.state}"] if letter.state else [],
        firms=list(dict.fromkeys([*firms_of(firm), *draft.firms])),
        products=[Product(name=name) for name in letter.products],
        matched_terms=terms,
        details={**draft.details, **{key: value for key, value in found.items() if value}},
        body=letter.text[:BODY_LIMIT],
    )


SOURCE = Source(
    key="fda_warning_letters",
    title="FDA warning letters",
    agency="FDA",
    kind_hint="warning_letter",
    url="https://www.fda.gov/datatables/views/ajax?"
    + urlencode(
        {
            "search_api_fulltext": "kratom",
            "view_name": "warning_letter_solr_index",
            "view_display_id": "warning_letter_solr_block",
            "view_path": urlsplit(LISTING_PAGE).path,
            "length": str(PAGE_SIZE),
            "start": "0",
            "draw": "1",
        }
    ),
    every=timedelta(hours=6),
    parse=parse,
    format="json",
    next_page=next_page,
    covers="FDA warning letters (and joint FDA-FTC letters) to kratom and 7-OH sellers, "
    "with the marketing claims each letter quotes",
    detail=Detail(url=letter_url, parse=parse_letter, version=letter_version, per_poll=20),
    headers={
        "X-Requested-With": "XMLHttpRequest",
        "Accept": "application/json, text/javascript, */*; q=0.01",
        "Referer": LISTING_PAGE,
    },
)
