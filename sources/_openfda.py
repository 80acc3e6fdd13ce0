"""Shared parsing for openFDA enforcement (recall) endpoints, food and drug."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from alerts.classify import regions_in
from alerts.draft import AlertDraft, Product
from alerts.text import day_start_utc, parse_day
from alerts.vocabulary import match_terms
from sources._json import expect_list, expect_object, field, load_json
from sources.base import ParseError

KRATOM_SEARCH = (
    "search=product_description:kratom+OR+reason_for_recall:kratom"
    "+OR+product_description:mitragyna+OR+reason_for_recall:mitragyna"
    "+OR+reason_for_recall:mitragynine+OR+product_description:%227-hydroxymitragynine%22"
    "+OR+reason_for_recall:%227-OH%22"
)
PAGE_SIZE = 100

_UPC = re.compile(r"\b(?:UPC[:#\s]*)?(\d(?:[\s-]?\d){10,12})\b")
_CODE = r"(?:B#\s*)?(?=[A-Z.\-/]*\d)[A-Z0-9][A-Z0-9.\-/]{2,}"
# "Lot LB-2203", "Lots: A1, A2 and A3", "Lot #'s: 123, 456", "lot B# AAW.501.3"
_LOT = re.compile(
    r"\b(?:lot|batch)(?:es|s)?(?:\s*(?:#\s*'?s|#|no\.?|numbers?|codes?))?\s*[:#]?\s*"
    rf"(?P<codes>{_CODE}(?:\s*(?:,|;|&|\band\b)\s*{_CODE})*)",
    re.I,
)
_LOT_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b)\s*", re.I)
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?', re.I)
_SKIP = re.compile(r"([?&])skip=\d+")
_CLASS = re.compile(r"\bclass\s+(I{1,3})\b", re.I)


def lots_and_upcs(text: str) -> tuple[list[str], list[str]]:
    """Lot codes and UPCs named in an openFDA ``code_info`` text."""
    upcs: list[str] = []
    for match in _UPC.finditer(text):
        digits = re.sub(r"\D", "", match.group(1))
        if len(digits) in (12, 13) and digits not in upcs:
            upcs.append(digits)
    lots: list[str] = []
    for match in _LOT.finditer(text):
        for code in _LOT_SPLIT.split(match.group("codes")):
            lot = re.sub(r"^B#\s*", "", code).rstrip(".,;")
            # A lot code has a digit; this skips words such as "Lot numbers are ...".
            if any(c.isdigit() for c in lot) and lot not in lots and lot not in upcs:
                lots.append(lot)
    return lots, upcs


def recall_class(value: str) -> str | None:
    """ "Class II" -> "II"; None when not classified."""
    match = _CLASS.search(value)
    return match.group(1).upper() if match else None


def record_url(endpoint: str, recall_number: str) -> str:
    """A stable link to one enforcement record on the openFDA API."""
    return f"{endpoint}?search=recall_number:{quote(chr(34) + recall_number + chr(34))}"


def _uid(record: dict[str, Any]) -> str:
    number = field(record, "recall_number")
    if number:
        return number
    digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]
    return f"event-{field(record, 'event_id') or 'unknown'}-{digest}"


def to_draft(record: dict[str, Any], *, source: str, endpoint: str) -> AlertDraft:
    """One enforcement record as a draft."""
    firm = field(record, "recalling_firm")
    product = field(record, "product_description")
    reason = field(record, "reason_for_recall")
    codes = " ".join(filter(None, (field(record, "code_info"), field(record, "more_code_info"))))
    distribution = field(record, "distribution_pattern")
    klass = recall_class(field(record, "classification"))
    lots, upcs = lots_and_upcs(codes)
    uid = _uid(record)
    short = product if len(product) <= 110 else product[:107].rsplit(" ", 1)[0] + "..."
    label = f"Class {klass} recall" if klass else "Recall"
    summary_parts = [reason]
    if distribution:
        summary_parts.append(f"Distribution: {distribution}")
    if field(record, "product_quantity"):
        summary_parts.append(f"Quantity: {field(record, 'product_quantity')}")
    if field(record, "voluntary_mandated"):
        summary_parts.append(f"({field(record, 'voluntary_mandated')})")
    text = f"{firm} {product} {reason} {codes}"
    return AlertDraft(
        source=source,
        uid=uid,
        agency="FDA",
        kind="recall",
        title=f"{firm}: {label} of {short}" if firm else f"{label} of {short}",
        url=record_url(endpoint, uid) if field(record, "recall_number") else endpoint,
        summary=" ".join(summary_parts),
        published_at=day_start_utc(parse_day(field(record, "report_date"))),
        # An FDA action applies in the US wherever the firm is based.
        jurisdiction="US",
        regions=regions_in(distribution),
        firms=[firm] if firm else [],
        products=[Product(name=product, lots=lots, upcs=upcs)] if product else [],
        recall_number=field(record, "recall_number") or None,
        recall_class=klass,
        status=field(record, "status").lower() or None,
        event_id=field(record, "event_id") or None,
        initiated_on=parse_day(field(record, "recall_initiation_date")),
        matched_terms=match_terms(text),
        body=f"{product} {codes} {field(record, 'voluntary_mandated')}",
        raw=record,
    )


def parse_enforcement(content: bytes, *, source: str, endpoint: str) -> list[AlertDraft]:
    """All records of an enforcement response as drafts."""
    data = expect_object(load_json(content), "an openFDA response")
    if "error" in data and "results" not in data:
        error = expect_object(data["error"], "the openFDA error")
        raise ParseError(f"openFDA error {error.get('code')}: {error.get('message')}")
    results = expect_list(data.get("results"), "openFDA results")
    drafts = []
    for record in results:
        drafts.append(
            to_draft(
                expect_object(record, "an enforcement record"), source=source, endpoint=endpoint
            )
        )
    return drafts


def next_page(content: bytes, headers: Mapping[str, str], url: str) -> str | None:
    """Follow the ``Link: rel=next`` header (search_after), else skip/limit paging."""
    link = headers.get("link") or headers.get("Link")
    if link:
        match = _LINK_NEXT.search(link)
        if match:
            return match.group(1)
    data = load_json(content)
    meta = data.get("meta", {}).get("results", {}) if isinstance(data, dict) else {}
    try:
        skip, limit, total = int(meta["skip"]), int(meta["limit"]), int(meta["total"])
    except (KeyError, TypeError, ValueError):
        return None
    following = skip + limit
    if following >= total or following > 25000 or not data.get("results"):
        return None
    if _SKIP.search(url):
        return _SKIP.sub(lambda m: f"{m.group(1)}skip={following}", url)
    return f"{url}{'&' if '?' in url else '?'}skip={following}"


def year_windows(since: date, until: date) -> list[tuple[date, date]]:
    """Calendar-year windows covering ``since``..``until`` (inclusive), clipped, oldest first.

    Empty when ``since`` is after ``until``.
    """
    windows = []
    start = since
    while start <= until:
        end = min(date(start.year, 12, 31), until)
        windows.append((start, end))
        start = end + timedelta(days=1)
    return windows


def backfill_urls(url: str, since: date, until: date) -> list[str]:
    """One first-page URL per calendar year of ``since``..``until``, by ``report_date``.

    The configured search is kept and narrowed: ``search=(EXPR)+AND+report_date:[A+TO+B]``
    (parenthesised so the date clause narrows the whole OR-list, not its last term); a URL without a
    search gets the date clause alone. ``skip`` is reset to 0 so skip paging starts at
    the window's first record. Pure string work.
    """
    base, _, query = url.partition("?")
    params = [p for p in query.split("&") if p and not p.startswith("skip=")]
    expression = next((p[len("search=") :] for p in params if p.startswith("search=")), "")
    rest = [p for p in params if not p.startswith("search=")]
    urls = []
    for start, end in year_windows(since, until):
        clause = f"report_date:[{start:%Y%m%d}+TO+{end:%Y%m%d}]"
        search = f"search=({expression})+AND+{clause}" if expression else f"search={clause}"
        urls.append(f"{base}?{'&'.join([search, *rest, 'skip=0'])}")
    return urls


def is_no_match(status: int, content: bytes) -> bool:
    """openFDA answers a search with no hits as HTTP 404 with code NOT_FOUND."""
    if status != 404:
        return False
    try:
        data = load_json(content)
    except ParseError:
        return False
    return (
        isinstance(data, dict)
        and isinstance(data.get("error"), dict)
        and (data["error"].get("code") == "NOT_FOUND")
    )
