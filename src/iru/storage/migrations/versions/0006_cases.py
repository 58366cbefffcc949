"""Units, users, cases, decisions and deconfliction holds.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("contact", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_units"),
    )
    op.create_table(
        "users",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_users"),
    )
    op.create_table(
        "cases",
        sa.Column("case_id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(512), nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("restricted", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_cases"),
        sa.UniqueConstraint("platform", "account_id", "unit", name="uq_cases_account_unit"),
    )
    op.create_table(
        "decisions",
        sa.Column("decision_id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(200)),
        sa.Column("approved_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("decision_id", name="pk_decisions"),
    )
    op.create_index("ix_decisions_case_id", "decisions", ["case_id"])
    op.create_table(
        "holds",
        sa.Column("hold_id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(512), nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("contact", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("placed_by", sa.String(200), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("hold_id", name="pk_holds"),
    )
    op.create_index("ix_holds_account", "holds", ["platform", "account_id"])


def downgrade() -> None:
    op.drop_index("ix_holds_account", table_name="holds")
    op.drop_table("holds")
    op.drop_index("ix_decisions_case_id", table_name="decisions")
    op.drop_table("decisions")
    op.drop_table("cases")
    op.drop_table("users")
    op.drop_table("units")
