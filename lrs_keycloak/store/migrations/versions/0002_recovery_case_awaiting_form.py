"""recovery cases may await their form; who recorded the form, and when

A case the enforcer opens when an organisation loses its last active super user has no New
Super User Form yet (state ``awaiting_form``), so the form and its reference become nullable.
The agent who records the form later is kept apart from the case's raiser, because neither may
record the case's paper approval. Existing cases were opened from their form by their raiser.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database made by create_all before migrations existed is adopted at 0001 after its
    # missing tables are created from the *newest* models (store.db.migrate): such a
    # recovery_cases table has this revision's columns already.
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("recovery_cases")}
    with op.batch_alter_table("recovery_cases", schema=None) as batch_op:
        batch_op.alter_column("form", existing_type=sa.JSON(), nullable=True)
        batch_op.alter_column("form_reference", existing_type=sa.String(length=255), nullable=True)
        if "form_recorded_by" not in present:
            batch_op.add_column(
                sa.Column("form_recorded_by", sa.String(length=255), nullable=True)
            )
        if "form_recorded_at" not in present:
            batch_op.add_column(
                sa.Column("form_recorded_at", sa.DateTime(timezone=True), nullable=True)
            )
    op.execute(
        "UPDATE recovery_cases SET form_recorded_by = raised_by, form_recorded_at = created_at "
        "WHERE form IS NOT NULL"
    )


def downgrade() -> None:
    # The first revision cannot hold a case without a form; dropping such cases silently would
    # lose the help desk's record of an organisation left without a super user.
    waiting = op.get_bind().execute(
        sa.text("SELECT count(*) FROM recovery_cases WHERE form IS NULL")
    ).scalar()
    if waiting:
        raise RuntimeError(
            f"{waiting} recovery case(s) have no form (opened by the enforcer, never given one): "
            "revision 0001 cannot hold them; record their forms, or delete them deliberately, "
            "before downgrading below revision 0002"
        )
    with op.batch_alter_table("recovery_cases", schema=None) as batch_op:
        batch_op.drop_column("form_recorded_at")
        batch_op.drop_column("form_recorded_by")
        batch_op.alter_column("form_reference", existing_type=sa.String(length=255), nullable=False)
        batch_op.alter_column("form", existing_type=sa.JSON(), nullable=False)
