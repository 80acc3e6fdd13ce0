"""regulations.gov API v4 documents: dockets and notices that name kratom (DEA-442 in 2016).

The API is JSON:API (``data[]`` of ``{"id", "type": "documents", "attributes": {...}}``
plus ``meta`` with ``hasNextPage``/``pageNumber``) behind api.data.gov: a key is required
(``KM_REGULATIONS_GOV_KEY``), sent in the ``X-Api-Key`` header so it never appears in a
URL, a stored record or an error. One alert per document id (``DEA-2016-0009-0001``); the
docket, document type, FR document number, comment period and withdrawn flag go into
``details``, a comment deadline into ``events`` as ``comments_close``.

The search matches full text, so a hit is kept only when its title or the API's
``highlightedContent`` snippet names kratom or an alkaloid. Timestamps are UTC instants of
Eastern-time days (a deadline of 23:59:59 Eastern reads ``04:59:59Z`` the next day), so
comment days are read in Eastern time.

Errors: api.data.gov answers a missing or bad key with ``{"error": {"code":
"API_KEY_MISSING", ...}}`` and regulations.gov with ``{"errors": [{"status": "403",
"title": "API_KEY_INVALID", ...}]}``; ``parse`` raises ParseError naming the code (never the
key), and ``explain_refusal`` gives the same message for the poller when such a body comes
with an HTTP error status.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from alerts.draft import AlertDraft
from alerts.text import as_utc, clean_title, plain_text
from alerts.vocabulary import match_terms
from sources._json import expect_list, expect_object, field, load_json
from sources.base import ParseError, Source

KEY_VARIABLE = "KM_REGULATIONS_GOV_KEY"
API = "https://api.regulations.gov/v4/documents"
DOCUMENT_PAGE = "https://www.regulations.gov/document/"
_SEARCH = "filter%5BsearchTerm%5D"
_MODIFIED_SINCE = "filter%5BlastModifiedDate%5D%5Bge%5D"
_PAGE_NUMBER = "page%5Bnumber%5D"
# The API serves at most 20 pages of 250 per query; past that, the next poll's
# lastModifiedDate cursor moves the window (never reached for kratom volumes).
MAX_PAGE = 20
# The lastModifiedDate filter is read in US Eastern time by the API.
EASTERN = ZoneInfo("America/New_York")
# Each poll re-asks for a day before the last success: it covers clock skew between us and
# the agency and documents indexed for search some hours after their lastModifiedDate.
# Re-read documents dedupe on their id and only make a revision when something changed.
SINCE_MARGIN = timedelta(days=1)

_SCHEDULE = re.compile(r"\bschedul", re.I)
# Error codes are upper-case words joined by "_" (API_KEY_INVALID); a key never has "_".
_CODE = re.compile(r"^(?=.{3,40}$)[A-Z]+(?:_[A-Z]+)+$")
# Anything shaped like an api.data.gov key (40 letters/digits) is cut from echoed text.
_KEY_LIKE = re.compile(r"[A-Za-z0-9_\-]{20,}")
_EXPLAINED = {
    "API_KEY_MISSING": f"no API key was sent; set {KEY_VARIABLE}",
    "API_KEY_INVALID": f"the API key was not accepted; check {KEY_VARIABLE}",
    "API_KEY_DISABLED": "the API key has been disabled by api.data.gov; request a new one",
    "API_KEY_UNAUTHORIZED": "the API key is not authorized for the regulations.gov API",
    "API_KEY_UNVERIFIED": "the API key's e-mail address has not been verified yet",
    "OVER_RATE_LIMIT": (
        "the API key's hourly request limit is used up; polls succeed again once it refills"
    ),
}


def authorize(url: str, key: str) -> tuple[str, dict[str, str]]:
    """The URL unchanged and the ``X-Api-Key`` header: the key stays out of every URL."""
    return url, {"X-Api-Key": key}


def since_url(url: str, last_success_at: datetime | None) -> str:
    """``url`` limited to documents modified since the last success, less ``SINCE_MARGIN``.

    The time goes in as ``YYYY-MM-DD HH:MM:SS`` US Eastern, replacing any lastModifiedDate
    filter already in ``url``. Without a previous success the URL is returned unchanged.
    """
    if last_success_at is None:
        return url
    moment = last_success_at if last_success_at.tzinfo else last_success_at.replace(tzinfo=UTC)
    stamp = (moment - SINCE_MARGIN).astimezone(EASTERN).strftime("%Y-%m-%d %H:%M:%S")
    return _with_param(url, _MODIFIED_SINCE, quote(stamp, safe=""))


def next_page(content: bytes, headers: Mapping[str, str], url: str) -> str | None:
    """The following page while ``meta.hasNextPage`` is true and the API's page cap allows."""
    try:
        data = load_json(content)
    except ParseError:  # parse has already said what is wrong with this page
        return None
    meta = data.get("meta") if isinstance(data, dict) else None
    if not isinstance(meta, dict) or meta.get("hasNextPage") is not True:
        return None
    number = meta.get("pageNumber")
    if not isinstance(number, int) or isinstance(number, bool) or number >= MAX_PAGE:
        return None
    return _with_param(url, _PAGE_NUMBER, str(number + 1))


