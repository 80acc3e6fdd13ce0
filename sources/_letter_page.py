"""One FDA warning-letter page, read into its facts. Pure: bytes in, a ``Letter`` out.

The page (fda.gov, Drupal) holds inside ``<main>``: a "WARNING LETTER" heading; a line
"<firm> MARCS-CMS <number> —"; a description list of labels ("Delivery Method:", "Product:",
"Recipient:", "Issuing Office:"), each followed by its lines (the recipient's name comes with a
screen-reader label glued to it: "Recipient NameJane Doe"); then the letter: its date, the
address block, the body quoting the firm's claims, and the signatures after "Sincerely,". A
joint FDA-FTC letter names the Federal Trade Commission among the issuing offices and signs
for it. Letters before 2019 may lack the "Product" and "Delivery Method" labels.

The HTML is read with the stdlib parser (``alerts.claims.html_text``), which never raises
on broken markup and drops scripts, navigation and page chrome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from alerts.claims.html_text import extract
from sources._cited_claims import cited_claims, product_names
from sources.base import ParseError

MAX_TEXT = 300_000  # characters of page text read; a letter is a few tens of thousands
_LABELS = {
    "delivery method": "delivery_method",
    "product": "product_type",
    "products": "product_type",
    "recipient": "recipient",
    "issuing office": "offices",
    "issuing offices": "offices",
}
_LABEL = re.compile(r"^(" + "|".join(_LABELS) + r"):\s*(.*)$", re.I)
_MARCS_LINE = re.compile(r"^(?P<firm>.*?)\s*MARCS-CMS\s*#?\s*(?P<number>\d{4,8})\b")
_TITLE = re.compile(r"^(?P<firm>.+?)\s+-\s+(?P<number>\d{4,8})\s+-\s+\d{2}/\d{2}/\d{4}")
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE = re.compile(rf"^(?:Date:\s*)?((?:{_MONTHS})\s+\d{{1,2}},\s*\d{{4}})$")
_OFFICE = re.compile(
    r"\b(?:Center|Office|Division|Commission|Program|Department|District|Directorate|Bureau)\b"
)
_CITY_STATE = re.compile(r",\s*(?P<state>[A-Z]{2})\.?\s+\d{5}(?:-\d{4})?\b")
_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR"
)
_US_STATES = frozenset(_STATE_CODES.split(" "))
_FTC = "Federal Trade Commission"
_USC = re.compile(
    r"\b(?P<title>\d{1,2}) U\.\s?S\.\s?C\.\s*§*\s*"
    r"(?P<sections>\d+[a-z]*(?:\([0-9A-Za-z]+\))*"
    r"(?:(?:,\s*|,?\s+and\s+|,?\s+or\s+)\d+[a-z]*(?:\([0-9A-Za-z]+\))*)*)"
)
_SECTION_SPLIT = re.compile(r",\s*|,?\s+and\s+|,?\s+or\s+")
_ACTS = {
    "FD&C Act": re.compile(r"FD&C Act|Federal Food, Drug,? and Cosmetic Act"),
    "FTC Act": re.compile(r"FTC Act|Federal Trade Commission Act"),
    "Opioid Addiction Recovery Fraud Prevention Act of 2018": re.compile(
        r"Opioid Addiction Recovery Fraud Prevention Act"
    ),
    "Public Health Service Act": re.compile(r"Public Health Service Act"),
}
_BOT_WALL = (b"FDA Apology", b"abuse-detection-apology")


@dataclass(frozen=True)
class Letter:
    """What one letter page says. Strings are "" and tuples empty when the page omits them."""

    firm: str
    marcs_cms: str
    letter_date: date | None
    delivery_method: str = ""
    product_type: str = ""
    recipient: tuple[str, ...] = ()
    state: str = ""  # the recipient's US state (two letters); "" outside the US or unknown
    place: str = ""  # the recipient's "City, ST"
    offices: tuple[str, ...] = ()
    cosigned_by_ftc: bool = False
    statutes: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    claims: tuple[dict[str, Any], ...] = ()
    text: str = ""  # the letter's body as plain text, at most MAX_TEXT characters


def _decode(content: bytes) -> str:
    if not content.strip():
        raise ParseError("the letter page is empty")
    if any(mark in content[:20_000] for mark in _BOT_WALL):
        raise ParseError(
            "the letter page is FDA's bot wall (an 'FDA Apology' page), not the letter: "
            "fda.gov took the request for automated traffic"
        )
    if b"\x00" in content:
        raise ParseError("the letter page holds binary data (NUL bytes), not HTML")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"the letter page is not valid UTF-8 at byte {exc.start}") from exc


def _bounded(paragraphs: list[str]) -> list[str]:
    kept, total = [], 0
    for paragraph in paragraphs:
        total += len(paragraph)
        if total > MAX_TEXT:
            break
        kept.append(paragraph)
    return kept


def _header(paragraphs: list[str]) -> tuple[dict[str, list[str]], int]:
    """The labelled fields and the index of the first paragraph after them."""
    fields: dict[str, list[str]] = {}
    current: list[str] | None = None
    end = 0
    for index, paragraph in enumerate(paragraphs[:200]):
        label = _LABEL.match(paragraph)
        if label:
            current = fields.setdefault(_LABELS[label.group(1).lower()], [])
            if label.group(2):
                current.append(label.group(2))
            end = index + 1
        elif current is not None:
            if paragraph.upper() == "WARNING LETTER" or _DATE.match(paragraph):
                break
            if len(paragraph) > 120 or len(current) >= 12:
                break
            current.append(paragraph)
            end = index + 1
    return fields, end


def _place(recipient: list[str]) -> tuple[str, str]:
    """("City, ST", "ST") of a US recipient; ("", "") when no line reads so."""
    for line in recipient:
        match = _CITY_STATE.search(line)
        if match and match.group("state") in _US_STATES:
            city = line[: match.start()].strip()
            return f"{city}, {match.group('state')}" if city else match.group("state"), match.group(
                "state"
            )
    return "", ""


def statutes_in(text: str) -> list[str]:
    """Acts and U.S. Code sections the letter cites, in order of first mention."""
    found: list[tuple[int, str]] = []
    for name, pattern in _ACTS.items():
        match = pattern.search(text)
        if match:
            found.append((match.start(), name))
    for match in _USC.finditer(text):
        for section in _SECTION_SPLIT.split(match.group("sections")):
            found.append((match.start(), f"{match.group('title')} U.S.C. {section}"))
    return list(dict.fromkeys(name for _, name in sorted(found, key=lambda item: item[0])))


def _firm_and_number(paragraphs: list[str], title: str) -> tuple[str, str]:
    for paragraph in paragraphs[:60]:
        match = _MARCS_LINE.match(paragraph)
        if match:
            return match.group("firm").strip(" -—–"), match.group("number")
    match = _TITLE.match(title)
    if match:
        return match.group("firm").strip(), match.group("number")
    return "", ""


def _letter_date(paragraphs: list[str]) -> date | None:
    for paragraph in paragraphs[:80]:
        match = _DATE.match(paragraph)
        if match:
            try:
                return datetime.strptime(" ".join(match.group(1).split()), "%B %d, %Y").date()
            except ValueError:
                return None
    return None


def read_letter(content: bytes) -> Letter:
    """The facts of one letter page.

    Raises ParseError when the page is empty, binary, not UTF-8, FDA's bot wall, or not a
    warning letter at all (no "WARNING LETTER" heading and no MARCS-CMS number).
    """
    page = extract(_decode(content))
    paragraphs = _bounded(page.paragraphs)
    firm, number = _firm_and_number(paragraphs, page.title)
    if not number and not any(p.upper().startswith("WARNING LETTER") for p in paragraphs):
        raise ParseError(
            "the page is not a warning letter: no 'WARNING LETTER' heading and no MARCS-CMS number"
        )
    fields, end = _header(paragraphs)
    body = paragraphs[end:]
    recipient = [re.sub(r"^Recipient Name\s*", "", line) for line in fields.get("recipient", [])]
    offices = [line for line in fields.get("offices", []) if _OFFICE.search(line)]
    signed = next((i for i in range(len(body) - 1, -1, -1) if body[i].startswith("Sincerely")), -1)
    signatures = " ".join(body[signed:]) if signed >= 0 else ""
    text = " ".join(body)
    place, state = _place(recipient)
    return Letter(
        firm=firm or (recipient[1] if len(recipient) > 1 else ""),
        marcs_cms=number,
        letter_date=_letter_date(body) or _letter_date(paragraphs),
        delivery_method=", ".join(fields.get("delivery_method", [])),
        product_type=", ".join(fields.get("product_type", [])),
        recipient=tuple(recipient),
        state=state,
        place=place,
        offices=tuple(dict.fromkeys(offices)),
        cosigned_by_ftc=any(_FTC in office for office in offices) or _FTC in signatures,
        statutes=tuple(statutes_in(text)),
        products=tuple(product_names(body)),
        claims=tuple(cited_claims(body)),
        text=text,
    )
