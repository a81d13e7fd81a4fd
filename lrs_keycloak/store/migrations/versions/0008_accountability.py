"""accountability for admin console changes: each change recorded once, and its reason later

Issue 12: a change made in the Keycloak admin console is recorded in the organisation's audit
trail under the person who made it, once per Keycloak admin event (webhook and poller both see
it); a suspension or role change made without a reason or reference owes one until a super
user adds it. The trail also remembers how each user's account looked when last seen, to tell
a suspension from an edit.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 02:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("keycloak_event_id", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", sa.String(length=63), nullable=False),
        sa.Column("audit_event_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=False),
        sa.Column("made_by", sa.String(length=255), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("needs", sa.String(length=16), nullable=True),
        sa.Column("reason_event_id", sa.Integer(), nullable=True),
        sa.Column("reason_added_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason_added_by", sa.String(length=255), nullable=True),
        sa.UniqueConstraint("keycloak_event_id", "organisation_id", name="uq_console_change"),
    )
    op.create_index(
        "ix_console_changes_organisation_id", "console_changes", ["organisation_id"], unique=False
    )
    op.create_table(
        "console_user_snapshots",
        sa.Column("user_id", sa.String(length=64), primary_key=True),
        sa.Column("snapshot", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("console_user_snapshots")
    op.drop_index("ix_console_changes_organisation_id", table_name="console_changes")
    op.drop_table("console_changes")
