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