def _with_param(url: str, name: str, value: str) -> str:
    """``url`` with the (already encoded) parameter ``name`` set to ``value``, whether the
    URL wrote the name encoded (``filter%5B...``) or with bare brackets."""
    base, _, query = url.partition("?")
    wanted = unquote(name).lower()
    params = [p for p in query.split("&") if p and unquote(p.split("=", 1)[0]).lower() != wanted]
    params.append(f"{name}={value}")
    return f"{base}?{'&'.join(params)}"


def _safe_text(value: Any) -> str:
    """Agency-supplied error text fit to show: one line, short, nothing key-shaped."""
    text = _KEY_LIKE.sub("[redacted]", plain_text(str(value)))
    return text[:160]


def error_message(data: Any, status: int | None = None) -> str | None:
    """The staff message for an API error body (either shape), or None if it is none."""
    if not isinstance(data, dict):
        return None
    problem: Any = None
    if isinstance(data.get("error"), dict):
        problem = data["error"]  # api.data.gov: {"error": {"code": ..., "message": ...}}
    elif isinstance(data.get("errors"), list) and data["errors"]:
        problem = data["errors"][0]  # JSON:API: {"errors": [{"status", "title", "detail"}]}
    elif "errors" in data and "data" not in data:
        problem = {}
    if problem is None:
        return None
    if not isinstance(problem, dict):
        problem = {}
    code = next(
        (str(problem[k]) for k in ("code", "title") if _CODE.match(str(problem.get(k) or ""))),
        "",
    )
    said = str(problem.get("status") or "")
    shown_status = said if said.isdigit() else (str(status) if status else "")
    where = ", ".join(filter(None, (code, f"HTTP {shown_status}" if shown_status else "")))
    if code in _EXPLAINED:
        return f"regulations.gov refused the request ({where}): {_EXPLAINED[code]}"
    words = next(
        (_safe_text(problem[k]) for k in ("title", "detail", "message") if problem.get(k)), ""
    )
    return (
        f"regulations.gov returned an error{f' ({where})' if where else ''}: "
        f"{words or 'no description given'}"
    )


