"""FTC consumer-protection press releases (RSS): kratom items only.

The FTC co-signs FDA warning letters to kratom sellers (2022); a release about such
letters comes out of ``alerts.classify`` as ``ftc_joint`` (its title rule pairs "FTC"
with "warning letters"). Other kratom releases (settlements, consumer alerts) stay
``advisory``.

ftc.gov is a Drupal site: item guids look like "<node id> at https://www.ftc.gov" (believed,
not confirmed), which is no URL, so alerts are keyed on the release's link instead.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from alerts.draft import AlertDraft
from alerts.text import canonical_url
from sources._rss import parse_rss
from sources.base import Source


def parse(content: bytes) -> list[AlertDraft]:
    """Kratom releases of the feed as drafts keyed on their page URL.

    Other releases are skipped; malformed or entity-declaring feeds raise ParseError.
    """
    drafts: dict[str, AlertDraft] = {}
    for draft in parse_rss(content, source=SOURCE.key, agency="FTC", kind_hint="advisory"):
        url = canonical_url(str(draft.raw.get("link") or "")) or draft.uid
        drafts.setdefault(url, replace(draft, uid=url, url=url))
    return list(drafts.values())


SOURCE = Source(
    key="ftc_press_releases",
    title="FTC consumer-protection press releases (RSS)",
    agency="FTC",
    kind_hint="advisory",
    url="https://www.ftc.gov/feeds/press-release-consumer-protection.xml",
    every=timedelta(hours=6),
    parse=parse,
    format="xml",
    covers=(
        "FTC consumer-protection releases naming kratom, such as joint FDA-FTC warning "
        "letters over opioid-addiction claims"
    ),
)
