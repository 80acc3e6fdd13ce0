"""Health Canada Recalls and Safety Alerts open data (whole-file JSON); kratom records only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from alerts.draft import AlertDraft, Product
from alerts.text import canonical_url, clean_title, day_start_utc, parse_day, plain_text
from alerts.vocabulary import match_terms
from sources._json import expect_list, expect_object, field, load_json
from sources._openfda import recall_class
from sources.base import Source

_ARCHIVED = {
    "yes": True,
    "1": True,
    "true": True,
    "no": False,
    "0": False,
    "false": False,
    "": False,
}


def _type_class(value: str) -> str | None:
    """ "Type II" (Health Canada's wording) -> "II"."""
    return recall_class(value.replace("Type", "Class")) if value else None


def _draft(record: dict[str, Any]) -> AlertDraft | None:
    title = clean_title(field(record, "Title"))
    product = clean_title(field(record, "Product"))
    issue = plain_text(field(record, "Issue"))
    advice = clean_title(field(record, "What you should do"))
    terms = match_terms(f"{title} {product} {issue} {advice}")
    if not terms:
        return None
    nid = field(record, "NID")
    url = canonical_url(field(record, "URL").replace("\\/", "/"))
    archived = _ARCHIVED.get(field(record, "Archived").lower(), False)
    klass = _type_class(field(record, "Recall class"))
    summary = " ".join(filter(None, (f"{issue}." if issue else "", advice)))
    return AlertDraft(
        source=SOURCE.key,
        uid=nid or url,
        agency=field(record, "Organization") or "Health Canada",
        kind="recall" if klass else "advisory",
        title=title,
        url=url,
        summary=summary,
        published_at=day_start_utc(parse_day(field(record, "Last updated"))),
        jurisdiction="CA",
        products=[Product(name=product)] if product else [],
        recall_class=klass,
        status="archived" if archived else "active",
        matched_terms=terms,
        body=f"{field(record, 'Category')} {product}",
        raw=record,
    )


def parse(content: bytes) -> list[AlertDraft]:
    """Kratom notices among all records of the open-data file."""
    data = load_json(content)
    if isinstance(data, dict):  # some mirrors wrap the array
        data = next((v for v in data.values() if isinstance(v, list)), data)
    drafts = []
    for record in expect_list(data, "Health Canada records"):
        draft = _draft(expect_object(record, "a Health Canada record"))
        if draft is not None:
            drafts.append(draft)
    return drafts


SOURCE = Source(
    key="health_canada_recalls",
    covers="Health Canada recalls, advisories and seizures of unauthorized kratom products",
    title="Health Canada recalls and safety alerts (open data)",
    agency="Health Canada",
    kind_hint="advisory",
    url=(
        "https://recalls-rappels.canada.ca/sites/default/files/"
        "opendata-donneesouvertes/HCRSAMOpenData.json"
    ),
    every=timedelta(hours=12),
    parse=parse,
    format="json",
    # The full file is about 16 MB and growing.
    max_bytes=64 * 1024 * 1024,
)
