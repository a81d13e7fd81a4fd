"""the companion app's sign-in: sessions ended in Keycloak, and form posts counted for the limit

Issue 11: the app's session is a signed cookie, so a session Keycloak ends (back-channel
logout) is remembered here by its Keycloak session id until the cookie could no longer be
valid; form posts are counted per session or address and minute, shared by every process.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 23:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ended_sessions",
        sa.Column("sid", sa.String(length=255), primary_key=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ended_sessions_ended_at", "ended_sessions", ["ended_at"], unique=False)
    op.create_table(
        "form_post_counts",
        sa.Column("key", sa.String(length=128), primary_key=True),
        sa.Column("window", sa.Integer(), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_form_post_counts_window", "form_post_counts", ["window"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_form_post_counts_window", table_name="form_post_counts")
    op.drop_table("form_post_counts")
    op.drop_index("ix_ended_sessions_ended_at", table_name="ended_sessions")
    op.drop_table("ended_sessions")
