"""source records and pages; alert.details

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("details", sa.JSON(), nullable=False, server_default="{}"))
    op.create_table(
        "source_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("uid", sa.String(length=700), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=True),
        sa.Column("first_seen_at", _AT, nullable=False),
        sa.Column("changed_at", _AT, nullable=False),
        sa.Column("last_seen_at", _AT, nullable=False),
        sa.Column("gone_at", _AT, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "uid", name="uq_source_record_source_uid"),
    )
    op.create_index("ix_source_record_source", "source_record", ["source"], unique=False)
    op.create_table(
        "source_page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("fetched_at", _AT, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "url", name="uq_source_page_source_url"),
    )
    op.create_index("ix_source_page_source", "source_page", ["source"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_source_page_source", table_name="source_page")
    op.drop_table("source_page")
    op.drop_index("ix_source_record_source", table_name="source_record")
    op.drop_table("source_record")
    with op.batch_alter_table("alert") as batch:
        batch.drop_column("details")
