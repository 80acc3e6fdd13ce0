"""FDA Import Alert 54-15 (kratom): its published date and its red list, kept as data.

``records`` reads the accessdata page into one record per red-listed firm and one for the
page itself (``_red_list``). ``derive`` makes the alerts (``_red_list_changes``): the import
alert (revised whenever FDA gives it a new published date) and one alert per firm added to
or removed from the red list. Firms already listed when the monitor first reads the page
are the baseline, named in the import alert's details rather than announced one by one,
unless the page dates them within 30 days of that first reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from alerts.draft import AlertDraft
from sources._html_page import decode_html
from sources._red_list import ALERT_NUMBER, PAGE_UID, firm_uid, records
from sources._red_list_changes import red_list_drafts
from sources.base import Kept, Source

__all__ = [
    "ALERT_NUMBER", "PAGE_UID", "SOURCE", "decode_html", "derive", "firm_uid", "parse", "records",
]  # fmt: skip


def parse(content: bytes) -> list[AlertDraft]:
    """No drafts from the page alone: ``records`` and ``derive`` make them."""
    return []


def derive(kept: Sequence[Kept], now: datetime) -> list[AlertDraft]:
    """The import alert, plus one alert per red-list firm added and per firm removed.

    Drafts depend on the kept records alone, not on ``now``: see
    ``_red_list_changes.red_list_drafts``.
    """
    return red_list_drafts(kept, source=SOURCE.key, url=SOURCE.url)


SOURCE = Source(
    key="fda_import_alert_54_15",
    title="FDA Import Alert 54-15 (kratom red list)",
    agency="FDA",
    kind_hint="import_alert",
    # The pattern of accessdata import-alert pages is known, 54-15's page id is not (see
    # agency-sources.md 1.4): 1108 is a plausible guess. Set the real URL in the source's
    # configuration once known.
    url="https://www.accessdata.fda.gov/cms_ia/importalert_1108.html",
    every=timedelta(days=1),
    parse=parse,
    format="html",
    max_bytes=4 * 1024 * 1024,
    covers=(
        "FDA's import alert on kratom: its published date and the firms on its red list, "
        "with an alert for each firm added or removed"
    ),
    records=records,
    derive=derive,
    headers={
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "Accept-Language": "en-US,en;q=0.9",
    },
)
