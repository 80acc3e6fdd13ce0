"""Alert exports: every row and column, safe CSV cells, JSON that round-trips."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from alerts import exports, filters, store
from alerts.draft import Product
from alerts.filters import AlertFilter
from tests.factories import draft

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _stored(engine: Engine) -> None:
    with Session(engine) as session:
        store.upsert(
            session,
            [
                draft(title='=HYPERLINK("http://evil.example","click")', firms=["-Acme, Inc."],
                      products=[Product("Red vein, 1 oz", lots=["A1"])], regions=["US-TX"]),
                draft(uid="b", url="https://www.fda.gov/b", title="Plain title\nwith a newline",
                      kind="advisory"),
            ],
            now=NOW,
        )  # fmt: skip
        session.commit()


def test_csv_has_a_row_per_alert_and_defuses_formulas(engine: Engine) -> None:
    _stored(engine)
    with Session(engine) as session:
        text = exports.to_csv(filters.select_alerts(session, AlertFilter(), limit=100))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(exports.COLUMNS) and len(rows) == 2
    by_kind = {row["kind"]: row for row in rows}
    recall = by_kind["recall"]
    assert recall["title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert recall["firms"] == "'-Acme, Inc." and recall["products"] == "Red vein, 1 oz"
    assert recall["regions"] == "US-TX" and recall["severity"] == "high"
    assert by_kind["advisory"]["title"] == "Plain title\nwith a newline"  # quoted, kept whole


def test_json_export_keeps_every_fact_and_the_query(engine: Engine) -> None:
    _stored(engine)
    with Session(engine) as session:
        found = filters.select_alerts(session, AlertFilter(kinds=("recall",)), limit=100)
        text = exports.to_json(found, query="kind=recall", exported_at=NOW.isoformat())
    document = json.loads(text)
    assert document["query"] == "kind=recall" and document["count"] == 1
    alert = document["alerts"][0]
    assert alert["title"].startswith("=HYPERLINK")  # JSON needs no defusing
    assert alert["products"] == [{"name": "Red vein, 1 oz", "lots": ["A1"], "upcs": []}]
