"""fda.gov's DataTables JSON (``/datatables/views/ajax``): rows of HTML cells, start/length paging.

The endpoint answers ``{"draw", "recordsTotal", "recordsFiltered", "data": [[cell, ...], ...]}``.
Drupal escapes ``<``, ``>``, ``&``, quotes and ``/`` inside the strings (``\\u003C``, ``\\/``);
JSON decoding undoes that. Cells are HTML fragments: text, links, ``<time datetime=...>``. The
warning-letter table and the recall table share the endpoint (``view_name`` picks the view).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from alerts.text import parse_day, plain_text
from sources._json import expect_list, expect_object, load_json
from sources.base import ParseError


@dataclass(frozen=True)
class Cell:
    """One cell: its plain text, its first link and its first ``<time datetime>``."""

    text: str
    href: str = ""
    moment: str = ""

    @property
    def day(self) -> date | None:
        """The cell's date: its ``datetime`` attribute, else its text as MM/DD/YYYY or ISO."""
        if self.moment:
            found = parse_day(self.moment[:10])
            if found:
                return found
        try:
            return datetime.strptime(self.text.strip()[:10], "%m/%d/%Y").date()
        except ValueError:
            return parse_day(self.text)


class _Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.href = ""
        self.moment = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: (value or "").strip() for name, value in attrs}
        if tag == "a" and not self.href:
            self.href = values.get("href", "")
        elif tag == "time" and not self.moment:
            self.moment = values.get("datetime", "")


def read_cell(value: Any) -> Cell:
    """A cell's HTML fragment read with the stdlib parser; null cells are empty."""
    markup = "" if value is None else str(value)
    parser = _Attributes()
    parser.feed(markup)
    parser.close()
    return Cell(plain_text(markup), parser.href, parser.moment)


def table_rows(content: bytes, columns: tuple[str, ...], *, required: int) -> list[list[Any]]:
    """The raw rows of a table response, each a list of at least ``required`` cells.

    Rows may come as lists or as objects keyed "0", "1", ... Raises ParseError for a body
    that is not the table: Drupal AJAX commands (what ``_wrapper_format=drupal_ajax`` asks
    for), a DataTables ``error`` answered with status 200, a missing ``data`` list, a row
    that is not a list of cells or has too few (``columns`` name them in the message).
    """
    data = load_json(content)
    if isinstance(data, list):
        raise ParseError(
            "got a list of Drupal AJAX commands, not the table's rows: "
            "drop _wrapper_format=drupal_ajax from the URL"
        )
    data = expect_object(data, "the DataTables response")
    if data.get("error"):
        raise ParseError(f"the table answered with an error: {data['error']!s:.200}")
    rows = []
    for number, row in enumerate(expect_list(data.get("data"), "data (the rows)"), start=1):
        if isinstance(row, dict) and all(str(key).isdigit() for key in row):
            row = [row[key] for key in sorted(row, key=int)]
        if not isinstance(row, list):
            raise ParseError(f"row {number} of the table is not a list of cells")
        if len(row) < required:
            raise ParseError(
                f"row {number} has {len(row)} cells; the table has at least {required} "
                f"({', '.join(columns[:required])})"
            )
        rows.append(row)
    return rows


def _count(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def next_page(content: bytes, headers: Mapping[str, str], url: str) -> str | None:
    """The same query from the row after this page's last, while ``recordsFiltered`` says
    rows remain; None on the last page or when the body has no rows.
    """
    data = load_json(content)
    if not isinstance(data, dict) or not isinstance(data.get("data"), list) or not data["data"]:
        return None
    total = _count(data.get("recordsFiltered", data.get("recordsTotal")))
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    following = (_count(query.get("start")) or 0) + len(data["data"])
    if total is None or following >= total:
        return None
    query["start"] = str(following)
    query["draw"] = str((_count(query.get("draw")) or 1) + 1)
    return urlunsplit(parts._replace(query=urlencode(query)))
