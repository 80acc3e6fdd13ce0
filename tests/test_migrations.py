"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import SQLModel

import alerts.models  # noqa: F401
from monitor import db


def test_migrated_database_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    assert db.current_revision(engine) == db.head_revision()


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
