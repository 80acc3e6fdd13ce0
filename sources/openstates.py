"""Open States API v3: state bills naming kratom, by full-text search.

``GET /bills?q=kratom&include=actions&include=sources`` pages through bills (20 a page,
newest update first). Each bill whose title, abstracts or latest action names a kratom
term is a draft keyed by its ``ocd-bill/...`` id. A bill with an action classified
``became-law`` or ``executive-signature`` is a ``state_law``; any other is a ``notice``,
so the same uid turns from notice into state_law when it is enacted.

Polls after the first ask only for bills updated since the last successful poll (less a
day, for clock skew and late indexing): the default key allows 250 requests a day.
The key travels in the ``X-API-KEY`` header, never in a URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from alerts.draft import AlertDraft
from alerts.text import as_utc, canonical_url, clean_title, day_start_utc, parse_day, plain_text
from alerts.vocabulary import match_terms
from sources._bills import (
    bill_title,
    compact,
    events_of,
    jurisdiction_of,
    looks_enacted,
    with_query,
)
from sources._json import expect_object, field, load_json
from sources.base import ParseError, Source

KEY = "openstates"
AGENCY = "Open States (state legislatures)"
API = "https://v3.openstates.org/bills"
SAFETY_MARGIN = timedelta(days=1)

# ocd-jurisdiction/country:us/state:ut/government -> UT (also district:dc, territory:pr)
_STATE_IN_ID = re.compile(r"/(?:state|district|territory):([a-z]{2})(?:/|$)")
_ENACTING = frozenset({"became-law", "executive-signature"})
# Action classification -> the status it gives the bill (later actions win).
_STATUS_OF = {
    "introduction": "introduced",
    "filing": "introduced",
    "executive-receipt": "enrolled",
    "executive-veto": "vetoed",
    "veto-override-passage": "passed",
    "failure": "failed",
    "withdrawal": "failed",
}


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _labels(action: dict[str, Any]) -> set[str]:
    value = action.get("classification")
    return {str(label) for label in value} if isinstance(value, list) else set()


def _action_order(action: dict[str, Any]) -> tuple[str, int]:
    order = action.get("order")
    return field(action, "date")[:10], order if isinstance(order, int) else 0


def state_of(jurisdiction: Any) -> str:
    """The two-letter code in a jurisdiction's ocd id; "" for the country or no id."""
    if not isinstance(jurisdiction, dict):
        return ""
    match = _STATE_IN_ID.search(field(jurisdiction, "id"))
    return match.group(1).upper() if match else ""


def status_of(bill: dict[str, Any], actions: list[dict[str, Any]]) -> tuple[str, str]:
    """(status, the date it was reached) from the classified actions, in order.

    Signature or becoming law is final (``enacted``). One passage makes a bill
    ``engrossed``, two ``passed``. A bill fetched without actions is judged from its
    latest action text and ``latest_passage_date``.
    """
    if not actions:
        latest = field(bill, "latest_action_description")
        day = field(bill, "latest_action_date")[:10]
        if looks_enacted(latest):
            return "enacted", day
        if field(bill, "latest_passage_date"):
            return "passed", field(bill, "latest_passage_date")[:10]
        return "introduced", field(bill, "first_action_date")[:10] or day
    status, since, passages = "introduced", field(actions[0], "date")[:10], 0
    for action in actions:
        labels, day = _labels(action), field(action, "date")[:10]
        if labels & _ENACTING:
            return "enacted", day
        if "passage" in labels:
            passages += 1
            status, since = ("engrossed" if passages == 1 else "passed"), day
        for label in sorted(labels & _STATUS_OF.keys()):
            if not (label in ("introduction", "filing") and status != "introduced"):
                status, since = _STATUS_OF[label], day
    return status, since


