"""LegiScan API: state bills (and Congress) naming kratom, mitragynine or 7-OH.

A search (``op=getSearch``, or the compact ``op=getSearchRaw``) lists hits; each hit is a
provisional draft keyed by LegiScan's ``bill_id`` and completed from the bill itself
(``op=getBill``, the source's detail page). The detail is fetched again only when the
hit's ``change_hash`` changes, which keeps the monthly query budget small.

A bill that became law (status 4 "Passed" with a governor's signature, a chapter or an
effective date in its history) is a ``state_law``; every other bill is a ``notice``, so
the same uid turns from notice into state_law when it is enacted.

The API key travels in the query string (``authorize``); nothing here ever reads it back,
and error messages are cleaned of key-like tokens before they are raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from alerts.draft import AlertDraft
from alerts.text import canonical_url, clean_title, day_start_utc, parse_day, plain_text
from alerts.vocabulary import match_terms
from sources._bills import (
    bill_title,
    compact,
    events_of,
    jurisdiction_of,
    looks_enacted,
    with_query,
    without_secrets,
)
from sources._json import expect_list, expect_object, field, load_json
from sources.base import Detail, ParseError, Source

KEY = "legiscan"
AGENCY = "LegiScan (state legislatures)"
API = "https://api.legiscan.com/"
# LegiScan's bill status codes (the manual's table).
STATUS_NAMES = {
    1: "introduced",
    2: "engrossed",
    3: "enrolled",
    4: "passed",
    5: "vetoed",
    6: "failed",
}
_PASSED = 4


def _answer(content: bytes, what: str) -> dict[str, Any]:
    """The decoded answer; ParseError when LegiScan reports an error (with HTTP 200)."""
    data = expect_object(load_json(content), what)
    status = field(data, "status").upper()
    if status == "ERROR":
        alert = data.get("alert")
        message = field(alert, "message") if isinstance(alert, dict) else ""
        raise ParseError(
            f"LegiScan answered with an error: {without_secrets(message) or 'no message given'}"
        )
    if status not in ("", "OK"):
        raise ParseError(f"LegiScan answered with status {without_secrets(status)!r}")
    return data


def _bill_id(record: dict[str, Any], where: str) -> str:
    value = record.get("bill_id")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, str) and value.strip().isdigit():
        return str(int(value))
    raise ParseError(f"{where} has no numeric bill_id")


def hits(content: bytes) -> list[dict[str, Any]]:
    """The search hits of a getSearch or getSearchRaw answer, in LegiScan's order.

    getSearch puts its hits under numbered keys ("0", "1", ...) beside "summary";
    getSearchRaw gives a ``results`` list. ParseError for error answers and other shapes.
    """
    data = _answer(content, "a LegiScan search answer")
    result = data.get("searchresult", data if "results" in data else None)
    if result is None:
        raise ParseError("LegiScan search answer has no searchresult")
    result = expect_object(result, "the searchresult")
    if "results" in result:
        listed = expect_list(result["results"], "the searchresult results")
        return [expect_object(hit, f"search hit #{n}") for n, hit in enumerate(listed, 1)]
    numbered = sorted((int(name), hit) for name, hit in result.items() if name.isdigit())
    return [expect_object(hit, f"search hit {n}") for n, hit in numbered]


def _summary(status: str, action: str, day: str, session: str) -> str:
    head = f"{status.capitalize()}." if status else ""
    action = action.rstrip(".")
    last = f"Last action {day}: {action}." if action and day else (f"{action}." if action else "")
    return " ".join(part for part in (head, last, session) if part)


def _hit_draft(hit: dict[str, Any], where: str) -> AlertDraft:
    """A provisional draft from a search hit; its bill page completes it."""
    bill_id = _bill_id(hit, where)
    state = field(hit, "state").upper()
    number = field(hit, "bill_number")
    title = clean_title(field(hit, "title"))
    action, day = field(hit, "last_action"), field(hit, "last_action_date")
    details = {
        "state": state,
        "bill_number": number,
        "last_action": action,
        "last_action_date": day,
        "url": field(hit, "url"),
        "change_hash": field(hit, "change_hash"),
    }
    return AlertDraft(
        source=KEY,
        uid=bill_id,
        agency=AGENCY,
        # Search hits carry no status code; the bill page decides for good.
        kind="state_law" if looks_enacted(action) else "notice",
        kind_decided=True,
        title=bill_title(state, number, title) or f"LegiScan bill {bill_id}",
        url=canonical_url(field(hit, "url")),
        summary=_summary("", action, day, ""),
        published_at=day_start_utc(parse_day(day)),
        jurisdiction=jurisdiction_of(state),
        matched_terms=match_terms(f"{title} {action}"),
        details=compact(details),
        raw=hit,
    )


def parse(content: bytes) -> list[AlertDraft]:
    """Every search hit as a provisional draft (uid = bill_id).

    LegiScan's full-text search also finds bills that name kratom only deep in their text,
    and getSearchRaw hits carry no title at all, so ``matched_terms`` may still be empty
    here: the bill page (``detail``) decides whether the bill is about kratom.
    """
    return [_hit_draft(hit, f"search hit #{n}") for n, hit in enumerate(hits(content), 1)]


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _session_name(bill: dict[str, Any]) -> str:
    session = bill.get("session")
    if isinstance(session, dict):
        return field(session, "session_name") or field(session, "session_title")
    return field(bill, "session")


def _status_code(bill: dict[str, Any]) -> int:
    value = bill.get("status")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = field(bill, "status")
    return int(text) if text.isdigit() else 0


def _hearings(calendar: list[dict[str, Any]]) -> list[str]:
    """Calendar hearings as sentences the event reader understands."""
    return [
        f"Hearing scheduled on {field(entry, 'date')}."
        for entry in calendar
        if "hearing" in field(entry, "type").lower() and parse_day(field(entry, "date"))
    ]


def bill_draft(bill: dict[str, Any]) -> AlertDraft | None:
    """The complete draft for a getBill ``bill`` object; None when it is not about kratom.

    Kratom terms are looked for in the title and the description. Status 4 "Passed" with
    an enacting action (governor's signature, chapter, effective date) is ``enacted`` and
    a ``state_law``; other codes keep LegiScan's name and make a ``notice``.
    """
    bill_id = _bill_id(bill, "the bill")
    state = field(bill, "state").upper()
    number = field(bill, "bill_number")
    title = clean_title(field(bill, "title"))
    description = plain_text(field(bill, "description"))
    terms = match_terms(f"{title} {description}")
    if not terms:
        return None
    history = _objects(bill.get("history"))
    actions = [field(entry, "action") for entry in history]
    last = history[-1] if history else {}
    action, day = field(last, "action"), field(last, "date")
    code = _status_code(bill)
    enacted = code == _PASSED and any(looks_enacted(text) for text in actions)
    status = "enacted" if enacted else STATUS_NAMES.get(code, "")
    session = _session_name(bill)
    texts = [
        compact(
            {
                "date": field(text, "date"),
                "type": field(text, "type"),
                "url": field(text, "state_link") or field(text, "url"),
            }
        )
        for text in _objects(bill.get("texts"))
    ]
    details = {
        "state": state,
        "bill_number": number,
        "session": session,
        "status": status,
        "status_date": field(bill, "status_date"),
        "last_action": action,
        "last_action_date": day,
        "url": field(bill, "url"),
        "state_link": field(bill, "state_link"),
        "change_hash": field(bill, "change_hash"),
        "sponsors": len(_objects(bill.get("sponsors"))),
        "texts": texts,
        "description": description,
    }
    return AlertDraft(
        source=KEY,
        uid=bill_id,
        agency=AGENCY,
        kind="state_law" if enacted else "notice",
        kind_decided=True,
        title=bill_title(state, number, title),
        url=canonical_url(field(bill, "url") or field(bill, "state_link")),
        # The description stays out of summary and body: classification reads those, and a
        # description naming "Schedule I" would turn a state bill into a federal-style
        # scheduling alert. It is shown from ``details`` instead.
        summary=_summary(status, action, day, session),
        published_at=day_start_utc(parse_day(day) or parse_day(field(bill, "status_date"))),
        jurisdiction=jurisdiction_of(state),
        status=status or None,
        matched_terms=terms,
        events=events_of([description, *actions, *_hearings(_objects(bill.get("calendar")))]),
        details=compact(details),
        raw=bill,
    )


def parse_bill(draft: AlertDraft, content: bytes) -> AlertDraft | None:
    """The detail parser: a getBill answer completes ``draft`` (None: not about kratom).

    ParseError for error answers, a missing ``bill`` and a bill other than the draft's.
    """
    data = _answer(content, "a LegiScan getBill answer")
    bill = expect_object(data.get("bill"), "the getBill bill")
    bill_id = _bill_id(bill, "the getBill bill")
    if bill_id != draft.uid:
        raise ParseError(f"LegiScan getBill answered with bill {bill_id}, expected {draft.uid}")
    return bill_draft(bill)


def bill_url(draft: AlertDraft) -> str:
    """The getBill request for a hit, relative to the search URL (``?op=getBill&id=N``).

    Resolved against the URL the search was fetched from, it reaches
    ``https://api.legiscan.com/?op=getBill&id=N`` in production and the replay server in
    tests; it carries no key (the poller authorizes it like the search).
    """
    return f"?op=getBill&id={draft.uid}"


def bill_version(draft: AlertDraft) -> str:
    """LegiScan's change_hash: the bill page is fetched again only when it changes."""
    return str(draft.details.get("change_hash", ""))


def next_page(content: bytes, headers: Mapping[str, str], url: str) -> str | None:
    """``url`` asking for the next page while ``page_current < page_total`` (getSearch).

    Any ``key`` parameter is dropped so the poller's ``authorize`` adds exactly one.
    """
    data = load_json(content)
    result = data.get("searchresult") if isinstance(data, dict) else None
    summary = result.get("summary") if isinstance(result, dict) else None
    if not isinstance(summary, dict):
        return None
    current, total = summary.get("page_current"), summary.get("page_total")
    if isinstance(current, int) and isinstance(total, int) and 0 < current < total:
        return with_query(url, drop=("key",), put={"page": str(current + 1)})
    return None


def authorize(url: str, key: str) -> tuple[str, dict[str, str]]:
    """``url`` with the API key as the ``key`` query parameter (replacing any earlier one)."""
    return with_query(url, put={"key": key}), {}


SOURCE = Source(
    key=KEY,
    title="LegiScan state bills",
    agency=AGENCY,
    kind_hint="state_law",
    url=(
        f"{API}?op=getSearch&state=ALL&query=kratom+OR+mitragynine+OR+7-hydroxymitragynine&year=2"
    ),
    every=timedelta(hours=6),
    parse=parse,
    format="json",
    next_page=next_page,
    max_pages=10,
    covers="State (and federal) bills on kratom, mitragynine or 7-OH: bans, consumer "
    "protection acts, age limits; enacted bills become state-law alerts",
    needs_key="KM_LEGISCAN_KEY",
    authorize=authorize,
    detail=Detail(url=bill_url, parse=parse_bill, format="json", version=bill_version),
)
