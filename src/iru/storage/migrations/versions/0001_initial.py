"""Accounts, quarantine and the ingest ledger.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(512), nullable=False),
        sa.Column("handle", sa.String(512)),
        sa.Column("display_name", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("profile_image_url", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("location", sa.Text),
        sa.Column("language", sa.String(32)),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Column("followers_count", sa.BigInteger),
        sa.Column("following_count", sa.BigInteger),
        sa.Column("post_count", sa.BigInteger),
        sa.Column("listed_count", sa.BigInteger),
        sa.Column("verified", sa.Boolean),
        sa.Column("protected", sa.Boolean),
        sa.Column("observed_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.String(32), nullable=False, server_default="active"),
        sa.PrimaryKeyConstraint("platform", "account_id", name="pk_accounts"),
    )
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("format", sa.String(64), nullable=False),
        sa.Column("locator", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_quarantine"),
        sa.UniqueConstraint("source", "locator", name="uq_quarantine_source_locator"),
    )
    op.create_table(
        "ingest_runs",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("inputs", sa.Text, nullable=False),
        sa.Column("records_read", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("accepted", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("duplicates", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("quarantined", sa.BigInteger, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_ingest_runs"),
    )


def downgrade() -> None:
    op.drop_table("ingest_runs")
    op.drop_table("quarantine")
    op.drop_table("accounts")
