"""initial store: audit log, enforcement, recovery cases

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 23:13:22.611525
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('organisation_id', sa.String(length=63), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=255), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_org_at', ['organisation_id', 'at'], unique=False)

    op.create_table('enforcement_cursors',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('time_ms', sa.BigInteger(), nullable=False),
    sa.Column('seen_ids', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('enforcement_flags',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('organisation_id', sa.String(length=63), nullable=True),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('enforcement_flags', schema=None) as batch_op:
        batch_op.create_index('ix_flags_open', ['user_id', 'rule', 'resolved_at'], unique=False)

    op.create_table('enforcement_memberships',
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('organisation_ids', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('recovery_cases',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('organisation_id', sa.String(length=63), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('form', sa.JSON(), nullable=False),
    sa.Column('form_reference', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('raised_by', sa.String(length=255), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('link_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('link_sent_to', sa.String(length=255), nullable=True),
    sa.Column('link_sent_by', sa.String(length=255), nullable=True),
    sa.Column('link_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('link_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_method', sa.String(length=16), nullable=True),
    sa.Column('decision_approved', sa.Boolean(), nullable=True),
    sa.Column('decided_by', sa.String(length=255), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_ip', sa.String(length=64), nullable=True),
    sa.Column('decision_reference', sa.String(length=255), nullable=True),
    sa.Column('claimed_by', sa.String(length=255), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sa.String(length=255), nullable=True),
    sa.Column('super_user_username', sa.String(length=255), nullable=True),
    sa.Column('primary_contact_updated', sa.Boolean(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=255), nullable=True),
    sa.Column('close_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('recovery_cases', schema=None) as batch_op:
        batch_op.create_index('ix_recovery_org_state', ['organisation_id', 'state'], unique=False)
        batch_op.create_index('ix_recovery_state', ['state'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('recovery_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_recovery_state')
        batch_op.drop_index('ix_recovery_org_state')

    op.drop_table('recovery_cases')
    op.drop_table('enforcement_memberships')
    with op.batch_alter_table('enforcement_flags', schema=None) as batch_op:
        batch_op.drop_index('ix_flags_open')

    op.drop_table('enforcement_flags')
    op.drop_table('enforcement_cursors')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_org_at')

    op.drop_table('audit_events')
