"""keeping the user community current: accounts' end dates and inactivity warnings sent

Issue 13 (guide §2.1, §7, §8): an account may carry an end date (contract and temporary
staff), and `lifecycle run` warns unused accounts before suspending them, each warning once per
idle period however often it runs.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 02:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_end_dates",
        sa.Column("user_id", sa.String(length=64), primary_key=True),
        sa.Column("organisation_id", sa.String(length=63), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("set_by", sa.String(length=255), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_account_end_dates_organisation_id", "account_end_dates", ["organisation_id"]
    )
    op.create_table(
        "inactivity_warnings",
        sa.Column("user_id", sa.String(length=64), primary_key=True),
        sa.Column("idle_since_ms", sa.BigInteger(), primary_key=True),
        sa.Column("days", sa.Integer(), primary_key=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("inactivity_warnings")
    op.drop_index("ix_account_end_dates_organisation_id", table_name="account_end_dates")
    op.drop_table("account_end_dates")
