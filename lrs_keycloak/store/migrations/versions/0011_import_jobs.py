"""import jobs: a file of people accepted by the API, imported by the worker

Issue 13 (guide §2.1): `POST /api/v1/organisations/{org}/imports` checks the file, writes a
queued job and answers 202; the worker takes it up and records its progress and report here, so
any app process answers `GET …/imports/{id}`. Also `notices_sent`: the help desk's notices
that go once (a recovery case's overdue form, an organisation's primary contact gone).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("organisation_id", sa.String(length=63), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("actor_subject", sa.String(length=64), nullable=True),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("skip_invalid", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_import_jobs_organisation_id", "import_jobs", ["organisation_id"])
    op.create_index("ix_import_jobs_state", "import_jobs", ["state"])
    op.create_table(
        "notices_sent",
        sa.Column("key", sa.String(length=255), primary_key=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("notices_sent")
    op.drop_index("ix_import_jobs_state", table_name="import_jobs")
    op.drop_index("ix_import_jobs_organisation_id", table_name="import_jobs")
    op.drop_table("import_jobs")
