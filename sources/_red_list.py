"""The Import Alert 54-15 page read into records: the page's header facts and its red list.

The accessdata page is one static HTML document: a header block (Import Alert #, Published
Date, Type, Import Alert Name, Reason for Alert, Guidance...), then the Red List grouped by
country, one table row per firm (name, address, product description, date published, date
of last revision), sometimes followed by a Green List of exempted firms.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sources._html_blocks import Block, read_blocks
from sources._html_page import decode_html, read_day, refuse_bot_wall, refuse_truncated
from sources.base import ParseError, Record

ALERT_NUMBER = "54-15"
PAGE_UID = "page"
_WHAT = "the Import Alert 54-15 page"
_MAX_ROWS = 5000

# ---------------------------------------------------------------------------- the page's facts


@dataclass(frozen=True)
class Firm:
    """One red-list entry as the page gives it (dates ISO, "" when absent or unreadable)."""

    name: str
    country: str
    address: str
    products: str
    date_added: str
    last_revised: str


@dataclass
class AlertPage:
    """What the page says: header facts and the red list, in page order."""

    number: str
    published_on: date
    alert_type: str
    name: str
    reason: str
    firms: list[Firm] = field(default_factory=list)


_NUMBER = re.compile(r"\bimport alert\s*(?:#|no\.?|number)?\s*:?\s*(\d{2}\s*-\s*\d{2,3})\b", re.I)
_LABELS = {
    "published": re.compile(r"^published date\s*:?\s*(.*)$", re.I),
    "type": re.compile(r"^type\s*:\s*(.*)$", re.I),
    "name": re.compile(r"^import alert name\s*:?\s*(.*)$", re.I),
    "reason": re.compile(r"^reason for alert\s*:?\s*(.*)$", re.I),
}
_OTHER_LABEL = re.compile(
    r"^(?:guidance|product description|charge|recommending office|notes?|problems?|"
    r"oasis charge code|type|published date|import alert name|reason for alert)\s*:",
    re.I,
)
_RED = re.compile(r"^red list\s*:?$", re.I)
_RED_HEADING = re.compile(r"^red list\b", re.I)
_END_OF_RED = re.compile(r"^(?:green|yellow) list\b", re.I)
_COUNTRY = re.compile(r"^[A-Z][A-Z .,'()&-]{1,48}$")


def _header(blocks: list[Block]) -> dict[str, str]:
    """Header facts: each label's text on its own line, or on the line after it."""
    found: dict[str, str] = {}
    for index, block in enumerate(blocks):
        text = block.text
        number = _NUMBER.search(text)
        if number and "number" not in found:
            found["number"] = re.sub(r"\s+", "", number.group(1))
        for key, pattern in _LABELS.items():
            match = pattern.match(text)
            if not match or key in found:
                continue
            value = match.group(1).strip()
            if not value and index + 1 < len(blocks):
                following = blocks[index + 1].text
                value = "" if _OTHER_LABEL.match(following) else following
            found[key] = value
    return found


_COLUMNS = (
    ("last_revised", ("revision", "revised", "updated")),
    ("date_added", ("date published", "published", "date added", "added", "listed")),
    ("products", ("product", "desc")),
    ("address", ("address", "location")),
    ("country", ("country",)),
    ("name", ("firm", "name", "manufacturer", "shipper")),
)
_DEFAULT_COLUMNS = ("name", "address", "products", "date_added", "last_revised")


def _column_map(cells: tuple[str, ...]) -> list[str]:
    """The field each header cell names ("" for a column the red list does not use)."""
    names: list[str] = []
    for cell in cells:
        low = cell.lower()
        key = next((k for k, words in _COLUMNS if any(w in low for w in words)), "")
        names.append(key if key not in names else "")
    return names


def _iso(text: str) -> str:
    day = read_day(text)
    return day.isoformat() if day else ""


def _country_name(text: str) -> str:
    text = text.strip().rstrip(":").strip()
    return text.title() if text.isupper() else text


