"""event claims: each Keycloak event handled by one process at a time, and once (issue 14)

The webhook (any gunicorn worker) and every `lrs-keycloak worker` see the same event; the first
claims it here with a lease and the event itself, so a process killed mid-way leaves the event
for another to take up when the lease runs out (docs/adr/0023).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_claims",
        sa.Column("key", sa.String(length=100), primary_key=True),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_event_claims_lease_until", "event_claims", ["lease_until"])


def downgrade() -> None:
    op.drop_index("ix_event_claims_lease_until", table_name="event_claims")
    op.drop_table("event_claims")
