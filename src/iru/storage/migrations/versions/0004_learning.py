"""Known texts, trained models, resurgence links; the model version of each assessment.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("model", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("local_score", sa.Float))
        batch.add_column(sa.Column("language", sa.String(16)))
    op.create_table(
        "known_texts",
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("list_sha256", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("text_sha256", name="pk_known_texts"),
    )
    op.create_table(
        "models",
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("card", sa.Text, nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_models"),
    )
    op.create_table(
        "resurgence_links",
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(512), nullable=False),
        sa.Column("predecessor_id", sa.String(512), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("first_post_at", sa.DateTime(timezone=True)),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "platform", "account_id", "predecessor_id", name="pk_resurgence_links"
        ),
    )


def downgrade() -> None:
    op.drop_table("resurgence_links")
    op.drop_table("models")
    op.drop_table("known_texts")
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("language")
        batch.drop_column("local_score")
        batch.drop_column("model")
