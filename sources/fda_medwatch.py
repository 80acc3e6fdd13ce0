"""MedWatch safety alerts for health professionals and consumers; kratom items only."""

from __future__ import annotations

from datetime import timedelta

from alerts.draft import AlertDraft
from sources._rss import parse_rss
from sources.base import Source


def parse(content: bytes) -> list[AlertDraft]:
    """Kratom items of the feed as drafts; the feed holds only its latest ~20 items."""
    return parse_rss(content, source=SOURCE.key, agency="FDA", kind_hint="advisory")


SOURCE = Source(
    key="fda_medwatch",
    covers="MedWatch safety alerts for health professionals (such as the 7-OH letter)",
    title="FDA MedWatch safety alerts (RSS)",
    agency="FDA",
    kind_hint="advisory",
    url="https://www.fda.gov/about-fda/contact-fda/stay-informed/rss-feeds/medwatch/rss.xml",
    every=timedelta(minutes=60),
    parse=parse,
    format="xml",
)
