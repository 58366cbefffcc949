"""Known-content hashes, indicator files and analysts' labels.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_hashes",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("hash_type", sa.String(16), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("list_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_known_hashes"),
        sa.UniqueConstraint("hash_type", "value", "label", name="uq_known_hashes_type_value_label"),
    )
    op.create_table(
        "indicator_sets",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rules", sa.Integer, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", "version", name="pk_indicator_sets"),
    )
    op.create_table(
        "labels",
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(512), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("label", sa.String(32), nullable=False),
        sa.Column("labelled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "account_id", "source", name="pk_labels"),
    )


def downgrade() -> None:
    op.drop_table("labels")
    op.drop_table("indicator_sets")
    op.drop_table("known_hashes")