def _draft(bill: dict[str, Any], where: str) -> AlertDraft | None:
    bill_id = field(bill, "id")
    if not bill_id.startswith("ocd-bill/"):
        raise ParseError(f"{where} has no ocd-bill id")
    title = clean_title(field(bill, "title"))
    abstracts = " ".join(plain_text(field(a, "abstract")) for a in _objects(bill.get("abstracts")))
    latest = field(bill, "latest_action_description")
    terms = match_terms(f"{title} {abstracts} {latest}")
    if not terms:
        return None
    # Actions come in order; sorting by (date, order) guards against a shuffled list.
    actions = sorted(_objects(bill.get("actions")), key=_action_order)
    status, status_date = status_of(bill, actions)
    state = state_of(bill.get("jurisdiction"))
    number = field(bill, "identifier")
    session = field(bill, "session")
    day = field(bill, "latest_action_date")[:10]
    links = [field(s, "url") for s in _objects(bill.get("sources")) if field(s, "url")]
    details = {
        "state": state,
        "bill_number": number,
        "session": session,
        "status": status,
        "status_date": status_date,
        "last_action": latest,
        "last_action_date": day,
        "url": field(bill, "openstates_url"),
        "state_link": links[0] if links else "",
        "updated_at": field(bill, "updated_at"),
    }
    summary = " ".join(
        part
        for part in (
            f"{status.capitalize()}.",
            f"Last action {day}: {latest.rstrip('.')}." if latest and day else "",
            f"Session {session}." if session else "",
        )
        if part
    )
    return AlertDraft(
        source=KEY,
        uid=bill_id,
        agency=AGENCY,
        kind="state_law" if status == "enacted" else "notice",
        kind_decided=True,
        title=bill_title(state, number, title),
        url=canonical_url(field(bill, "openstates_url") or (links[0] if links else "")),
        # Abstracts stay out of summary and body (see legiscan.bill_draft): classification
        # reads those, and "Schedule I" in an abstract would make a scheduling alert.
        summary=summary,
        published_at=day_start_utc(parse_day(day)),
        jurisdiction=jurisdiction_of(state),
        status=status,
        matched_terms=terms,
        events=events_of([abstracts, *(field(a, "description") for a in actions)]),
        details=compact(details),
        raw=bill,
    )


def parse(content: bytes) -> list[AlertDraft]:
    """The kratom bills of one ``/bills`` page (uid = ocd-bill id).

    ParseError when the page is not an object with a ``results`` list of bill objects
    each carrying an ``ocd-bill/`` id. Bills whose title, abstracts and latest action
    name no kratom term are skipped (the full-text search also finds passing mentions).
    """
    data = expect_object(load_json(content), "an Open States bills page")
    results = data.get("results")
    if not isinstance(results, list):
        raise ParseError("Open States bills page has no results list")
    drafts: list[AlertDraft] = []
    for n, bill in enumerate(results, 1):
        draft = _draft(expect_object(bill, f"Open States bill #{n}"), f"Open States bill #{n}")
        if draft is not None:
            drafts.append(draft)
    return drafts


def next_page(content: bytes, headers: Mapping[str, str], url: str) -> str | None:
    """``url`` for the next page while ``pagination.page < pagination.max_page``.

    Any ``apikey`` parameter is dropped: the key belongs in the header.
    """
    data = load_json(content)
    pagination = data.get("pagination") if isinstance(data, dict) else None
    if not isinstance(pagination, dict):
        return None
    page, last = pagination.get("page"), pagination.get("max_page")
    if isinstance(page, int) and isinstance(last, int) and 0 < page < last:
        return with_query(url, drop=("apikey",), put={"page": str(page + 1)})
    return None


def since_url(url: str, last_success: datetime | None) -> str:
    """``url`` limited to bills updated since the last successful poll, less a day.

    Without a successful poll yet the URL is returned unchanged (a full search). The
    time is given in UTC as ``YYYY-MM-DDTHH:MM:SS``.
    """
    moment = as_utc(last_success)
    if moment is None:
        return url
    since = (moment - SAFETY_MARGIN).strftime("%Y-%m-%dT%H:%M:%S")
    return with_query(url, put={"updated_since": since})


def authorize(url: str, key: str) -> tuple[str, dict[str, str]]:
    """The key as the ``X-API-KEY`` header; any ``apikey`` parameter is removed."""
    return with_query(url, drop=("apikey",)), {"X-API-KEY": key}


SOURCE = Source(
    key=KEY,
    title="Open States state bills",
    agency=AGENCY,
    kind_hint="state_law",
    url=f"{API}?q=kratom&include=actions&include=sources&per_page=20&sort=updated_desc",
    every=timedelta(hours=6),
    parse=parse,
    format="json",
    next_page=next_page,
    # 250 requests a day on the default key: 4 polls of at most 5 pages each.
    max_pages=5,
    covers="State bills naming kratom (Open States full-text search): bans, consumer "
    "protection acts, 7-OH bills; enacted bills become state-law alerts",
    needs_key="KM_OPENSTATES_KEY",
    authorize=authorize,
    since_url=since_url,
)
