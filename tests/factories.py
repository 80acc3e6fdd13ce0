"""Builders for test data: small RSS and openFDA payloads and drafts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from alerts.draft import AlertDraft


def rss(*items: tuple[str, str, str, str]) -> bytes:
    """An FDA-style RSS 2.0 feed from (title, link, description, pubDate) tuples."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0" xml:base="http://www.fda.gov/">'
        "<channel><title>Test feed</title><link>http://www.fda.gov/</link><description/>"
    ]
    for title, link, description, published in items:
        parts.append(
            f"<item><title>{title}</title><link>{link}</link><description>{description}</description>"
            f"<pubDate>{published}</pubDate><dc:creator>FDA</dc:creator>"
            f'<guid isPermaLink="true">{link}</guid></item>'
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def kratom_item(n: int = 1, firm: str = "Leafline Botanicals") -> tuple[str, str, str, str]:
    return (
        f"{firm} Recalls Kratom Powder Lot {n} Because of Possible Salmonella Contamination",
        f"http://www.fda.gov/safety/recalls/leafline-kratom-{n}",
        f"{firm} is recalling kratom powder lot {n} as it may be contaminated with Salmonella.",
        "Wed, 12 Mar 2025 09:15:00 EDT",
    )


def other_item(n: int = 1) -> tuple[str, str, str, str]:
    return (
        f"Orchard Farm Recalls Apple Slices Batch {n}",
        f"http://www.fda.gov/safety/recalls/orchard-apples-{n}",
        "Orchard Farm is recalling sliced apples because of possible Listeria contamination.",
        "Tue, 11 Mar 2025 00:00:00 EDT",
    )


def enforcement_record(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "recall_number": "F-0101-2025",
        "event_id": "90001",
        "status": "Ongoing",
        "classification": "Class I",
        "product_type": "Food",
        "recalling_firm": "Leafline Botanicals, LLC",
        "city": "Austin",
        "state": "TX",
        "country": "United States",
        "address_1": "1 Test Way",
        "address_2": "N/A",
        "reason_for_recall": "Kratom powder may be contaminated with Salmonella.",
        "product_description": "Leafline  Red Vein\tKratom Powder, 250 g pouch, UPC 850001234567",
        "code_info": "Lot LB-2203, Lot LB-2204; exp 2026",
        "more_code_info": "",
        "distribution_pattern": "Texas, Oklahoma and online sales nationwide",
        "product_quantity": "1,200 pouches",
        "voluntary_mandated": "Voluntary: Firm initiated",
        "initial_firm_notification": "E-Mail",
        "recall_initiation_date": "20250310",
        "center_classification_date": "20250402",
        "report_date": "20250409",
        "termination_date": "",
        "openfda": {},
    }
    record.update(overrides)
    return record


def openfda(*records: dict[str, Any], skip: int = 0, total: int | None = None) -> bytes:
    return json.dumps(
        {
            "meta": {
                "disclaimer": "test",
                "last_updated": "2025-04-10",
                "results": {"skip": skip, "limit": len(records), "total": total or len(records)},
            },
            "results": list(records),
        }
    ).encode()


def draft(**overrides: Any) -> AlertDraft:
    base: dict[str, Any] = {
        "source": "fda_recalls",
        "uid": "https://www.fda.gov/recall/1",
        "agency": "FDA",
        "kind": "recall",
        "title": "Leafline Botanicals Recalls Kratom Powder",
        "url": "https://www.fda.gov/recall/1",
        "summary": "Possible Salmonella.",
        "published_at": datetime(2025, 3, 12, 13, 15, tzinfo=UTC),
        "firms": ["Leafline Botanicals"],
        "hazards": ["salmonella"],
        "severity": "high",
        "matched_terms": ["kratom"],
        "raw": {"title": "Leafline Botanicals Recalls Kratom Powder"},
    }
    base.update(overrides)
    return AlertDraft(**base)