def explain_refusal(status: int, body: bytes) -> str | None:
    """The message for an error answer the fetch refused (HTTP 4xx/5xx with a JSON error
    body), so the sources page says "API key not accepted" rather than "HTTP 403". None
    when the body is not a JSON error. Never raises, never includes the key.
    """
    try:
        data = json.loads(body[: 64 * 1024].decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return None
    return error_message(data, status)


def _instant(value: str) -> datetime | None:
    """An API timestamp (``2016-08-31T04:00:00Z``) in UTC; None when absent or unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return as_utc(moment)


def _eastern_day(moment: datetime | None) -> date | None:
    return moment.astimezone(EASTERN).date() if moment else None


def _flag(attrs: dict[str, Any], name: str) -> bool:
    return attrs.get(name) is True


def _long_day(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _draft(item: dict[str, Any]) -> AlertDraft | None:
    doc_id = field(item, "id")
    if not doc_id:
        raise ParseError("regulations.gov document without an id")
    attrs = expect_object(item.get("attributes"), f"the attributes of document {doc_id}")
    title = clean_title(field(attrs, "title"))
    highlight = plain_text(field(attrs, "highlightedContent"))
    terms = match_terms(f"{title} {highlight}")
    if not terms:
        return None
    agency = field(attrs, "agencyId") or "Regulations.gov"
    docket = field(attrs, "docketId")
    doc_type = field(attrs, "documentType")
    fr_number = field(attrs, "frDocNum")
    start = _eastern_day(_instant(field(attrs, "commentStartDate")))
    end = _eastern_day(_instant(field(attrs, "commentEndDate")))
    open_now, withdrawn = _flag(attrs, "openForComment"), _flag(attrs, "withdrawn")
    details: dict[str, Any] = {
        "docket_id": docket,
        "document_type": doc_type,
        "fr_doc_num": fr_number,
        "comment_start": start.isoformat() if start else "",
        "comment_end": end.isoformat() if end else "",
    }
    details = {name: value for name, value in details.items() if value}
    details.update(open_for_comment=open_now, withdrawn=withdrawn)
    status: str | None = None
    if withdrawn:
        status = "withdrawn"
    elif open_now:
        status = "open for comment"
    elif end:
        status = "comment period closed"
    summary = " ".join(
        filter(
            None,
            (
                f"{doc_type or 'Document'} in docket {docket}." if docket else "",
                f"Federal Register document {fr_number}." if fr_number else "",
                f"Comments accepted through {_long_day(end)}." if end else "",
                highlight,
            ),
        )
    )
    return AlertDraft(
        source=SOURCE.key,
        uid=doc_id,
        # A document the Federal Register published joins that document's incident.
        event_id=f"FR {fr_number}"[:40] if fr_number else None,
        agency=agency,
        kind="scheduling" if agency == "DEA" and _SCHEDULE.search(title) else "notice",
        title=title,
        url=DOCUMENT_PAGE + quote(doc_id, safe="-_."),
        summary=summary,
        published_at=_instant(field(attrs, "postedDate")),
        jurisdiction="US",
        status=status,
        matched_terms=terms,
        events=[{"on": end.isoformat(), "what": "comments_close"}] if end else [],
        details=details,
        body=" ".join(filter(None, (highlight, docket, fr_number))),
        raw=item,
    )


def parse(content: bytes) -> list[AlertDraft]:
    """Documents of one result page as drafts; hits not naming kratom are skipped.

    ParseError for an API error body (with the code, never the key), for a body that is
    not a JSON:API document list, and for a document without an id or attributes.
    """
    data = expect_object(load_json(content), "a regulations.gov documents response")
    problem = error_message(data)
    if problem:
        raise ParseError(problem)
    drafts: list[AlertDraft] = []
    for item in expect_list(data.get("data"), "data (the documents)"):
        draft = _draft(expect_object(item, "a document"))
        if draft is not None:
            drafts.append(draft)
    return drafts


SOURCE = Source(
    explain_refusal=explain_refusal,
    key="regulations_gov",
    title="Regulations.gov documents (API v4)",
    agency="Regulations.gov",
    kind_hint="notice",
    url=f"{API}?{_SEARCH}=kratom&sort=-lastModifiedDate&page%5Bsize%5D=250",
    every=timedelta(hours=6),
    parse=parse,
    format="json",
    next_page=next_page,
    max_pages=MAX_PAGE,
    covers=(
        "regulations.gov dockets and documents naming kratom (DEA-442 scheduling notice and "
        "its withdrawal, 2016), with comment periods and deadlines"
    ),
    needs_key=KEY_VARIABLE,
    authorize=authorize,
    since_url=since_url,
)
