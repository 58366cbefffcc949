"""Detection ledger and account assessments.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "detect_files",
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("signals", sa.Integer, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("path", name="pk_detect_files"),
    )
    op.create_table(
        "assessments",
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(512), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("label", sa.String(32), nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("signals", sa.Integer, nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "account_id", name="pk_assessments"),
    )


def downgrade() -> None:
    op.drop_table("assessments")
    op.drop_table("detect_files")
