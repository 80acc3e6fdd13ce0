"""Firm press releases about food and supplement recalls; kratom items only."""

from __future__ import annotations

from datetime import timedelta

from alerts.draft import AlertDraft
from sources._rss import parse_rss
from sources.base import Source


def parse(content: bytes) -> list[AlertDraft]:
    """Kratom items of the feed as drafts; the feed holds only its latest ~20 items."""
    return parse_rss(content, source=SOURCE.key, agency="FDA", kind_hint="recall")


SOURCE = Source(
    key="fda_food_safety_recalls",
    covers="Firm recall announcements for foods and dietary supplements; kratom items only",
    title="FDA Food Safety Recalls (RSS)",
    agency="FDA",
    kind_hint="recall",
    url="https://www.fda.gov/about-fda/contact-fda/stay-informed/rss-feeds/food-safety-recalls/rss.xml",
    every=timedelta(minutes=30),
    parse=parse,
    format="xml",
)
