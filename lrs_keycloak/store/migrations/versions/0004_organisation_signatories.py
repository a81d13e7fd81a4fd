"""each organisation's Organisation Agreement signatory: where a recovery approval may go

Issue 9 §1: the senior manager's approval link went to whatever address the help desk agent
typed from the New Super User Form, so one agent could approve their own request. The link now
goes only to the signatory the organisation gave MIAP, recorded here through an audited step.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisation_signatories",
        sa.Column("organisation_id", sa.String(length=63), primary_key=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("job_title", sa.String(length=255), nullable=True),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("organisation_signatories")
