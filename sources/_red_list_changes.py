"""The alerts of Import Alert 54-15, derived from its kept records.

The import alert itself is revised whenever FDA gives it a new published date; each firm
added to or removed from the red list gets an alert of its own. Firms already listed when
the monitor first reads the page are the baseline, named in the import alert's details
rather than announced one by one, unless the page dates them within 30 days of that first
reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from alerts.draft import AlertDraft, Product
from alerts.text import as_utc, day_start_utc
from alerts.vocabulary import match_terms
from sources._html_page import long_day
from sources._red_list import ALERT_NUMBER, PAGE_UID
from sources.base import Kept

# Records of one poll share its clock reading (stored to the microsecond), so a firm added by
# the very next poll, however soon, is news, not baseline.
BASELINE_WINDOW = timedelta(0)
# A baseline firm the page dates this close to the first reading is announced after all.
RECENT = timedelta(days=30)


def _text(data: dict[str, Any] | None, key: str) -> str:
    value = (data or {}).get(key)
    return str(value) if value is not None else ""


def _day_of(data: dict[str, Any] | None, key: str) -> date | None:
    try:
        return date.fromisoformat(_text(data, key))
    except ValueError:
        return None


def _when(day: date | None) -> str:
    return long_day(day) if day else "an unknown date"


def _utc(moment: datetime) -> datetime:
    converted = as_utc(moment)
    assert converted is not None
    return converted


def _entry(firm: Kept) -> dict[str, str]:
    return {
        "firm": _text(firm.data, "firm"),
        "country": _text(firm.data, "country"),
        "date_added": _text(firm.data, "date_added"),
        "last_revised": _text(firm.data, "last_revised"),
    }


def _alert_draft(page: Kept, listed: list[Kept], *, source: str, url: str) -> AlertDraft:
    published = _day_of(page.data, "published_on")
    previous = _day_of(page.previous, "published_on")
    count = page.data.get("red_list_count")
    count = count if isinstance(count, int) else len(listed)
    entries = sorted((_entry(f) for f in listed), key=lambda e: (e["country"], e["firm"]))
    per_country: dict[str, int] = {}
    for entry in entries:
        per_country[entry["country"] or "country not given"] = (
            per_country.get(entry["country"] or "country not given", 0) + 1
        )
    countries = ", ".join(f"{name} {n}" for name, n in per_country.items())
    name = _text(page.data, "alert_name")
    summary = (
        f"FDA's import alert on kratom lets its districts hold dietary supplements and bulk "
        f"dietary ingredients that are or contain kratom, from firms on its red list, "
        f"without examining them first. Published date: {_when(published)}. "
        f"The red list names {count} firm{'s' if count != 1 else ''}"
        + (f" ({countries})." if countries else ".")
    )
    details: dict[str, Any] = {
        "alert_number": ALERT_NUMBER,
        "published_on": published.isoformat() if published else None,
        "red_list_count": count,
        "red_list": entries,
    }
    if previous and previous != published:
        summary += f" Previous published date: {long_day(previous)}."
        details["previous_published_on"] = previous.isoformat()
    title = f"Import Alert 54-15 (kratom) published {_when(published)}"
    return AlertDraft(
        source=source,
        uid=ALERT_NUMBER,
        agency="FDA",
        kind="import_alert",
        kind_decided=True,
        title=title,
        url=url,
        summary=summary,
        published_at=day_start_utc(published) or _utc(page.changed_at),
        jurisdiction="US",
        firms=[entry["firm"] for entry in entries],
        matched_terms=match_terms(f"{title} {name} {summary}"),
        details=details,
        body=f"{name} {_text(page.data, 'reason')}",
        raw=dict(page.data),
    )


def _firm_facts(firm: Kept) -> tuple[str, str, str, str]:
    return (
        _text(firm.data, "firm"),
        _text(firm.data, "country"),
        _text(firm.data, "address"),
        _text(firm.data, "products"),
    )


def _added_draft(firm: Kept, *, source: str, url: str) -> AlertDraft:
    name, country, address, products = _firm_facts(firm)
    added = _day_of(firm.data, "date_added")
    where = ", ".join(part for part in (address, country) if part)
    title = f"Import Alert 54-15: {name} ({country or 'country not given'}) added to the red list"
    summary = (
        f"FDA put {name}{f' ({where})' if where else ''} on the red list of its import alert "
        f"on kratom: the firm's kratom dietary supplements and bulk ingredients may now be "
        f"held at entry without examination. Listed on {_when(added)}."
        + (f" Products named: {products}." if products else "")
    )
    return AlertDraft(
        source=source,
        uid=f"added:{firm.uid}",
        agency="FDA",
        kind="import_alert",
        kind_decided=True,
        title=title,
        url=url,
        summary=summary,
        published_at=day_start_utc(added) or _utc(firm.first_seen_at),
        jurisdiction="US",
        firms=[name],
        products=[Product(name=products)] if products else [],
        matched_terms=match_terms(f"{title} {summary} kratom"),
        details={
            "alert_number": ALERT_NUMBER,
            "change": "added",
            "firm": name,
            "country": country,
            "address": address,
            "products": products,
            "date_added": _text(firm.data, "date_added") or None,
            "last_revised": _text(firm.data, "last_revised") or None,
        },
        raw=dict(firm.data),
    )


def _removed_draft(firm: Kept, gone_at: datetime, *, source: str, url: str) -> AlertDraft:
    name, country, address, products = _firm_facts(firm)
    gone = _utc(gone_at)
    added = _day_of(firm.data, "date_added")
    title = (
        f"Import Alert 54-15: {name} ({country or 'country not given'}) removed from the red list"
    )
    summary = (
        f"{name}{f' ({country})' if country else ''} is no longer on the red list of FDA's "
        f"import alert on kratom (seen gone on {long_day(gone.date())}); its shipments are no "
        f"longer held under this alert without examination."
        + (f" It had been listed since {long_day(added)}." if added else "")
    )
    return AlertDraft(
        source=source,
        uid=f"removed:{firm.uid}:{gone.date().isoformat()}",
        agency="FDA",
        kind="import_alert",
        kind_decided=True,
        title=title,
        url=url,
        summary=summary,
        published_at=gone,
        jurisdiction="US",
        firms=[name],
        products=[Product(name=products)] if products else [],
        matched_terms=match_terms(f"{title} {summary} kratom"),
        details={
            "alert_number": ALERT_NUMBER,
            "change": "removed",
            "firm": name,
            "country": country,
            "address": address,
            "removed_on": gone.date().isoformat(),
            "date_added": _text(firm.data, "date_added") or None,
        },
        raw=dict(firm.data),
    )


def _is_baseline(firm: Kept, page: Kept) -> bool:
    """Listed when the monitor first read the page, and not dated recently by the page."""
    first_reading = _utc(page.first_seen_at)
    if _utc(firm.first_seen_at) > first_reading + BASELINE_WINDOW:
        return False
    added = _day_of(firm.data, "date_added")
    return added is None or added < (first_reading - RECENT).date()


def red_list_drafts(kept: Sequence[Kept], *, source: str, url: str) -> list[AlertDraft]:
    """The import alert, plus one alert per red-list firm added and per firm removed.

    ``kept`` holds every stored record of the source (the "page" record and the firms);
    ``source`` and ``url`` are the source's key and page address, which every draft
    carries. Without the page record nothing has been read yet and there are no drafts.
    Uids are stable: "54-15" for the alert, ``added:<firm uid>``, ``removed:<firm
    uid>:<YYYY-MM-DD of gone_at>``; the same kept records give the same drafts on every
    call. Baseline firms (see ``_is_baseline``) are named in the alert's ``red_list``
    detail only. Whether a firm is recent is judged against the first reading of the
    page, not the time of the call, so re-polls a month later return the same drafts.
    """
    page = next((k for k in kept if k.uid == PAGE_UID), None)
    if page is None:
        return []
    firms = sorted((k for k in kept if k.uid != PAGE_UID), key=lambda k: k.uid)
    listed = [f for f in firms if f.gone_at is None]
    drafts = [_alert_draft(page, listed, source=source, url=url)]
    for firm in firms:
        if not _is_baseline(firm, page):
            drafts.append(_added_draft(firm, source=source, url=url))
        if firm.gone_at is not None:
            drafts.append(_removed_draft(firm, firm.gone_at, source=source, url=url))
    return drafts
