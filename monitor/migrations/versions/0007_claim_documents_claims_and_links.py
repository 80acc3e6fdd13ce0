"""claim documents, claims, their alert links, follows; alert.claims_revision

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "claim_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("fetched_at", _AT, nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("via", sa.Text(), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["staff_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url", "sha256", name="uq_claim_document_url_sha256"),
    )
    op.create_index("ix_claim_document_sha256", "claim_document", ["sha256"], unique=False)
    op.create_index("ix_claim_document_created_at", "claim_document", ["created_at"], unique=False)
    op.create_table(
        "claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("cues", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["claim_document.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_claim_document_id", "claim", ["document_id"], unique=False)
    op.create_table(
        "claim_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"]),
        sa.ForeignKeyConstraint(["claim_id"], ["claim.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("claim_id", "alert_id", name="uq_claim_link_pair"),
    )
    op.create_index("ix_claim_link_claim_id", "claim_link", ["claim_id"], unique=False)
    op.create_index("ix_claim_link_alert_id", "claim_link", ["alert_id"], unique=False)
    op.create_table(
        "document_follow",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["claim_document.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"]),
        sa.PrimaryKeyConstraint("user_id", "document_id"),
    )
    op.create_index(
        "ix_document_follow_document_id", "document_follow", ["document_id"], unique=False
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claims_revision", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index("ix_alert_claims_revision", ["claims_revision"], unique=False)
        batch_op.create_index(
            "ix_alert_kind_published_at",
            ["kind", "published_at", "first_seen_at", "id"],
            unique=False,
        )
    # No claims are stored yet: every alert counts as already re-linked.
    op.execute("UPDATE alert SET claims_revision = revision")


def downgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_kind_published_at")
        batch_op.drop_index("ix_alert_claims_revision")
        batch_op.drop_column("claims_revision")
    op.drop_index("ix_document_follow_document_id", table_name="document_follow")
    op.drop_table("document_follow")
    op.drop_index("ix_claim_link_alert_id", table_name="claim_link")
    op.drop_index("ix_claim_link_claim_id", table_name="claim_link")
    op.drop_table("claim_link")
    op.drop_index("ix_claim_document_id", table_name="claim")
    op.drop_table("claim")
    op.drop_index("ix_claim_document_created_at", table_name="claim_document")
    op.drop_index("ix_claim_document_sha256", table_name="claim_document")
    op.drop_table("claim_document")
