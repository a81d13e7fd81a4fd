"""at most one open recovery case per organisation, held by the database

The services look for an open case before opening one, in one transaction under a per-process
lock; two processes (the companion app and `lrs-keycloak audit`, or two app workers) could still
both find none and both insert. A partial unique index makes the second insert fail instead, so
an organisation never gets two cases that could each create a new super user.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 01:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The open states of revision 0003 (domain.recovery.OPEN): written out, because a migration
# must keep meaning what it meant when it was written.
OPEN_STATES = "('awaiting_form', 'received', 'awaiting_approval', 'approved', 'completing', 'expired')"
WHERE = sa.text(f"state IN {OPEN_STATES}")


def upgrade() -> None:
    # A database made before migrations existed is adopted after its missing tables are
    # created from the newest models (store.db.migrate): such a table has the index already.
    indexes = sa.inspect(op.get_bind()).get_indexes("recovery_cases")
    if any(i["name"] == "uq_recovery_one_open_case" for i in indexes):
        return
    doubled = (
        op.get_bind()
        .execute(
            sa.text(
                f"SELECT organisation_id FROM recovery_cases WHERE state IN {OPEN_STATES} "
                "GROUP BY organisation_id HAVING count(*) > 1 ORDER BY organisation_id"
            )
        )
        .scalars()
        .all()
    )
    if doubled:
        raise RuntimeError(
            "these organisations have more than one open recovery case: "
            f"{', '.join(doubled)}; cancel all but one (lrs-keycloak recovery cancel) before "
            "upgrading to revision 0003"
        )
    op.create_index(
        "uq_recovery_one_open_case",
        "recovery_cases",
        ["organisation_id"],
        unique=True,
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )


def downgrade() -> None:
    op.drop_index("uq_recovery_one_open_case", table_name="recovery_cases")
