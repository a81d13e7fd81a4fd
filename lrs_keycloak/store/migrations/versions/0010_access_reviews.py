"""periodic access reviews: each review, its snapshot of users with their answers, reminders sent

Issue 13 (guide §8): a super user (or the policy, realm-config/lifecycle.yaml `reviews:`)
starts a review of an organisation; for each member as they were at the start, who answered
what and when is kept, and each reminder is sent once however often the lifecycle runs.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_reviews",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("organisation_id", sa.String(length=63), nullable=False),
        sa.Column("started_by", sa.String(length=255), nullable=False),
        sa.Column("started_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("deadline_ms", sa.BigInteger(), nullable=False),
        sa.Column("scheduled", sa.Boolean(), nullable=False),
        sa.Column("closed_at_ms", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_access_reviews_organisation_id", "access_reviews", ["organisation_id"])
    op.create_table(
        "access_review_items",
        sa.Column(
            "review_id", sa.Integer(), sa.ForeignKey("access_reviews.id"), primary_key=True
        ),
        sa.Column("username", sa.String(length=255), primary_key=True),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("new_roles", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decided_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_table(
        "access_review_reminders",
        sa.Column(
            "review_id", sa.Integer(), sa.ForeignKey("access_reviews.id"), primary_key=True
        ),
        sa.Column("days_before", sa.Integer(), primary_key=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("access_review_reminders")
    op.drop_table("access_review_items")
    op.drop_index("ix_access_reviews_organisation_id", table_name="access_reviews")
    op.drop_table("access_reviews")
