"""feeds: alert places and events, feed state, feed indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from alerts.models import PG_SEARCH_INDEXES
from alerts.places import place_keys

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _fill_places() -> None:
    """Compute ``places`` for alerts stored before the column existed."""
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, jurisdiction, regions FROM alert")).all()
    update = sa.text("UPDATE alert SET places = :places WHERE id = :id")
    batch = []
    for alert_id, jurisdiction, regions in rows:
        listed = json.loads(regions) if isinstance(regions, str) else (regions or [])
        batch.append({"id": alert_id, "places": json.dumps(place_keys(jurisdiction, listed))})
    if batch:
        connection.execute(update, batch)


def upgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("events", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("places", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.drop_index("ix_alert_updated_at")
        batch_op.create_index(
            "ix_alert_updated_at_id", ["updated_at", "id"], unique=False,
            postgresql_include=["kind", "severity", "agency", "places", "hazards"],
        )  # fmt: skip
        batch_op.drop_index("ix_alert_kind")
        batch_op.create_index(
            "ix_alert_kind_updated_at_id", ["kind", "updated_at", "id"], unique=False,
            postgresql_include=["severity", "agency", "places", "hazards"],
        )  # fmt: skip
        batch_op.create_index(batch_op.f("ix_alert_agency"), ["agency"], unique=False)
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.alter_column("events", server_default=None)
        batch_op.alter_column("places", server_default=None)
    _fill_places()
    if op.get_bind().dialect.name == "postgresql":
        for name, expression in PG_SEARCH_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON alert USING gin {expression}")

    op.create_table(
        "feed_state",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hub_version", sa.Integer(), nullable=False),
        sa.Column("hub_pinged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hub_attempts", sa.Integer(), nullable=False),
        sa.Column("hub_next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hub_last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    # Existing alerts are already published: a new hub must not be pinged for them.
    op.execute(
        "INSERT INTO feed_state (key, version, hub_version, hub_attempts) "
        "VALUES ('alerts', 1, 1, 0)"
    )


def downgrade() -> None:
    op.drop_table("feed_state")
    if op.get_bind().dialect.name == "postgresql":
        for name in PG_SEARCH_INDEXES:
            op.execute(f"DROP INDEX {name}")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_agency"))
        batch_op.drop_index("ix_alert_updated_at_id")
        batch_op.create_index("ix_alert_updated_at", ["updated_at"], unique=False)
        batch_op.drop_index("ix_alert_kind_updated_at_id")
        batch_op.create_index("ix_alert_kind", ["kind"], unique=False)
        batch_op.drop_column("places")
        batch_op.drop_column("events")