def _red_list(blocks: list[Block]) -> list[Firm]:
    """The firms between the "Red List" marker and the end (or a Green/Yellow List)."""
    firms: list[Firm] = []
    columns: list[str] | None = None
    country = ""
    saw_table = False
    for block in blocks:
        if _END_OF_RED.match(block.text) and (
            block.kind == "heading" or (block.kind == "text" and len(block.text) <= 40)
        ):
            break
        if block.kind == "heading" or (block.kind == "text" and _COUNTRY.match(block.text)):
            country = _country_name(block.text)
            continue
        if block.kind != "row":
            continue
        saw_table = True
        filled = [cell for cell in block.cells if cell]
        if block.header:
            columns = _column_map(block.cells)
            continue
        if len(filled) == 1 and len(block.cells) <= 2 and _COUNTRY.match(filled[0]):
            country = _country_name(filled[0])  # a country row spanning the table
            continue
        keys = columns or list(_DEFAULT_COLUMNS)
        values = {key: cell for key, cell in zip(keys, block.cells, strict=False) if key}
        name = values.get("name", "")
        if not name:
            continue
        if len(firms) >= _MAX_ROWS:
            raise ParseError(f"{_WHAT} lists implausibly many red-list firms; it was not read")
        firms.append(
            Firm(
                name=name,
                country=_country_name(values.get("country", "")) or country,
                address=values.get("address", ""),
                products=values.get("products", ""),
                date_added=_iso(values.get("date_added", "")),
                last_revised=_iso(values.get("last_revised", "")),
            )
        )
    if not saw_table:
        raise ParseError(
            f"{_WHAT} has a Red List heading but no red-list table under it: FDA may have "
            "changed the page layout; the red list was not read"
        )
    return firms


def _is_red_marker(block: Block) -> bool:
    """A "Red List" heading, or a line saying just that (not a sentence naming it)."""
    if block.kind == "heading":
        return bool(_RED_HEADING.match(block.text))
    return block.kind == "text" and bool(_RED.match(block.text))


def read_page(content: bytes) -> AlertPage:
    """The header facts and red list of an Import Alert 54-15 page.

    ParseError (with a message for staff) for an empty or binary body, FDA's bot wall, a
    page cut short, a page that is not Import Alert 54-15, a missing or unreadable Published
    Date, and a page without a Red List table.
    """
    markup = decode_html(content, _WHAT)
    refuse_bot_wall(markup, _WHAT)
    refuse_truncated(markup, _WHAT)
    blocks, title = read_blocks(markup, _WHAT)
    red_at = next((i for i, b in enumerate(blocks) if _is_red_marker(b)), None)
    header = _header(blocks[:red_at] if red_at is not None else blocks)
    in_title = _NUMBER.search(title)
    number = header.get("number") or (in_title.group(1) if in_title else "")
    if not number:
        shown = f" (title: {title!r})" if title else ""
        raise ParseError(f"no 'Import Alert #' on the page{shown}: it is not an import alert page")
    number = re.sub(r"\s+", "", number)
    if number != ALERT_NUMBER:
        raise ParseError(
            f"the page is Import Alert {number}, not {ALERT_NUMBER}: check the source URL"
        )
    published_text = header.get("published", "")
    published = read_day(published_text)
    if published is None:
        seen = f" (found {published_text[:60]!r})" if published_text else ""
        raise ParseError(f"{_WHAT} has no readable Published Date{seen}")
    if red_at is None:
        raise ParseError(
            f"{_WHAT} has no Red List section: FDA may have changed the page layout; "
            "the red list was not read"
        )
    return AlertPage(
        number=number,
        published_on=published,
        alert_type=header.get("type", ""),
        name=header.get("name", "").strip('"“” '),
        reason=header.get("reason", "")[:1000],
        firms=_red_list(blocks[red_at + 1 :]),
    )


# ------------------------------------------------------------------------------- records


def slug(text: str) -> str:
    """Lower-case ASCII words joined by hyphens: accents, punctuation and case ignored."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "-", plain.casefold()).strip("-")[:80]


def firm_uid(name: str, country: str) -> str:
    """The record uid of a red-list firm: its normalised name and country."""
    return f"{slug(name) or 'firm'}@{slug(country) or 'unknown'}"


def _hash(data: dict[str, Any]) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def records(content: bytes) -> list[Record]:
    """One record per red-list firm (uid ``firm_uid``) and one for the page (uid "page").

    A firm's version is a hash of its row, so FDA revising its address, products or dates
    changes it. The page record holds the published date, the alert's name and type and
    the number of red-list firms. A firm listed twice in one country keeps the first uid;
    the repeats get ``#2``, ``#3``... in page order. ParseError as ``read_page``.
    """
    page = read_page(content)
    page_data: dict[str, Any] = {
        "alert_number": page.number,
        "published_on": page.published_on.isoformat(),
        "alert_type": page.alert_type,
        "alert_name": page.name,
        "reason": page.reason,
        "red_list_count": len(page.firms),
    }
    found = [Record(PAGE_UID, _hash(page_data), page_data)]
    seen: dict[str, int] = {}
    for firm in page.firms:
        uid = firm_uid(firm.name, firm.country)
        seen[uid] = seen.get(uid, 0) + 1
        if seen[uid] > 1:
            uid = f"{uid}#{seen[uid]}"
        data: dict[str, Any] = {
            "firm": firm.name,
            "country": firm.country,
            "address": firm.address,
            "products": firm.products,
            "date_added": firm.date_added,
            "last_revised": firm.last_revised,
        }
        found.append(Record(uid, _hash(data), data))
    return found
