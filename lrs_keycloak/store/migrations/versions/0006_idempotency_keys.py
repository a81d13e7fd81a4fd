"""the API's idempotency keys: a retried creation gets the first answer, not a second account

Issue 9 §2: a retry of the same request (an idempotency key on the API) must not make
``ada.lovelace2``. The key is claimed before the account is created, across processes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 22:00:00.000000
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
        "idempotency_keys",
        sa.Column("caller", sa.String(length=255), primary_key=True),
        sa.Column("key", sa.String(length=255), primary_key=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.JSON(none_as_null=True), nullable=True),
    )
    op.create_index(
        "ix_idempotency_keys_claimed_at", "idempotency_keys", ["claimed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_claimed_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
