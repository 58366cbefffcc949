"""Referrals and removal orders, their platform events and delivery attempts; case lineage.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "referrals",
        sa.Column("referral_id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(512), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("connector", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("package_sha256", sa.String(64), nullable=False),
        sa.Column("package_json", sa.Text, nullable=False),
        sa.Column("html_sha256", sa.String(64)),
        sa.Column("target_hours", sa.Float, nullable=False),
        sa.Column("ticket", sa.String(200)),
        sa.Column("last_seq", sa.Integer, nullable=False, server_default="0"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("sent_at", _TS),
        sa.Column("received_at", _TS),
        sa.Column("closed_at", _TS),
        sa.PrimaryKeyConstraint("referral_id", name="pk_referrals"),
        sa.UniqueConstraint("reference", name="uq_referrals_reference"),
        sa.UniqueConstraint("idempotency_key", name="uq_referrals_idempotency_key"),
    )
    op.create_index("ix_referrals_case_id", "referrals", ["case_id"])
    op.create_index("ix_referrals_status", "referrals", ["status"])
    op.create_table(
        "referral_events",
        sa.Column("event_id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("referral_id", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("form_json", sa.Text),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_referral_events"),
        sa.UniqueConstraint("referral_id", "seq", name="uq_referral_events_seq"),
    )
    op.create_index("ix_referral_events_referral_id", "referral_events", ["referral_id"])
    op.create_table(
        "deliveries",
        sa.Column("delivery_id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("referral_id", sa.Integer, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("connector", sa.String(64), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("http_status", sa.Integer),
        sa.Column("receipt_json", sa.Text),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("delivery_id", name="pk_deliveries"),
    )
    op.create_index("ix_deliveries_referral_id", "deliveries", ["referral_id"])
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("predecessor_case_id", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("predecessor_case_id")
    op.drop_index("ix_deliveries_referral_id", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_referral_events_referral_id", table_name="referral_events")
    op.drop_table("referral_events")
    op.drop_index("ix_referrals_status", table_name="referrals")
    op.drop_index("ix_referrals_case_id", table_name="referrals")
    op.drop_table("referrals")
