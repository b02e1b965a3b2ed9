"""voice campaigns: call pacing and retries, answered-by, and one row per call attempt

Campaigns gain `calls_per_second`, `retry_max`, `retry_interval_minutes`, `machine` and the
shared start slot `dial_next_at`. Calls gain `answered_by` and `answered_at`, and a call waiting
for its next attempt (`retry-pending`) is due like a queued one. `call_attempts` keeps each
attempt's SID and status, so a late callback of an earlier attempt never changes the current one.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-10 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None

OLD_DUE = "status IN ('queued', 'held')"
DUE = "status IN ('queued', 'held', 'retry-pending')"


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calls_per_second', sa.Float(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('retry_max', sa.Integer(), server_default='2', nullable=False))
        batch_op.add_column(sa.Column('retry_interval_minutes', sa.Float(), server_default='30', nullable=False))
        batch_op.add_column(sa.Column('machine', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('dial_next_at', sa.Float(), nullable=True))

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answered_by', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_index('ix_calls_due', postgresql_where=sa.text(OLD_DUE), sqlite_where=sa.text(OLD_DUE))
        batch_op.create_index('ix_calls_due', ['next_attempt_at'], unique=False, postgresql_where=sa.text(DUE), sqlite_where=sa.text(DUE))

    op.create_table('call_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('provider_sid', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('answered_by', sa.String(length=32), nullable=True),
    sa.Column('duration_seconds', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_attempts_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_attempts')),
    sa.UniqueConstraint('call_id', 'number', name=op.f('uq_call_attempts_call_id_number')),
    sa.UniqueConstraint('provider_sid', name=op.f('uq_call_attempts_provider_sid'))
    )


def downgrade():
    op.drop_table('call_attempts')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index('ix_calls_due', postgresql_where=sa.text(DUE), sqlite_where=sa.text(DUE))
        batch_op.create_index('ix_calls_due', ['next_attempt_at'], unique=False, postgresql_where=sa.text(OLD_DUE), sqlite_where=sa.text(OLD_DUE))
        batch_op.drop_column('answered_at')
        batch_op.drop_column('answered_by')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('dial_next_at')
        batch_op.drop_column('machine')
        batch_op.drop_column('retry_interval_minutes')
        batch_op.drop_column('retry_max')
        batch_op.drop_column('calls_per_second')
