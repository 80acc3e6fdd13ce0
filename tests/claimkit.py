"""Builders for claim-annotation tests: stored alerts and small vendor articles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from alerts import store
from alerts.models import Alert
from tests.factories import draft

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# A made-up vendor's page: one claim per topic the tests link, plus chrome and a disclaimer.
VENDOR_PAGE = """<!doctype html>
<html><head><title>Our Customers Speak | Leafline Botanicals</title>
<meta property="og:site_name" content="Leafline Botanicals"></head>
<body><nav>Shop · Strains · Cart</nav>
<article>
<h1>Our Customers Speak</h1>
<p>Kratom helped me quit oxycodone after years of struggle.</p>
<p>Our Maeng Da capsules melt away back pain and anxiety.</p>
<p>Kratom is totally safe and you cannot overdose on it.</p>
<p>Shipping is free on orders over fifty dollars.</p>
</article>
<footer>&copy; 2026 Leafline Botanicals LLC</footer>
</body></html>"""


def add_alert(
    engine: Engine,
    n: int,
    *,
    kind: str,
    title: str,
    on: str,
    summary: str = "",
    firms: list[str] | None = None,
    agency: str = "FDA",
    source: str = "fda_press_releases",
    now: datetime = NOW,
    **extra: Any,
) -> int:
    """Store one alert (published on ``on``, YYYY-MM-DD) and return its id."""
    published = datetime.fromisoformat(on).replace(hour=12, tzinfo=UTC)
    with Session(engine) as session:
        result = store.upsert(
            session,
            [
                draft(
                    source=source, uid=f"https://www.fda.gov/test/{n}", agency=agency, kind=kind,
                    title=title, url=f"https://www.fda.gov/test/{n}", summary=summary,
                    published_at=published, firms=firms or [], hazards=[], **extra,
                )
            ],
            now=now,
        )  # fmt: skip
        store.mark_changed(session, now=now)
        session.commit()
        alert: Alert = result.new[0]
        return int(alert.id or 0)
