"""CDC Morbidity and Mortality Weekly Report (MMWR) RSS: reports naming kratom or its alkaloids.

MMWR reports are surveillance findings, not warnings to the public, so they come in as
``notice`` (classify still makes an MMWR outbreak report an ``outbreak``). The report's
volume, issue and page range go into ``details``.

The feed URL is NOT confirmed: agency-sources.md 1.9 only says an MMWR RSS is listed on
cdc.gov/mmwr; the content-syndication id 342778 is a placeholder until checked.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from alerts.draft import AlertDraft
from alerts.text import canonical_url
from sources._rss import parse_rss
from sources.base import Source

# Placeholder id (see the module docstring).
FEED_URL = "https://tools.cdc.gov/api/v2/resources/media/342778.rss"

# /mmwr/volumes/68/wr/mm6814a2.htm: volume 68, weekly report, issue 14, article 2.
_REPORT = re.compile(
    r"/mmwr/volumes/(?P<volume>\d+)/(?P<series>wr|ss|rr|su)/"
    r"(?P<id>(?:mm|ss|rr|su)\d{2}(?P<issue>\d{2})a(?P<article>\d+))\.html?$",
    re.I,
)
_SERIES = {
    "wr": "weekly",
    "ss": "surveillance summary",
    "rr": "recommendations and reports",
    "su": "supplement",
}
# "68(14):326–327" as MMWR cites itself.
_PAGES = re.compile(r"\b(?P<volume>\d{1,3})\((?P<issue>\d{1,2})\):\s*(?P<pages>\d+\s*[-–]\s*\d+)")
# Campaign parameters CDC appends to feed links (s_cid=mm6814a2_w); not part of the page.
_TRACKING = ("s_cid", "utm_")


def page_url(link: str) -> str:
    """The report's canonical URL without the campaign parameters feed links carry."""
    parts = urlsplit(canonical_url(link))
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not name.lower().startswith(_TRACKING)
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def report_details(url: str, text: str) -> dict[str, Any]:
    """Volume, issue, series, report id and pages of an MMWR report, as far as known."""
    details: dict[str, Any] = {}
    match = _REPORT.search(urlsplit(url).path)
    if match:
        details.update(
            report=match.group("id").lower(),
            volume=int(match.group("volume")),
            issue=int(match.group("issue")),
            series=_SERIES[match.group("series").lower()],
        )
    cited = _PAGES.search(text)
    if cited:
        details["pages"] = re.sub(r"\s*[-–]\s*", "–", cited.group("pages"))
        details.setdefault("volume", int(cited.group("volume")))
        details.setdefault("issue", int(cited.group("issue")))
    return details


def parse(content: bytes) -> list[AlertDraft]:
    """Kratom reports of the feed as drafts, keyed on the report URL (tracking removed).

    Other reports are skipped; malformed or entity-declaring feeds raise ParseError.
    """
    drafts: dict[str, AlertDraft] = {}
    for draft in parse_rss(content, source=SOURCE.key, agency="CDC", kind_hint="notice"):
        url = page_url(str(draft.raw.get("link") or "")) or draft.uid
        details = report_details(url, f"{draft.title} {draft.summary}")
        drafts.setdefault(url, replace(draft, uid=url, url=url, details=details))
    return list(drafts.values())


SOURCE = Source(
    key="cdc_mmwr",
    title="CDC MMWR reports (RSS)",
    agency="CDC",
    kind_hint="notice",
    url=FEED_URL,
    every=timedelta(hours=12),
    parse=parse,
    format="xml",
    covers=(
        "CDC MMWR surveillance reports naming kratom or its alkaloids "
        "(e.g. the 2019 report on overdose deaths with kratom detected)"
    ),
)
