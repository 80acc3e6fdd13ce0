"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from alerts.models import PG_SEARCH_INDEXES
from monitor import db


def test_migrated_database_matches_the_models(engine: Engine) -> None:
    sqlite = engine.dialect.name == "sqlite"

    def include(obj: object, name: str | None, type_: str, *_: object) -> bool:
        # SQLite has no such indexes (they are PostgreSQL-only) and cannot reflect them.
        return not (sqlite and type_ == "index" and name in PG_SEARCH_INDEXES)

    with engine.connect() as connection, warnings.catch_warnings():
        if sqlite:  # the next test checks those indexes by name instead
            warnings.filterwarnings("ignore", "autogenerate skipping .* expression-based index")
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include}
        )
        assert compare_metadata(context, SQLModel.metadata) == []
    assert db.current_revision(engine) == db.head_revision()


def test_postgresql_has_the_search_indexes_and_sqlite_does_not(engine: Engine) -> None:
    names = {index["name"] for index in inspect(engine).get_indexes("alert")}
    if engine.dialect.name == "postgresql":
        assert set(PG_SEARCH_INDEXES) <= names
    else:
        assert not set(PG_SEARCH_INDEXES) & names


def test_migrating_twice_is_harmless(engine: Engine) -> None:
    db.migrate(engine)
    assert db.current_revision(engine) == db.head_revision()


def test_empty_database_is_reported_as_needing_init(tmp_path: object) -> None:
    import pytest

    engine = db.make_engine(f"sqlite:///{tmp_path}/empty.db")
    with pytest.raises(db.SchemaError, match="run `kratom-monitor init`"):
        db.require_current(engine)


def test_upgrade_from_the_first_schema_keeps_existing_rows(tmp_path: object) -> None:
    from alembic import command
    from sqlalchemy import text

    engine = db.make_engine(f"sqlite:///{tmp_path}/old.db")
    command.upgrade(db._config(engine), "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO source_state (key, status, consecutive_failures, items_seen) "
                "VALUES ('fda_recalls', 'ok', 0, 5)"
            )
        )
    db.migrate(engine)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT items_seen, alarm_open, change_gaps FROM source_state")
        ).one()
    assert (row[0], bool(row[1]), row[2]) == (5, False, "[]")


def test_upgrade_to_feeds_fills_places_for_stored_alerts(tmp_path: object) -> None:
    from alembic import command
    from sqlalchemy import text

    engine = db.make_engine(f"sqlite:///{tmp_path}/old.db")
    command.upgrade(db._config(engine), "0003")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO alert (source, uid, agency, kind, title, summary, url, "
                "jurisdiction, regions, firms, products, hazards, severity, severity_reason, "
                "matched_terms, content_hash, revision, first_seen_at, updated_at, origin, "
                "fanout_revision) VALUES ('fda_recalls', 'u1', 'FDA', 'recall', 't', '', 'u', "
                "'US', '[\"US-TX\"]', '[]', '[]', '[]', 'high', '', '[]', 'h', 1, "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 'poll', 1)"
            )
        )
    db.migrate(engine)
    with engine.connect() as connection:
        places, events = connection.execute(text("SELECT places, events FROM alert")).one()
        version = connection.execute(text("SELECT version, hub_version FROM feed_state")).one()
    assert (places, events) == ('["US", "US-TX"]', "[]")
    assert tuple(version) == (1, 1)  # stored alerts count as already announced
