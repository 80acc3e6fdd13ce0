"""openFDA drug enforcement reports: classified drug recalls naming kratom."""

from __future__ import annotations

from datetime import timedelta

from alerts.draft import AlertDraft
from sources import _openfda
from sources.base import Source

ENDPOINT = "https://api.fda.gov/drug/enforcement.json"


def parse(content: bytes) -> list[AlertDraft]:
    """Enforcement records as drafts (one per recall number)."""
    return _openfda.parse_enforcement(content, source=SOURCE.key, endpoint=ENDPOINT)


SOURCE = Source(
    key="openfda_drug_enforcement",
    covers="Classified drug recall records naming kratom or its alkaloids",
    title="openFDA drug enforcement reports",
    agency="FDA",
    kind_hint="recall",
    url=f"{ENDPOINT}?{_openfda.KRATOM_SEARCH}&sort=report_date:desc&limit={_openfda.PAGE_SIZE}",
    every=timedelta(hours=6),
    parse=parse,
    format="json",
    next_page=_openfda.next_page,
    empty_response=_openfda.is_no_match,
    backfill_urls=_openfda.backfill_urls,
)
