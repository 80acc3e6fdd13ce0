"""FDA press releases: advisories, seizures, warning letters, scheduling; kratom items only."""

from __future__ import annotations

from datetime import timedelta

from alerts.draft import AlertDraft
from sources._rss import parse_rss
from sources.base import Source


def parse(content: bytes) -> list[AlertDraft]:
    """Kratom items of the feed as drafts; the feed holds only its latest ~20 items."""
    return parse_rss(content, source=SOURCE.key, agency="FDA", kind_hint="advisory")


SOURCE = Source(
    key="fda_press_releases",
    covers=(
        "FDA press announcements: kratom advisories, seizures, warning-letter rounds, 7-OH "
        "scheduling"
    ),
    title="FDA press releases (RSS)",
    agency="FDA",
    kind_hint="advisory",
    url="https://www.fda.gov/about-fda/contact-fda/stay-informed/rss-feeds/press-releases/rss.xml",
    every=timedelta(minutes=60),
    parse=parse,
    format="xml",
)
