"""Dedup, revisions and queries, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from alerts import store
from alerts.models import Alert, AlertRevision
from tests.factories import draft

NOW = datetime(2025, 4, 1, 12, 0, tzinfo=UTC)


def test_new_draft_becomes_alert_with_first_revision(engine: Engine) -> None:
    with Session(engine) as session:
        result = store.upsert(session, [draft()], now=NOW)
        session.commit()
        assert len(result.new) == 1
        alert = session.exec(select(Alert)).one()
        revisions = store.revisions_of(session, alert.id or 0)
    assert alert.revision == 1
    assert alert.title == "Leafline Botanicals Recalls Kratom Powder"
    assert [r.revision for r in revisions] == [1]
    assert revisions[0].changes == []
    assert len(revisions[0].raw_sha256) == 64


def test_polling_the_same_item_again_stores_nothing_new(engine: Engine) -> None:
    with Session(engine) as session:
        store.upsert(session, [draft()], now=NOW)
        session.commit()
    with Session(engine) as session:
        again = store.upsert(session, [draft()], now=NOW + timedelta(hours=1))
        session.commit()
        alerts = session.exec(select(Alert)).all()
        revisions = session.exec(select(AlertRevision)).all()
    assert (len(again.new), len(again.revised), again.unchanged) == (0, 0, 1)
    assert len(alerts) == 1 and len(revisions) == 1
    assert alerts[0].updated_at == NOW


def test_repeated_uid_within_one_batch_counts_once(engine: Engine) -> None:
    with Session(engine) as session:
        result = store.upsert(session, [draft(), draft(title="older copy")], now=NOW)
        session.commit()
        assert len(result.new) == 1
        assert (
            session.exec(select(Alert)).one().title == "Leafline Botanicals Recalls Kratom Powder"
        )


def test_status_change_adds_revision_with_typed_diff_and_moves_updated_at(engine: Engine) -> None:
    later = NOW + timedelta(days=30)
    with Session(engine) as session:
        store.upsert(session, [draft(status="ongoing", hazards=["salmonella"])], now=NOW)
        session.commit()
    with Session(engine) as session:
        result = store.upsert(
            session,
            [
                draft(
                    status="terminated",
                    hazards=["salmonella", "heavy_metals"],
                    title="Corrected title",
                )
            ],
            now=later,
        )
        session.commit()
        alert = session.exec(select(Alert)).one()
        revisions = store.revisions_of(session, alert.id or 0)
    assert len(result.revised) == 1
    assert alert.revision == 2 and alert.status == "terminated" and alert.title == "Corrected title"
    assert alert.updated_at == later and alert.first_seen_at == NOW
    changes = {c["field"]: c for c in revisions[1].changes}
    assert changes["status"] == {
        "field": "status",
        "op": "changed",
        "old": "ongoing",
        "new": "terminated",
    }
    assert changes["hazards"] == {
        "field": "hazards",
        "op": "list",
        "added": ["heavy_metals"],
        "removed": [],
    }
    assert changes["title"]["old"] == "Leafline Botanicals Recalls Kratom Powder"
    assert set(changes) == {"status", "hazards", "title"}


def test_times_come_back_in_utc_on_every_backend(engine: Engine) -> None:
    eastern = datetime(2025, 3, 12, 9, 15, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("America/New_York")
    )
    with Session(engine) as session:
        store.upsert(session, [draft(published_at=eastern)], now=NOW)
        session.commit()
    with Session(engine) as session:
        alert = session.exec(select(Alert)).one()
    assert alert.published_at == datetime(2025, 3, 12, 9, 15, tzinfo=UTC)
    assert alert.published_at is not None and alert.published_at.utcoffset() == timedelta(0)


def test_same_uid_from_two_sources_is_two_alerts(engine: Engine) -> None:
    with Session(engine) as session:
        store.upsert(session, [draft(), draft(source="fda_food_safety_recalls")], now=NOW)
        session.commit()
        assert len(session.exec(select(Alert)).all()) == 2


def test_recent_alerts_filter_by_kind_jurisdiction_region_and_since(engine: Engine) -> None:
    with Session(engine) as session:
        store.upsert(
            session,
            [
                draft(uid="a", published_at=NOW - timedelta(days=40)),
                draft(uid="b", kind="scheduling", published_at=NOW - timedelta(days=2)),
                draft(uid="c", jurisdiction="CA", published_at=NOW - timedelta(days=1)),
                draft(uid="d", regions=["US-FL", "US-GA"], published_at=NOW - timedelta(days=3)),
            ],
            now=NOW,
        )
        session.commit()
        uids = lambda found: [a.uid for a in found]  # noqa: E731
        assert uids(store.recent_alerts(session)) == ["c", "b", "d", "a"]
        assert uids(store.recent_alerts(session, kind="scheduling")) == ["b"]
        assert uids(store.recent_alerts(session, jurisdiction="CA")) == ["c"]
        assert uids(store.recent_alerts(session, jurisdiction="us-fl")) == ["d"]
        assert uids(store.recent_alerts(session, since=NOW - timedelta(days=5))) == ["c", "b", "d"]
        assert uids(store.recent_alerts(session, limit=1)) == ["c"]
