"""triage, read marks and analyst corrections

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alert_override",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", _AT, nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"]),
        sa.PrimaryKeyConstraint("alert_id", "field"),
    )
    op.create_table(
        "alert_read",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("read_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"]),
        sa.PrimaryKeyConstraint("user_id", "alert_id"),
    )
    op.create_table(
        "alert_triage",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", _AT, nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"]),
        sa.ForeignKeyConstraint(["assignee_id"], ["staff_user.id"]),
        sa.ForeignKeyConstraint(["updated_by"], ["staff_user.id"]),
        sa.PrimaryKeyConstraint("alert_id"),
    )
    op.create_index("ix_alert_triage_assignee_id", "alert_triage", ["assignee_id"], unique=False)
    op.create_index("ix_alert_triage_status", "alert_triage", ["status"], unique=False)
    op.create_table(
        "triage_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", _AT, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_triage_note_alert_id", "triage_note", ["alert_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_triage_note_alert_id", table_name="triage_note")
    op.drop_table("triage_note")
    op.drop_index("ix_alert_triage_status", table_name="alert_triage")
    op.drop_index("ix_alert_triage_assignee_id", table_name="alert_triage")
    op.drop_table("alert_triage")
    op.drop_table("alert_read")
    op.drop_table("alert_override")
